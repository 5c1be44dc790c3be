/* veille-sink: enriched events to watch topics, webhooks and a JSONL
 * file. */
#include "veille/stage.h"
#include "sink.h"

int main(int argc, char **argv)
{
        static struct sink_conf conf;
        const struct vl_stage st = {
                .name = "sink",
                .summary = "publish the enriched events that match a watch, "
                           "and keep them in a JSONL file",
                .input_topic = "veille.enriched",
                .output_topic = "veille.watch.",
                .keys = sink_keys,
                .conf = &conf,
                .init = sink_init,
                .process = sink_process,
                .reload = sink_reload,
                .destroy = sink_destroy,
        };

        return vl_stage_main(&st, argc, argv);
}
