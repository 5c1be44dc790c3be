/* Golden cases: every tests/data/sink/<case>.json through the sink with the
 * watches of tests/data/sink/watches.conf, compared with
 * <case>.expected.json (see tests/data/sink/README.md). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/buf.h"
#include "sink/sink.h"
#include "vl_test.h"

#define DATA VL_SOURCE_DIR "/tests/data/sink/"

static int ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* "article": "@input" in an expected value stands for the input event. */
static void substitute_input(json_t *want, json_t *input)
{
        size_t i;
        json_t *rec;

        json_array_foreach(want, i, rec) {
                json_t *v = json_object_get(rec, "value");
                const char *a =
                        json_string_value(json_object_get(v, "article"));

                if (a && strcmp(a, "@input") == 0)
                        json_object_set(v, "article", input);
        }
}

/* @returns 1 if the case passed. */
static int run_case(void *st, const char *name)
{
        char path[1024];
        struct vl_out out;
        struct vl_in in = { 0 };
        struct vl_err err = { 0 };
        json_t *want, *input, *got;
        enum vl_rc rc;
        size_t len;
        char *value;
        int ok = 1, i;

        snprintf(path, sizeof(path), DATA "%s.json", name);
        value = vl_test_read(path, &len);
        snprintf(path, sizeof(path), DATA "%s.expected.json", name);
        want = json_load_file(path, 0, NULL);
        cr_assert_not_null(want, "%s: cannot parse %s", name, path);
        input = json_loadb(value, len, 0, NULL);

        vl_out_init(&out, "urn:veille:sink");
        vl_out_set_id_base(&out, "golden-%s", name);
        in.topic = "veille.enriched";
        in.value = value;
        in.len = len;
        rc = sink_process(st, &in, &out, &err);

        if (json_is_object(want)) { /* {"reject": "..."} */
                const char *msg =
                        json_string_value(json_object_get(want, "reject"));

                cr_assert_not_null(msg, "%s: bad expected file", name);
                if (rc != VL_REJECT || out.n != 0 || !strstr(err.msg, msg)) {
                        cr_log_error("%s: want reject '%s', got %s '%s' and "
                                     "%d record(s)",
                                     name, msg, vl_rc_name(rc), err.msg, out.n);
                        ok = 0;
                }
                goto out;
        }
        if (rc != VL_OK) {
                cr_log_error("%s: %s: %s", name, vl_rc_name(rc), err.msg);
                ok = 0;
                goto out;
        }
        substitute_input(want, input);
        got = json_array();
        for (i = 0; i < out.n; i++) {
                const char *ct = vl_rec_header_get(&out.recs[i], "ce_type");

                if (!ct || strcmp(ct, SINK_MATCH_CE_TYPE) != 0) {
                        cr_log_error("%s: record %d has ce_type '%s'", name, i,
                                     ct ? ct : "(none)");
                        ok = 0;
                }
                json_array_append_new(
                        got, json_pack("{s:s, s:s, s:o}", "topic",
                                       out.recs[i].topic, "key",
                                       out.recs[i].key, "value",
                                       json_loadb(out.recs[i].value,
                                                  out.recs[i].len, 0, NULL)));
        }
        if (!json_equal(got, want)) {
                char *s = json_dumps(got, JSON_INDENT(2));

                cr_log_error("%s: records differ from %s.expected.json; "
                             "got:\n%s",
                             name, name, s);
                free(s);
                ok = 0;
        }
        json_decref(got);
out:
        vl_out_release(&out);
        json_decref(input);
        json_decref(want);
        free(value);
        return ok;
}

Test(sink_golden, cases)
{
        static char watches[] = DATA "watches.conf";
        static char prefix[] = "veille.watch.";
        struct sink_conf cf = { .watches = watches, .watch_prefix = prefix };
        struct vl_err err = { 0 };
        struct dirent *de;
        void *st = NULL;
        DIR *d;
        int n = 0, failed = 0;

        cr_assert_eq(sink_init(&st, NULL, &cf, NULL, &err), VL_OK, "%s",
                     err.msg);
        d = opendir(DATA);
        cr_assert_not_null(d);
        while ((de = readdir(d))) {
                char name[256];

                if (!ends_with(de->d_name, ".json") ||
                    ends_with(de->d_name, ".expected.json"))
                        continue;
                snprintf(name, sizeof(name), "%.*s",
                         (int)(strlen(de->d_name) - 5), de->d_name);
                n++;
                if (!run_case(st, name))
                        failed++;
        }
        closedir(d);
        sink_destroy(st);
        cr_expect_geq(n, 7, "only %d golden cases found", n);
        cr_expect_eq(failed, 0, "%d of %d golden cases failed", failed, n);
}
