/* veille-enricher: entities, fingerprint and duplicates of each article. */
#include "veille/stage.h"
#include "enricher.h"

int main(int argc, char **argv)
{
        static struct enricher_conf conf;
        const struct vl_stage st = {
                .name = "enricher",
                .summary = "tag people, organisations and places in articles "
                           "and fingerprint their text",
                .input_topic = "veille.articles",
                .output_topic = "veille.enriched",
                .keys = enricher_keys,
                .conf = &conf,
                .init = enricher_init,
                .process = enricher_process,
                .reload = enricher_reload,
                .destroy = enricher_destroy,
        };

        return vl_stage_main(&st, argc, argv);
}
