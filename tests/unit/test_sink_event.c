/* The sink reads an enriched event without a jansson tree (sink/event.c
 * sink_event_scan); jansson reads it when the JSONL file is on and when the
 * scan cannot tell. Both must give the same result: the same records, byte
 * for byte, and the same errors, on sound and on damaged events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "veille/buf.h"
#include "sink/sink.h"
#include "vl_test.h"

#define DATA VL_SOURCE_DIR "/tests/data/sink/"

static const char watches[] =
        "names: Burkina Faso, Russia, Q965\n"
        "aes: entity:\"Alliance of Sahel States\" AND lang:fr\n"
        "coop: \"cooperation militaire\" OR title:moscou\n"
        "ru: entity:Q159>0.3 AND (type:LOC OR \"dossier\") AND NOT "
        "site:example.com\n"
        "src: source:sahel-actu AND site:sahel-actu.bf\n"
        "notice: NOT lang:en within:3650d\n"
        "orgs: type:ORG duplicates:yes\n"
        "recent: entity:Q965 within:30d\n"
        "ment: entity:Russie OR entity:\"Etats du Sahel\"\n";

/* The doc event with "@now" replaced by yesterday's date. */
static char *doc_event(size_t *len)
{
        char *s = vl_test_read(DATA "doc/event.json", len), *at, date[32];
        time_t t = time(NULL) - 86400;
        struct tm tm;
        struct vl_buf b;

        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
        at = strstr(s, "@now");
        cr_assert_not_null(at);
        vl_buf_init(&b, 0);
        vl_buf_append(&b, s, (size_t)(at - s), NULL);
        vl_buf_append(&b, date, strlen(date), NULL);
        vl_buf_append(&b, at + 4, strlen(at + 4), NULL);
        free(s);
        return vl_buf_take(&b, len);
}

/* Escapes everywhere, odd but valid values. */
static const char odd[] =
        "{\"schema\":\"veille.enriched.v1\",\"id\":\"o\\u0031\","
        "\"title\":\"Coop\\u00e9ration \\\"militaire\\\" \\/ Moscou\","
        "\"lang\":\"fr-BF\",\"site\":\"www.sahel-actu.bf\","
        "\"source\":\"sahel-actu\",\"duplicate_of\":null,"
        "\"published_at\":\"2001-01-01T00:00:00Z\","
        "\"text\":\"L'\\u00c9tat \\ud83d\\ude00 et la Russie\\n\\tdossier\","
        "\"entities\":[{\"type\":\"loc\",\"name\":\"Russ\\u0069a\","
        "\"qid\":\"Q159\",\"salience\":1,\"mentions\":[{\"start\":-0,"
        "\"end\":12,\"in\":\"\\u0074ext\",\"text\":\"Russie\"},"
        "{\"start\":true,\"end\":null,\"in\":false},{}]},"
        "{\"type\":\"ORG\",\"name\":\"Alliance of Sahel States\","
        "\"qid\":null,\"salience\":\"high\",\"mentions\":[]},"
        "{\"name\":\"Niger\",\"qid\":\"Q1032\",\"salience\":0.35e1}],"
        "\"extra\":{\"a\":[1,{\"b\":2,\"c\":[{},[]]}],\"d\":\"\\\\\"}}";

static void *sink_new(char *wpath, bool tree)
{
        static char prefix[] = "veille.watch.";
        struct sink_conf cf = { 0 };
        static struct sink_conf cfs[2];
        struct vl_err err = { 0 };
        void *st = NULL;

        cf.watches = wpath;
        cf.watch_prefix = prefix;
        cfs[tree] = cf;
        cr_assert_eq(sink_init(&st, NULL, &cfs[tree], NULL, &err), VL_OK,
                     "%s", err.msg);
        sink_use_tree(st, tree);
        return st;
}

struct both {
        void *fast, *tree;
        struct vl_out of, ot;
        int ok, rejected, matched;
};

/* @returns whether both paths agree on @p s. */
static bool agree(struct both *b, const char *s, size_t n)
{
        struct vl_in in = { 0 };
        struct vl_err ef = { 0 }, et = { 0 };
        enum vl_rc rf, rt;
        bool same = true;
        int i, h;

        in.topic = "veille.enriched";
        in.value = s;
        in.len = n;
        vl_out_clear(&b->of);
        vl_out_clear(&b->ot);
        rf = sink_process(b->fast, &in, &b->of, &ef);
        rt = sink_process(b->tree, &in, &b->ot, &et);
        if (rf != rt || (rf && strcmp(ef.msg, et.msg) != 0) ||
            b->of.n != b->ot.n) {
                cr_log_error("rc %s/%s '%s'/'%s', %d/%d records", vl_rc_name(rf),
                             vl_rc_name(rt), ef.msg, et.msg, b->of.n,
                             b->ot.n);
                return false;
        }
        b->ok += rf == VL_OK;
        b->rejected += rf == VL_REJECT;
        b->matched += b->of.n > 0;
        for (i = 0; i < b->of.n && same; i++) {
                const struct vl_rec *x = &b->of.recs[i], *y = &b->ot.recs[i];

                same = strcmp(x->topic, y->topic) == 0 &&
                       strcmp(x->key, y->key) == 0 && x->len == y->len &&
                       memcmp(x->value, y->value, x->len) == 0 &&
                       x->nhdrs == y->nhdrs;
                for (h = 0; h < x->nhdrs && same; h++)
                        same = strcmp(x->hdrs[h].name, y->hdrs[h].name) == 0 &&
                               (strcmp(x->hdrs[h].name, "ce_time") == 0 ||
                                strcmp(x->hdrs[h].value, y->hdrs[h].value) ==
                                        0);
                if (!same)
                        cr_log_error("record %d differs:\n%.*s\n%.*s", i,
                                     (int)x->len, x->value, (int)y->len,
                                     y->value);
        }
        return same;
}

static char path[] = "/tmp/veille-sink-event-XXXXXX";

static void both_init(struct both *b)
{
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, watches, sizeof(watches) - 1),
                     (ssize_t)(sizeof(watches) - 1));
        close(fd);
        memset(b, 0, sizeof(*b));
        b->fast = sink_new(path, false);
        b->tree = sink_new(path, true);
        unlink(path);
        vl_out_init(&b->of, "urn:veille:sink");
        vl_out_init(&b->ot, "urn:veille:sink");
        vl_out_set_id_base(&b->of, "t");
        vl_out_set_id_base(&b->ot, "t");
}

static void both_release(struct both *b)
{
        sink_destroy(b->fast);
        sink_destroy(b->tree);
        vl_out_release(&b->of);
        vl_out_release(&b->ot);
}

Test(sink_event, sound_events_alike)
{
        static const char *const golden[] = {
                "sahel-fr", "duplicate", "mention-only", "no-match",
                "bad-entity", "truncated", "wrong-schema",
        };
        struct both b;
        size_t n, i;
        char *s, p[512];

        both_init(&b);
        s = doc_event(&n);
        cr_expect(agree(&b, s, n), "doc event");
        cr_expect_geq(b.of.n, 6, "the doc event matches %d watches", b.of.n);
        free(s);
        cr_expect(agree(&b, odd, sizeof(odd) - 1), "odd event");
        { /* read by the scan, not left to jansson */
                struct sink_event e = { 0 };
                struct vl_err err = { 0 };

                cr_expect_eq(sink_event_scan(&e, odd, sizeof(odd) - 1, &err),
                             SINK_SCAN_OK);
                sink_event_release(&e);
        }
        cr_expect_geq(b.of.n, 3, "the odd event matches %d watches", b.of.n);
        for (i = 0; i < sizeof(golden) / sizeof(*golden); i++) {
                snprintf(p, sizeof(p), DATA "%s.json", golden[i]);
                s = vl_test_read(p, &n);
                cr_expect(agree(&b, s, n), "%s", golden[i]);
                free(s);
        }
        both_release(&b);
}

/* What the scan leaves to jansson, and what it reads itself. */
Test(sink_event, scan_or_tree)
{
        static const struct {
                const char *json;
                enum sink_scan want;
        } cases[] = {
                { "{\"id\":\"x\"}", SINK_SCAN_OK },
                { "{\"id\":\"x\",\"id\":\"y\"}", SINK_SCAN_REJECT },
                { "{\"a\":{\"k\":1,\"k\":2}}", SINK_SCAN_TREE },
                { "{\"a\":[{\"k\":1},{\"k\":2}]}", SINK_SCAN_OK },
                { "{\"i\\u0064\":\"x\"}", SINK_SCAN_TREE },
                { "{\"n\":123456789012345678}", SINK_SCAN_OK },
                { "{\"n\":1234567890123456789}", SINK_SCAN_TREE },
                { "{\"n\":1e99}", SINK_SCAN_OK },
                { "{\"n\":1e999}", SINK_SCAN_TREE },
                { "{\"entities\":[{\"mentions\":[{\"start\":1.5}]}]}",
                  SINK_SCAN_TREE },
                { "{\"entities\":[{\"mentions\":[{\"in\":[]}]}]}",
                  SINK_SCAN_TREE },
                { "{\"entities\":[{\"mentions\":[{\"in\":\"x\"}]}]}",
                  SINK_SCAN_OK },
                { "[]", SINK_SCAN_REJECT },
                { "{\"a\":\"\\u0000\"}", SINK_SCAN_REJECT },
        };
        struct sink_event e = { 0 };
        struct vl_err err = { 0 };

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
                cr_expect_eq(sink_event_scan(&e, cases[i].json,
                                             strlen(cases[i].json), &err),
                             cases[i].want, "%s", cases[i].json);
        sink_event_release(&e);
}

Test(sink_event, damaged_events_alike)
{
        static const char *const snippets[] = {
                "1e999", "99999999999999999999", "1.5", "\"\\u0041\"",
                "{\"a\":1,\"a\":2}", "null", "[]", "{}", "-0", "true",
                "\"x\"", ",\"id\":\"z\"", "\\u00e9", "[{\"name\":\"N\"}]",
        };
        struct both b;
        struct sink_event e = { 0 };
        struct vl_err err = { 0 };
        size_t dn, len, cap;
        char *doc = doc_event(&dn), *buf;
        const char *src;
        int k, agreed = 0, scanned = 0, total = 12000;

        both_init(&b);
        cap = dn + sizeof(odd) + 4096;
        buf = malloc(cap);
        srand(11);
        for (k = 0; k < total; k++) {
                int d;

                src = k % 2 ? odd : doc;
                len = k % 2 ? sizeof(odd) - 1 : dn;
                memcpy(buf, src, len);
                for (d = 0; d < 1 + rand() % 3 && len; d++) {
                        size_t at = (size_t)rand() % len, m;
                        const char *sn;

                        switch (rand() % 5) {
                        case 0: /* a byte replaced by a JSON-ish one */
                                buf[at] = "{}[]\",:\\0123456789.eE+-tfnul "
                                          "\x80\xc3\x01"[rand() % 33];
                                break;
                        case 1: /* a byte removed */
                                memmove(buf + at, buf + at + 1, len - at - 1);
                                len--;
                                break;
                        case 2: /* cut short */
                                if (rand() % 4 == 0)
                                        len = at;
                                break;
                        case 3: /* a slice repeated (duplicate keys...) */
                                m = (size_t)rand() % 64;
                                if (at + m > len)
                                        m = len - at;
                                if (len + m < cap) {
                                        memmove(buf + at + m, buf + at,
                                                len - at);
                                        len += m;
                                }
                                break;
                        default: /* a value put in */
                                sn = snippets[(size_t)rand() %
                                              (sizeof(snippets) /
                                               sizeof(*snippets))];
                                m = strlen(sn);
                                if (len + m < cap) {
                                        memmove(buf + at + m, buf + at,
                                                len - at);
                                        memcpy(buf + at, sn, m);
                                        len += m;
                                }
                                break;
                        }
                }
                if (agree(&b, buf, len))
                        agreed++;
                else
                        cr_expect_fail("disagree on %.*s", (int)len, buf);
                scanned += sink_event_scan(&e, buf, len, &err) ==
                           SINK_SCAN_OK;
        }
        cr_expect_eq(agreed, total);
        /* the damage did damage, and left some events whole enough */
        cr_expect_gt(b.rejected, total / 4, "%d rejected", b.rejected);
        cr_expect_gt(b.ok, total / 10, "%d accepted", b.ok);
        cr_expect_gt(b.matched, total / 10, "%d matched", b.matched);
        cr_expect_gt(scanned, total / 10, "%d read by the scan", scanned);
        sink_event_release(&e);
        free(buf);
        free(doc);
        both_release(&b);
}
