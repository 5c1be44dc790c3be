/*
 * veille-enricher-bench: articles per second on one thread, start-up time,
 * peak RSS.
 *
 *   veille-enricher-bench [--gazetteer F] [--words 600] [--articles N]
 *                         [--mode tag|json] FILE...
 *
 * The words of FILE... (real article texts, e.g. the seeds) are cut into
 * articles of about --words words each, keeping their punctuation and line
 * breaks; the set is cycled until --articles have been processed.
 *   tag:  enricher_tag_article() + the SimHash (the enricher's own work);
 *   json: enricher_enrich_raw() on the article event: check and split it,
 *         tag, write the enriched event (what the daemon does per message,
 *         Kafka aside).
 * Start-up is the time to load the gazetteer and build the tagger (what
 * enricher_init() does), measured in-process.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <jansson.h>
#include "veille/file.h"
#include "veille/mem.h"
#include "veille/conf.h"
#include "enricher.h"
#include "enricher_model.h"

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct article {
        char *text;
        size_t len, words;
        char *event; /* the article event (json mode) */
        size_t elen;
};

/* Cut @p s into pieces of about @p words words (at a word boundary). */
static size_t cut(const char *s, size_t len, size_t words,
                  struct article **arts, size_t n)
{
        size_t i = 0;

        while (i < len) {
                size_t b = i, w = 0;
                int inword = 0;

                while (i < len && (w < words || inword)) {
                        int sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t';

                        if (!sp && !inword)
                                w++;
                        inword = !sp;
                        i++;
                }
                if (w < words / 2 && n > 0)
                        break; /* a short tail: drop it */
                *arts = vl_xrealloc(*arts, (n + 1) * sizeof(**arts));
                (*arts)[n].text = vl_xstrndup(s + b, i - b);
                (*arts)[n].len = i - b;
                (*arts)[n].words = w;
                n++;
        }
        return n;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"gazetteer", required_argument, 0, 'z'},
                {"words", required_argument, 0, 'w'},
                {"articles", required_argument, 0, 'n'},
                {"mode", required_argument, 0, 'm'},
                {"model", required_argument, 0, 'M'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        const char *gzpath = VEILLE_ENRICHER_GAZETTEER;
        const char *mode = "tag", *mpath = VEILLE_ENRICHER_MODEL;
        size_t words = 600, total = 20000, narts = 0, allw = 0, alen = 0;
        struct article *arts = NULL;
        char *all = NULL;
        struct enricher_conf cf;
        void *state = NULL;
        struct vl_err err = {0};
        struct rusage ru;
        struct vl_buf out;
        double t0, t1, t2;
        unsigned long long sink = 0, nment = 0;
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'z': gzpath = optarg; break;
                case 'w': words = strtoul(optarg, NULL, 10); break;
                case 'n': total = strtoul(optarg, NULL, 10); break;
                case 'm': mode = optarg; break;
                case 'M': mpath = optarg; break;
                case 'h':
                default:
                        fprintf(c == 'h' ? stdout : stderr,
                                "usage: veille-enricher-bench [--gazetteer F] "
                                "[--words 600] [--articles 20000] "
                                "[--mode tag|json] [--model FILE, '' for none] "
                                "FILE...\n");
                        return c == 'h' ? 0 : 2;
                }
        }
        if (optind >= argc || words == 0 ||
            (strcmp(mode, "tag") != 0 && strcmp(mode, "json") != 0)) {
                fprintf(stderr, "veille-enricher-bench: give article text "
                                "files (e.g. shared/seeds/*)\n");
                return 2;
        }
        /* all the files end to end, then cut: articles of ~words words */
        for (int i = optind; i < argc; i++) {
                size_t n;
                char *s = vl_file_read(argv[i], &n, NULL);

                if (!s) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                all = vl_xrealloc(all, alen + n + 2);
                memcpy(all + alen, s, n);
                alen += n;
                all[alen++] = '\n';
                all[alen] = '\0';
                free(s);
        }
        narts = cut(all, alen, words, &arts, 0);
        for (size_t k = 0; k < narts; k++) {
                char id[40];
                json_t *ev;

                /* one id per distinct article: repeats of it are not
                 * near-duplicates of themselves */
                snprintf(id, sizeof(id), "%032zx", k);
                ev = json_pack("{s:s,s:s,s:s,s:s,s:s%}", "schema",
                                       "veille.article.v1", "id", id,
                                       "lang", "fr", "title",
                                       "Bench article", "text", arts[k].text,
                                       arts[k].len);

                allw += arts[k].words;
                arts[k].event = json_dumps(ev, JSON_COMPACT);
                arts[k].elen = strlen(arts[k].event);
                json_decref(ev);
        }

        vl_buf_init(&out, 0);
        memset(&cf, 0, sizeof(cf));
        cf.gazetteer = vl_xstrdup(gzpath);
        cf.model = vl_xstrdup(mpath);
        cf.max_text_bytes = 4194304;
        /* the daemon's near-duplicate index (no fingerprint topic) */
        cf.dedup_max = 200000;
        cf.dedup_window_s = 604800;
        cf.dedup_similarity = 0.6;
        cf.dedup_min_words = 30;
        {
                struct enricher_gazetteer *gz = NULL;
                struct enricher_tag *tg = NULL;
                struct enricher_model *model = NULL;

                t0 = now();
                if (mode[0] == 't') {
                        gz = enricher_gazetteer_new();
                        if (enricher_gazetteer_load(gz, gzpath, &err) !=
                            VL_OK) {
                                fprintf(stderr, "%s\n", err.msg);
                                return 1;
                        }
                        tg = enricher_tag_new(gz);
                        if (*mpath &&
                            enricher_model_load(&model, mpath, &err) !=
                                    VL_OK) {
                                fprintf(stderr, "%s\n", err.msg);
                                return 1;
                        }
                        enricher_tag_set_model(tg, model);
                } else if (enricher_init(&state, NULL, &cf, NULL, &err) !=
                           VL_OK) {
                        fprintf(stderr, "init: %s\n", err.msg);
                        return 1;
                }
                t1 = now();
                t2 = now();
                for (size_t k = 0; k < total; k++) {
                        const struct article *a = &arts[k % narts];

                        if (mode[0] == 't') {
                                enricher_tag_article(tg, NULL, 0, a->text,
                                                     a->len);
                                sink += enricher_fingerprint_simhash(&tg->text);
                                nment += tg->nm;
                        } else {
                                if (enricher_enrich_raw(state, a->event,
                                                        a->elen, &out,
                                                        &err) != VL_OK) {
                                        fprintf(stderr, "enrich: %s\n",
                                                err.msg);
                                        return 1;
                                }
                                sink += out.len;
                        }
                }
                t2 = now() - t2;
                if (tg)
                        enricher_tag_destroy(tg);
                if (gz)
                        enricher_gazetteer_destroy(gz);
                enricher_model_destroy(model);
        }
        getrusage(RUSAGE_SELF, &ru);
        printf("mode %s: %zu distinct articles of %.0f words on average "
               "(%.0f bytes)\n",
               mode, narts, (double)allw / (double)narts,
               (double)alen / (double)narts);
        printf("start-up (%s): %.1f ms\n",
               mode[0] == 't' ? "load gazetteer and model, build tagger"
                              : "enricher_init",
               (t1 - t0) * 1e3);
        printf("articles: %zu in %.3f s: %.0f articles/s on one thread "
               "(%.2f M words/s)\n",
               total, t2, (double)total / t2,
               (double)total * ((double)allw / (double)narts) / t2 / 1e6);
        if (mode[0] == 't')
                printf("mentions per article: %.1f\n",
                       (double)nment / (double)total);
        printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
        if (state)
                enricher_destroy(state);
        for (size_t k = 0; k < narts; k++) {
                free(arts[k].text);
                free(arts[k].event);
        }
        free(arts);
        free(all);
        free(cf.gazetteer);
        free(cf.model);
        vl_buf_release(&out);
        return sink == 42 ? 3 : 0; /* keep the work observable */
}
