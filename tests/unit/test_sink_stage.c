/* The sink stage (sink/sink.c): init, process, reload, as the runner calls
 * them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "veille/metrics.h"
#include "sink/sink.h"

static char dir[] = "/tmp/veille-sink-stage-XXXXXX";
static char watches[sizeof(dir) + 32];
static char file[sizeof(dir) + 32];
static char rotated[sizeof(dir) + 32];
static char prefix_default[] = "veille.watch.";
static char prefix_alerts[] = "alerts.";
static char prefix_bad[] = "veille/watch/";
static struct sink_conf cf;
static struct vl_metrics m;
static struct vl_out out;
static void *st;

static const char *const ev_sahel =
        "{\"schema\":\"veille.enriched.v1\",\"id\":\"a1\","
        "\"title\":\"La Russie au Burkina Faso\",\"text\":\"...\","
        "\"entities\":["
        " {\"type\":\"LOC\",\"name\":\"Russia\",\"qid\":\"Q159\","
        "  \"mentions\":[{\"start\":3,\"end\":9,\"text\":\"Russie\","
        "\"in\":\"title\"}]},"
        " {\"type\":\"LOC\",\"name\":\"Burkina Faso\",\"qid\":\"Q965\","
        "  \"mentions\":[{\"start\":13,\"end\":25,\"text\":\"Burkina Faso\","
        "\"in\":\"title\"}]}],"
        "\"duplicate_of\":null}";

static void write_watches(const char *text)
{
        FILE *fp = fopen(watches, "w");

        cr_assert_not_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static void setup(void)
{
        cr_assert_not_null(mkdtemp(dir));
        snprintf(watches, sizeof(watches), "%s/watches.conf", dir);
        snprintf(file, sizeof(file), "%s/events.jsonl", dir);
        snprintf(rotated, sizeof(rotated), "%s/events.jsonl.1", dir);
        write_watches("sahel-russia: Russia, Wagner Group\n"
                      "burkina: Burkina Faso\n"
                      "niger: Niger\n");
        cf.watches = watches;
        cf.watch_prefix = prefix_default;
        cf.file = NULL;
        vl_metrics_init(&m, "sink");
        vl_out_init(&out, "urn:veille:sink");
}

static void teardown(void)
{
        sink_destroy(st);
        st = NULL;
        vl_out_release(&out);
        unlink(watches);
        unlink(file);
        unlink(rotated);
        rmdir(dir);
}

TestSuite(sink_stage, .init = setup, .fini = teardown);

static void init_ok(void)
{
        struct vl_err err = { 0 };

        cr_assert_eq(sink_init(&st, NULL, &cf, &m, &err), VL_OK, "%s",
                     err.msg);
}

static enum vl_rc process(const char *value, struct vl_err *err)
{
        struct vl_in in = { 0 };

        in.topic = "veille.enriched";
        in.value = value;
        in.len = strlen(value);
        vl_out_clear(&out);
        vl_out_set_id_base(&out, "veille.enriched-0-%d", 1);
        return sink_process(st, &in, &out, err);
}

static void process_ok(const char *value)
{
        struct vl_err err = { 0 };

        cr_assert_eq(process(value, &err), VL_OK, "%s", err.msg);
}

static json_t *rec_json(int i)
{
        json_t *j;

        cr_assert_lt(i, out.n);
        j = json_loadb(out.recs[i].value, out.recs[i].len, 0, NULL);
        cr_assert_not_null(j);
        return j;
}

static const char *topics(void)
{
        static char s[512];
        int i;

        s[0] = '\0';
        for (i = 0; i < out.n; i++) {
                size_t n = strlen(s);

                snprintf(s + n, sizeof(s) - n, "%s%s", i ? " " : "",
                         out.recs[i].topic);
        }
        return s;
}

static unsigned long long counter(const char *name)
{
        for (int i = 0; i < m.n; i++)
                if (strcmp(m.m[i].name, name) == 0)
                        return atomic_load(&m.m[i].v);
        cr_assert_fail("no counter %s", name);
        return 0;
}

Test(sink_stage, one_record_per_matching_watch)
{
        json_t *v, *ev = json_loads(ev_sahel, 0, NULL), *want;

        init_ok();
        process_ok(ev_sahel);
        cr_assert_str_eq(topics(),
                         "veille.watch.sahel-russia veille.watch.burkina");
        cr_expect_str_eq(out.recs[0].key, "a1");
        cr_expect_str_eq(vl_rec_header_get(&out.recs[0], "ce_type"),
                         "org.veille.watch.match.v1");
        cr_expect_str_eq(vl_rec_header_get(&out.recs[1], "ce_id"),
                         "veille.enriched-0-1/1");
        v = rec_json(0);
        want = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:[{s:i, s:i, s:s}]}],"
                         " s:O}",
                         "schema", "veille.watch.v1", "watch", "sahel-russia",
                         "matched", "term", "Russia", "entity", "Russia",
                         "qid", "Q159", "mentions", "start", 3, "end", 9, "in",
                         "title", "article", ev);
        cr_expect(json_equal(v, want), "got %s", out.recs[0].value);
        json_decref(want);
        json_decref(v);
        json_decref(ev);
        cr_expect_eq(counter("veille_sink_matches_total"), 2);
}

Test(sink_stage, no_watches_no_records)
{
        cf.watches = NULL;
        init_ok();
        process_ok(ev_sahel);
        cr_expect_eq(out.n, 0);
}

Test(sink_stage, prefix_names_the_topics)
{
        cf.watch_prefix = prefix_alerts;
        init_ok();
        process_ok(ev_sahel);
        cr_expect_str_eq(topics(), "alerts.sahel-russia alerts.burkina");
}

Test(sink_stage, duplicates_are_suppressed_but_filed)
{
        json_t *ev = json_loads(ev_sahel, 0, NULL);
        char *dup;
        FILE *fp;
        char line[4096];

        json_object_set_new(ev, "duplicate_of", json_string("a0"));
        dup = json_dumps(ev, JSON_COMPACT);
        cf.file = file;
        init_ok();
        process_ok(dup);
        cr_expect_eq(out.n, 0);
        cr_expect_eq(counter("veille_sink_matches_total"), 0);
        cr_expect_eq(counter("veille_sink_file_lines_total"), 1);
        fp = fopen(file, "r");
        cr_assert_not_null(fp);
        cr_assert_not_null(fgets(line, sizeof(line), fp));
        fclose(fp);
        cr_expect_str_eq(line, "{\"schema\":\"veille.enriched.v1\","
                               "\"id\":\"a1\",\"title\":"
                               "\"La Russie au Burkina Faso\","
                               "\"text\":\"...\",\"entities\":[{\"type\":"
                               "\"LOC\",\"name\":\"Russia\",\"qid\":\"Q159\","
                               "\"mentions\":[{\"start\":3,\"end\":9,\"text\":"
                               "\"Russie\",\"in\":\"title\"}]},{\"type\":"
                               "\"LOC\",\"name\":\"Burkina Faso\",\"qid\":"
                               "\"Q965\",\"mentions\":[{\"start\":13,\"end\":"
                               "25,\"text\":\"Burkina Faso\",\"in\":\"title\"}"
                               "]}],\"duplicate_of\":\"a0\"}\n");
        free(dup);
        json_decref(ev);
}

Test(sink_stage, file_gets_every_event_as_it_is)
{
        static const char *const evs[] = {
                "{\"schema\":\"veille.enriched.v1\",\"id\":\"x\","
                "\"entities\":[]}",
                "{\"schema\":\"veille.enriched.v1\",\"id\":\"y\"}",
        };
        FILE *fp;
        char line[8192];
        int n = 0;

        cf.file = file;
        init_ok();
        process_ok(ev_sahel);
        process_ok(evs[0]);
        process_ok(evs[1]);
        cr_expect_eq(out.n, 0);
        cr_expect_eq(counter("veille_sink_file_lines_total"), 3);
        fp = fopen(file, "r");
        cr_assert_not_null(fp);
        while (fgets(line, sizeof(line), fp)) {
                json_t *got = json_loads(line, 0, NULL);
                json_t *want =
                        json_loads(n == 0 ? ev_sahel : evs[n - 1], 0, NULL);

                cr_expect(json_equal(got, want), "line %d", n + 1);
                json_decref(got);
                json_decref(want);
                n++;
        }
        fclose(fp);
        cr_expect_eq(n, 3);
}

Test(sink_stage, invalid_events_are_rejected)
{
        static const struct {
                const char *value;
                const char *msg;
        } cases[] = {
                { "not json", "invalid enriched event: " },
                { "[1]", "not a JSON object" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"id\":\"b\"}",
                  "duplicate object key" },
                { "{\"id\":\"a\"}", "schema is not 'veille.enriched.v1'" },
                { "{\"schema\":\"veille.enriched.v2\",\"id\":\"a\"}",
                  "schema is not" },
                { "{\"schema\":\"veille.enriched.v1\"}", "no 'id'" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"\"}",
                  "no 'id'" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":7}", "no 'id'" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"entities\":{}}",
                  "'entities' is not an array" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"entities\":[{\"name\":\"A\"},{\"qid\":\"Q1\"}]}",
                  "entities[1] has no 'name'" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"entities\":[{\"name\":\"A\",\"qid\":965}]}",
                  "entities[0] 'qid' is not a string" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"entities\":[{\"name\":\"A\",\"mentions\":{}}]}",
                  "entities[0] 'mentions' is not an array" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"entities\":[{\"name\":\"A\",\"mentions\":"
                  "[{\"text\":1}]}]}",
                  "entities[0] has an invalid mention" },
                { "{\"schema\":\"veille.enriched.v1\",\"id\":\"a\","
                  "\"duplicate_of\":1}",
                  "'duplicate_of' is neither null nor a string" },
        };
        size_t i;

        cf.file = file;
        init_ok();
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vl_err err = { 0 };

                cr_expect_eq(process(cases[i].value, &err), VL_REJECT,
                             "case %zu", i);
                cr_expect_eq(out.n, 0, "case %zu", i);
                cr_expect(strstr(err.msg, cases[i].msg) != NULL,
                          "case %zu: '%s' lacks '%s'", i, err.msg,
                          cases[i].msg);
        }
        cr_expect_eq(counter("veille_sink_file_lines_total"), 0);
        cr_expect_eq(access(file, F_OK), 0); /* created, empty */
}

Test(sink_stage, bad_watches_stop_start_up)
{
        struct vl_err err = { 0 };

        write_watches("ok: A\nbad name: B\n");
        cr_expect_eq(sink_init(&st, NULL, &cf, &m, &err), VL_REJECT);
        cr_expect_null(st);
        cr_expect(strstr(err.msg, "watches.conf:2:1: invalid watch name "
                                  "'bad name'") != NULL,
                  "%s", err.msg);
}

Test(sink_stage, bad_prefix_stops_start_up)
{
        struct vl_err err = { 0 };

        cf.watch_prefix = prefix_bad;
        cr_expect_eq(sink_init(&st, NULL, &cf, &m, &err), VL_REJECT);
        cr_expect(strstr(err.msg, "invalid sink.watch.prefix") != NULL, "%s",
                  err.msg);
}

Test(sink_stage, reload_keeps_old_watches_on_error)
{
        struct vl_err err = { 0 };

        init_ok();
        write_watches("niger: Niger\n\nRussia Watch: Russia\n");
        cr_expect_eq(sink_reload(st, &err), VL_REJECT);
        cr_expect(strstr(err.msg, "watches.conf:3:1: invalid watch name") !=
                          NULL,
                  "%s", err.msg);
        process_ok(ev_sahel);
        cr_expect_str_eq(topics(),
                         "veille.watch.sahel-russia veille.watch.burkina");

        unlink(watches);
        cr_expect_eq(sink_reload(st, &err), VL_REJECT);
        process_ok(ev_sahel);
        cr_expect_eq(out.n, 2);

        write_watches("russia: Q159\n");
        memset(&err, 0, sizeof(err));
        cr_expect_eq(sink_reload(st, &err), VL_OK, "%s", err.msg);
        process_ok(ev_sahel);
        cr_expect_str_eq(topics(), "veille.watch.russia");
}

Test(sink_stage, reload_reopens_the_file)
{
        struct vl_err err = { 0 };
        FILE *fp;
        char line[8192];

        cf.file = file;
        init_ok();
        process_ok(ev_sahel);
        cr_assert_eq(rename(file, rotated), 0); /* logrotate */
        cr_expect_eq(sink_reload(st, &err), VL_OK, "%s", err.msg);
        process_ok("{\"schema\":\"veille.enriched.v1\",\"id\":\"z\"}");
        fp = fopen(file, "r");
        cr_assert_not_null(fp);
        cr_assert_not_null(fgets(line, sizeof(line), fp));
        cr_expect_str_eq(line,
                         "{\"schema\":\"veille.enriched.v1\",\"id\":\"z\"}\n");
        cr_expect_null(fgets(line, sizeof(line), fp));
        fclose(fp);
}
