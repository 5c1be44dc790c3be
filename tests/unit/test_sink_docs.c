/* Every example of docs/watches.md is a test: the ```watches blocks load
 * (all together, as one file), each ```watches-bad block is refused with
 * the message of the ```text block after it, and the watches match
 * tests/data/sink/doc/event.json as tests/data/sink/doc/event.expected
 * says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "veille/buf.h"
#include "veille/date.h"
#include "sink/sink.h"
#include "vl_test.h"

#define DOC VL_SOURCE_DIR "/docs/watches.md"
#define DATA VL_SOURCE_DIR "/tests/data/sink/"

/* The blocks fenced as ```<lang>, in order, each as new text. */
static int blocks(const char *doc, const char *lang, char **out, int max)
{
        char fence[64];
        const char *p = doc;
        int n = 0;

        snprintf(fence, sizeof(fence), "```%s\n", lang);
        while (n < max) {
                const char *start = strstr(p, fence), *end;

                if (!start)
                        break;
                if (start != doc && start[-1] != '\n') {
                        p = start + 1;
                        continue;
                }
                start += strlen(fence);
                end = strstr(start, "```");
                cr_assert_not_null(end, "unterminated ```%s block", lang);
                out[n++] = strndup(start, (size_t)(end - start));
                p = end + 3;
        }
        return n;
}

static struct sink_watchset *doc_watches(void)
{
        char *doc = vl_test_read(DOC, NULL), *b[64];
        struct vl_buf all;
        struct vl_err err = { 0 };
        struct sink_watchset *ws;
        int n, i;

        n = blocks(doc, "watches", b, 64);
        cr_assert_geq(n, 6, "docs/watches.md has %d ```watches blocks", n);
        vl_buf_init(&all, 0);
        for (i = 0; i < n; i++) {
                vl_buf_append(&all, b[i], strlen(b[i]), NULL);
                free(b[i]);
        }
        ws = sink_watchset_parse(all.data, all.len, "docs/watches.md", &err);
        cr_assert_not_null(ws, "an example does not load: %s", err.msg);
        vl_buf_release(&all);
        free(doc);
        return ws;
}

Test(sink_docs, examples_load)
{
        struct sink_watchset *ws = doc_watches();

        cr_expect_geq(ws->n, 12);
        cr_expect_geq(sink_watchset_find(ws, "sahel-russia"), 0);
        sink_watchset_destroy(ws);
}

Test(sink_docs, bad_examples_give_their_message)
{
        char *doc = vl_test_read(DOC, NULL), *bad[32], *msg[64];
        int nbad, nmsg, i;

        nbad = blocks(doc, "watches-bad", bad, 32);
        nmsg = blocks(doc, "text", msg, 64);
        cr_assert_geq(nbad, 5);
        for (i = 0; i < nbad; i++) {
                struct vl_err err = { 0 };
                struct sink_watchset *ws;
                /* the ```text block right after this one */
                const char *after = strstr(doc, bad[i]) + strlen(bad[i]);
                char *want = NULL;
                int k;

                for (k = 0; k < nmsg; k++) {
                        const char *at = strstr(after, msg[k]);

                        if (at && at - after < 16) {
                                want = msg[k];
                                break;
                        }
                }
                cr_assert_not_null(want, "no ```text after '%s'", bad[i]);
                want[strcspn(want, "\n")] = '\0';
                ws = sink_watchset_parse(bad[i], strlen(bad[i]),
                                         "watches.conf", &err);
                cr_expect_null(ws, "'%s' loaded", bad[i]);
                sink_watchset_destroy(ws);
                cr_expect_str_eq(err.msg, want, "'%s': got '%s', want '%s'",
                                 bad[i], err.msg, want);
                free(bad[i]);
        }
        for (i = 0; i < nmsg; i++)
                free(msg[i]);
        free(doc);
}

/* The names of the watches @p ev matches, one per line. */
static char *matching(struct sink_watchset *ws, json_t *ev, long long now)
{
        struct sink_hits hits = { 0 };
        struct vl_buf b;
        int i;

        vl_buf_init(&b, 0);
        sink_watchset_match(ws, ev, now, &hits);
        for (i = 0; i < hits.n; i++)
                if (i == 0 || hits.v[i].watch != hits.v[i - 1].watch)
                        vl_buf_printf(&b, "%s\n", ws->w[hits.v[i].watch].name);
        vl_buf_append(&b, "", 1, NULL);
        sink_hits_release(&hits);
        return vl_buf_take(&b, NULL);
}

Test(sink_docs, examples_match_the_doc_event)
{
        struct sink_watchset *ws = doc_watches();
        char *want = vl_test_read(DATA "doc/event.expected", NULL), *p, *got;
        char now_s[VL_DATE_LEN];
        struct vl_buf w;
        json_error_t jerr;
        json_t *ev;
        long long now = (long long)time(NULL);
        int i;

        ev = json_load_file(DATA "doc/event.json", 0, &jerr);
        cr_assert_not_null(ev, "%s", jerr.text);
        vl_date_format(now - 60, now_s);
        json_object_set_new(ev, "published_at", json_string(now_s));
        /* the expected names, in file order, without comments */
        vl_buf_init(&w, 0);
        for (p = want; *p;) {
                size_t n = strcspn(p, "\n");

                if (n && p[0] != '#') {
                        vl_buf_append(&w, p, n, NULL);
                        vl_buf_append(&w, "\n", 1, NULL);
                }
                p += n + (p[n] == '\n');
        }
        vl_buf_append(&w, "", 1, NULL);
        got = matching(ws, ev, now);
        cr_expect_str_eq(got, w.data, "got:\n%s\nwant:\n%s", got, w.data);
        free(got);
        /* a near-duplicate: only the watches that ask for them */
        json_object_set_new(ev, "duplicate_of", json_string("00ff"));
        got = matching(ws, ev, now);
        vl_buf_reset(&w);
        for (i = 0; i < ws->n; i++)
                if (!ws->w[i].suppress_duplicates)
                        vl_buf_printf(&w, "%s\n", ws->w[i].name);
        vl_buf_append(&w, "", 1, NULL);
        cr_expect_str_eq(got, w.data, "duplicate: got:\n%s\nwant:\n%s", got,
                         w.data);
        cr_expect_str_eq(got, "all-burkina-copies\n");
        free(got);
        /* three days later, recent-french no longer matches */
        json_object_set_new(ev, "duplicate_of", json_null());
        got = matching(ws, ev, now + 3 * 86400);
        cr_expect_null(strstr(got, "recent-french"), "%s", got);
        cr_expect_not_null(strstr(got, "sahel-russia"), "%s", got);
        free(got);
        vl_buf_release(&w);
        free(want);
        json_decref(ev);
        sink_watchset_destroy(ws);
}

/* The ```json record of the doc is what the sink publishes. */
Test(sink_docs, record_example_is_what_the_sink_publishes)
{
        char dir[] = "/tmp/veille-sink-docs-XXXXXX", path[64];
        char *doc = vl_test_read(DOC, NULL), *js[8], *b[64], *value, *value2;
        static char prefix[] = "veille.watch.";
        struct sink_conf cf = { 0 };
        struct vl_out out;
        struct vl_in in = { 0 };
        struct vl_err err = { 0 };
        json_error_t jerr;
        json_t *want, *got = NULL, *ev;
        void *st = NULL;
        FILE *fp;
        int n, i;

        cr_assert_eq(blocks(doc, "json", js, 8), 1);
        want = json_loads(js[0], 0, &jerr);
        cr_assert_not_null(want, "the doc's json: %s", jerr.text);
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/watches.conf", dir);
        fp = fopen(path, "w");
        cr_assert_not_null(fp);
        n = blocks(doc, "watches", b, 64);
        for (i = 0; i < n; i++) {
                fputs(b[i], fp);
                free(b[i]);
        }
        fclose(fp);
        cf.watches = path;
        cf.watch_prefix = prefix;
        cr_assert_eq(sink_init(&st, NULL, &cf, NULL, &err), VL_OK, "%s",
                     err.msg);
        ev = json_load_file(DATA "doc/event.json", 0, &jerr);
        cr_assert_not_null(ev);
        json_object_set_new(ev, "published_at", json_string("2026-01-01"));
        value = json_dumps(ev, 0);
        in.value = value;
        in.len = strlen(value);
        vl_out_init(&out, "urn:veille:sink");
        cr_assert_eq(sink_process(st, &in, &out, &err), VL_OK, "%s", err.msg);
        for (i = 0; i < out.n; i++)
                if (strcmp(out.recs[i].topic, "veille.watch.cooperation-fr") ==
                    0)
                        got = json_loadb(out.recs[i].value, out.recs[i].len, 0,
                                         &jerr);
        cr_assert_not_null(got, "no record for cooperation-fr");
        cr_expect(json_equal(json_object_get(got, "watch"),
                             json_object_get(want, "watch")));
        value2 = json_dumps(json_object_get(got, "matched"), 0);
        cr_expect(json_equal(json_object_get(got, "matched"),
                             json_object_get(want, "matched")),
                  "got %s", value2);
        free(value2);
        cr_expect(json_equal(json_object_get(got, "schema"),
                             json_object_get(want, "schema")));
        json_decref(got);
        json_decref(want);
        json_decref(ev);
        vl_out_release(&out);
        sink_destroy(st);
        unlink(path);
        rmdir(dir);
        free(value);
        free(js[0]);
        free(doc);
}
