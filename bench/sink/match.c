/* veille-sink-bench: events per second through the sink's matching core
 * (sink_process: parse the enriched event, match it against the watches,
 * build the match records), on one thread, with N generated watches.
 *
 *   veille-sink-bench [--watches N] [--events M] [--miss] [--match-only]
 *   veille-sink-bench --dump-watches | --dump-events   (the inputs, as text)
 *
 * The events are real French article texts (tests/data/enricher/seed_*)
 * with 8 entities each drawn from a pool of 5,000; --miss draws them from a
 * pool no watch names and gives them an English text no phrase watch
 * names, to show what an event that matches nothing costs. Prints events/s,
 * matches per event and the peak RSS. See README.md. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "sink.h"

static unsigned long long rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)(rng % n);
}

static char *texts[16];
static int ntexts;
static char *words[4096]; /* words of the texts, for phrase watches */
static int nwords;

static void load_texts(void)
{
        DIR *d = opendir(VEILLE_SINK_BENCH_TEXTS);
        struct dirent *e;

        if (!d) {
                perror(VEILLE_SINK_BENCH_TEXTS);
                exit(1);
        }
        while ((e = readdir(d)) && ntexts < 16) {
                char path[1024];
                struct vl_buf b;
                struct vl_err err = { 0 };
                char *t, *p, *q;

                if (strncmp(e->d_name, "seed_", 5) != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", VEILLE_SINK_BENCH_TEXTS,
                         e->d_name);
                vl_buf_init(&b, 0);
                if (vl_buf_read_file(&b, path, &err))
                        continue;
                vl_buf_append(&b, "", 1, NULL);
                t = vl_buf_take(&b, NULL);
                texts[ntexts++] = vl_xstrdup(t);
                /* the words of 6 bytes or more */
                for (p = t; *p && nwords < 4096; p = q + (*q != '\0')) {
                        q = p + strcspn(p, " \n,.;:()'\"");
                        if (q - p >= 6)
                                words[nwords++] = vl_xstrndup(p, (size_t)(q - p));
                }
                free(t);
        }
        closedir(d);
        if (!ntexts || !nwords) {
                fprintf(stderr, "no texts in %s\n", VEILLE_SINK_BENCH_TEXTS);
                exit(1);
        }
}

/* N watches: 40% entity by qid (and a language), 20% first form by names,
 * 20% phrases, 19% boolean mixes, 1% always evaluated. */
static char *gen_watches(int n)
{
        struct vl_buf b;
        int i;

        vl_buf_init(&b, 0);
        for (i = 0; i < n; i++) {
                unsigned k = rnd(100);

                if (k < 40)
                        vl_buf_printf(&b, "w%d: entity:Q%u AND lang:fr,en\n",
                                      i, 1000 + rnd(5000));
                else if (k < 60)
                        vl_buf_printf(&b, "w%d: Entity %u, Entity %u, Q%u\n",
                                      i, rnd(5000), rnd(5000),
                                      1000 + rnd(5000));
                else if (k < 80)
                        vl_buf_printf(&b, "w%d: \"%s %s\" OR title:%s\n", i,
                                      words[rnd((unsigned)nwords)],
                                      words[rnd((unsigned)nwords)],
                                      words[rnd((unsigned)nwords)]);
                else if (k < 99)
                        vl_buf_printf(&b,
                                      "w%d: entity:Q%u>0.3 AND (\"%s\" OR "
                                      "type:PER) AND NOT site:example.com "
                                      "within:30d\n",
                                      i, 1000 + rnd(5000),
                                      words[rnd((unsigned)nwords)]);
                else
                        vl_buf_printf(&b, "w%d: NOT lang:fr,en within:1d\n",
                                      i);
        }
        vl_buf_append(&b, "", 1, NULL);
        return vl_buf_take(&b, NULL);
}

static const char *const miss_text =
        "The weather in the northern hills stayed mild this week, and the "
        "harvest went on without incident in every valley of the region.";

static char *gen_event(int i, int miss)
{
        json_t *ents = json_array(), *ev;
        char *s, id[40], pub[32];
        time_t now = time(NULL);
        struct tm tm;
        const char *text = miss ? miss_text : texts[i % ntexts];
        int k;

        for (k = 0; k < 8; k++) {
                unsigned e = (miss ? 100000 : 0) + rnd(5000);
                char name[32], qid[16];

                snprintf(name, sizeof(name), "Entity %u", e);
                snprintf(qid, sizeof(qid), "Q%u", 1000 + e);
                json_array_append_new(
                        ents,
                        json_pack("{s:s, s:s, s:s, s:f, s:i, s:[{s:i, s:i, "
                                  "s:s, s:s}]}",
                                  "type", k == 0 ? "PER" : "LOC", "name", name,
                                  "qid", qid, "salience", 0.1 * (k + 1),
                                  "count", 1, "mentions", "start", 0, "end",
                                  10, "text", name, "in", "text"));
        }
        gmtime_r(&now, &tm);
        strftime(pub, sizeof(pub), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(id, sizeof(id), "%032x", i);
        ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:s, "
                       "s:o, s:n}",
                       "schema", SINK_EVENT_SCHEMA, "id", id, "url",
                       "https://news.example.org/a", "title",
                       miss ? "Mild weather" : "Le Burkina Faso et la Russie",
                       "lang", miss ? "en" : "fr", "site", "news.example.org",
                       "source", "id", "bench", "published_at", pub, "text",
                       text, "entities", ents, "duplicate_of");
        s = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        return s;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        int nwatch = 1000, nev = 20000, miss = 0, match_only = 0, tree = 0, i;
        int dump_watches = 0, dump_events = 0;
        char dir[] = "/tmp/veille-sink-bench-XXXXXX", path[64];
        static char prefix[] = "veille.watch.";
        struct sink_conf cf = { 0 };
        struct vl_err err = { 0 };
        struct vl_out out;
        struct sink_hits hits = { 0 };
        struct rusage ru;
        unsigned long long matches = 0;
        char **evs, *w;
        void *st = NULL;
        double t0, t1;
        FILE *fp;

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--watches") == 0 && i + 1 < argc)
                        nwatch = (int)strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
                        nev = (int)strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--miss") == 0)
                        miss = 1;
                else if (strcmp(argv[i], "--match-only") == 0)
                        match_only = 1;
                else if (strcmp(argv[i], "--tree") == 0)
                        tree = 1;
                else if (strcmp(argv[i], "--dump-watches") == 0)
                        dump_watches = 1;
                else if (strcmp(argv[i], "--dump-events") == 0)
                        dump_events = 1;
                else {
                        fprintf(stderr, "usage: %s [--watches N] [--events M] "
                                        "[--miss] [--match-only] [--tree] "
                                        "[--dump-watches] "
                                        "[--dump-events]\n",
                                argv[0]);
                        return 2;
                }
        }
        load_texts();
        if (dump_watches || dump_events) { /* the inputs, for a run through a broker */
                w = gen_watches(nwatch);
                if (dump_watches)
                        fputs(w, stdout);
                for (i = 0; dump_events && i < nev; i++) {
                        char *e = gen_event(i, miss);

                        printf("%032x\t%s\n", i, e);
                        free(e);
                }
                free(w);
                return 0;
        }
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(path, sizeof(path), "%s/watches.conf", dir);
        fp = fopen(path, "w");
        w = gen_watches(nwatch);
        fputs(w, fp);
        fclose(fp);
        cf.watches = path;
        cf.watch_prefix = prefix;
        if (sink_init(&st, NULL, &cf, NULL, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
        }
        sink_use_tree(st, tree); /* the jansson path, for comparison */
        unlink(path);
        rmdir(dir);
        evs = vl_xcalloc((size_t)nev, sizeof(*evs));
        for (i = 0; i < nev; i++)
                evs[i] = gen_event(i, miss);
        vl_out_init(&out, "urn:veille:sink");
        t0 = now_s();
        if (match_only) {
                /* the index and the evaluation alone, on events read
                 * beforehand (by the scan, or with --tree by jansson) */
                struct sink_watchset *ws;
                json_t **js = vl_xcalloc((size_t)nev, sizeof(*js));
                struct sink_event *es = vl_xcalloc((size_t)nev, sizeof(*es));

                ws = sink_watchset_parse(w, strlen(w), "bench", &err);
                for (i = 0; i < nev; i++) {
                        if (tree) {
                                js[i] = json_loads(evs[i], 0, NULL);
                                sink_event_from_json(&es[i], js[i]);
                        } else if (sink_event_scan(&es[i], evs[i],
                                                   strlen(evs[i]), &err) !=
                                   SINK_SCAN_OK) {
                                fprintf(stderr, "event %d not scanned\n", i);
                                return 1;
                        }
                        /* the scratch lists: not needed to match */
                        vl_jobj_release(&es[i].jo);
                        vl_jobj_release(&es[i].jents);
                        vl_jobj_release(&es[i].jent);
                        vl_jobj_release(&es[i].jments);
                        vl_jobj_release(&es[i].jment);
                }
                t0 = now_s();
                for (i = 0; i < nev; i++) {
                        int k;

                        sink_watchset_match_event(ws, &es[i],
                                                  (long long)time(NULL),
                                                  &hits);
                        for (k = 0; k < hits.n; k++)
                                if (k == 0 ||
                                    hits.v[k].watch != hits.v[k - 1].watch)
                                        matches++;
                }
                t1 = now_s();
                for (i = 0; i < nev; i++) {
                        sink_event_release(&es[i]);
                        json_decref(js[i]);
                }
                free(es);
                free(js);
                sink_watchset_destroy(ws);
        } else {
                for (i = 0; i < nev; i++) {
                        struct vl_in in = { 0 };

                        in.value = evs[i];
                        in.len = strlen(evs[i]);
                        if (sink_process(st, &in, &out, &err)) {
                                fprintf(stderr, "event %d: %s\n", i, err.msg);
                                return 1;
                        }
                        matches += (unsigned long long)out.n;
                        vl_out_clear(&out);
                }
                t1 = now_s();
        }
        getrusage(RUSAGE_SELF, &ru);
        printf("%s watches=%d events=%d%s: %.0f events/s, %.2f matches/event, "
               "peak RSS %ld MB\n",
               match_only ? "match-only" : "sink_process", nwatch, nev,
               miss ? " (matching none)" : "", nev / (t1 - t0),
               (double)matches / nev, ru.ru_maxrss / 1024);
        for (i = 0; i < nev; i++)
                free(evs[i]);
        free(evs);
        free(w);
        sink_hits_release(&hits);
        vl_out_release(&out);
        sink_destroy(st);
        return 0;
}
