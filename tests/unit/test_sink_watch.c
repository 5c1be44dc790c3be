/* Watches: the watches file and the matcher (sink/watch.c). */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "sink/sink.h"

#define DATA VL_SOURCE_DIR "/tests/data/sink/"

static struct sink_watchset *parse_ok(const char *text)
{
        struct vl_err err = { 0 };
        struct sink_watchset *ws;

        ws = sink_watchset_parse(text, strlen(text), "test.conf", &err);
        cr_assert_not_null(ws, "parse failed: %s", err.msg);
        return ws;
}

static json_t *entities(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);

        cr_assert_not_null(j, "bad test json: %s", jerr.text);
        return j;
}

/* The hits of @p ents (JSON text) against @p ws, as "watch/term/entity"
 * triples separated by spaces. */
static char *match(const struct sink_watchset *ws, const char *ents)
{
        struct sink_hits hits = { 0 };
        json_t *j = entities(ents);
        char *s = calloc(1, 1024);
        int i;

        sink_watchset_match(ws, j, &hits);
        for (i = 0; i < hits.n; i++) {
                size_t n = strlen(s);

                snprintf(s + n, 1024 - n, "%s%s/%s/%d", i ? " " : "",
                         ws->w[hits.v[i].watch].name,
                         ws->w[hits.v[i].watch].terms[hits.v[i].term].text,
                         hits.v[i].entity);
        }
        sink_hits_release(&hits);
        json_decref(j);
        return s;
}

static void expect_match(const struct sink_watchset *ws, const char *ents,
                         const char *want)
{
        char *got = match(ws, ents);

        cr_expect_str_eq(got, want, "matching %s", ents);
        free(got);
}

Test(sink_watch, parses_good_file)
{
        struct sink_watchset *ws = parse_ok(
                "\xef\xbb\xbf# watches\n"
                "\n"
                "sahel-russia: Russia, Wagner Group ,Sergei Shoigu\r\n"
                "   burkina :Burkina Faso   # the country\n"
                "by_qid-2: Q965, q159, Q0x, RUSSIA, russia\n"
                "\t# indented comment\n"
                "niger: Niger");

        cr_assert_eq(ws->n, 4);
        cr_expect_str_eq(ws->w[0].name, "sahel-russia");
        cr_assert_eq(ws->w[0].nterms, 3);
        cr_expect_str_eq(ws->w[0].terms[1].text, "Wagner Group");
        cr_expect_str_eq(ws->w[0].terms[1].folded, "wagner group");
        cr_expect_str_eq(ws->w[0].terms[2].text, "Sergei Shoigu");
        cr_expect_eq(ws->w[0].line, 3);
        cr_expect_str_eq(ws->w[1].name, "burkina");
        cr_assert_eq(ws->w[1].nterms, 1);
        cr_expect_str_eq(ws->w[1].terms[0].text, "Burkina Faso");
        cr_expect_eq(ws->w[1].line, 4);
        /* qids are "Q" and digits; "Q0x" is text; "russia" repeats RUSSIA */
        cr_assert_eq(ws->w[2].nterms, 4);
        cr_expect_eq(ws->w[2].terms[0].kind, SINK_TERM_QID);
        cr_expect_str_eq(ws->w[2].terms[0].folded, "Q965");
        cr_expect_eq(ws->w[2].terms[1].kind, SINK_TERM_QID);
        cr_expect_str_eq(ws->w[2].terms[1].folded, "Q159");
        cr_expect_eq(ws->w[2].terms[2].kind, SINK_TERM_TEXT);
        cr_expect_str_eq(ws->w[2].terms[3].text, "RUSSIA");
        cr_expect_str_eq(ws->w[3].name, "niger");
        cr_expect_eq(ws->w[3].line, 7);
        cr_expect_eq(ws->w[0].suppress_duplicates, true);
        cr_expect_eq(sink_watchset_find(ws, "niger"), 3);
        cr_expect_eq(sink_watchset_find(ws, "mali"), -1);
        sink_watchset_destroy(ws);
}

Test(sink_watch, empty_text_has_no_watches)
{
        struct sink_watchset *ws = parse_ok("# nothing yet\n\n");

        cr_expect_eq(ws->n, 0);
        expect_match(ws, "[{\"name\":\"Niger\"}]", "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, bad_lines_name_file_and_line)
{
        static const struct {
                const char *text;
                const char *msg;
        } cases[] = {
                { "a: A\nno colon here\n", "test.conf:2: missing ':'" },
                { "Sahel: Russia\n",
                  "test.conf:1: invalid watch name 'Sahel'" },
                { "a b: Russia\n", "test.conf:1: invalid watch name 'a b'" },
                { ": Russia\n", "test.conf:1: invalid watch name ''" },
                { "a: A\n\n\nb:\n", "test.conf:4: watch 'b' has no terms" },
                { "a: A,\n", "test.conf:1: empty term in watch 'a'" },
                { "a: A,,B\n", "test.conf:1: empty term in watch 'a'" },
                { "a: ,A\n", "test.conf:1: empty term in watch 'a'" },
                { "a: A\nb: B\na: C\n",
                  "test.conf:3: duplicate watch 'a' "
                  "(first defined on line 1)" },
                { "a: Russ\xff" "ia\n", "test.conf:1: term 'Russ" },
                { "a: \xc2\xad\n", "test.conf:1: term '\xc2\xad' of watch 'a' "
                                   "is empty once folded" },
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vl_err err = { 0 };
                struct sink_watchset *ws = sink_watchset_parse(
                        cases[i].text, strlen(cases[i].text), "test.conf",
                        &err);

                cr_expect_null(ws, "case %zu parsed", i);
                sink_watchset_destroy(ws);
                cr_expect_eq(err.rc, VL_REJECT, "case %zu", i);
                cr_expect(strstr(err.msg, cases[i].msg) != NULL,
                          "case %zu: '%s' lacks '%s'", i, err.msg,
                          cases[i].msg);
        }
}

Test(sink_watch, nul_byte_is_an_error)
{
        struct vl_err err = { 0 };
        static const char text[] = "a: A\nb: B\0C\n";

        cr_expect_null(sink_watchset_parse(text, sizeof(text) - 1, "t", &err));
        cr_expect_str_eq(err.msg, "t:2: NUL byte in line");
}

Test(sink_watch, load_bad_file_names_file_and_line)
{
        struct vl_err err = { 0 };

        cr_assert_null(sink_watchset_load(DATA "watches-bad.conf", &err));
        cr_expect(strstr(err.msg, "watches-bad.conf:4: invalid watch name "
                                  "'Sahel Russia'") != NULL,
                  "got '%s'", err.msg);
}

Test(sink_watch, load_missing_file)
{
        struct vl_err err = { 0 };

        cr_assert_null(sink_watchset_load(DATA "no-such-file.conf", &err));
        cr_expect_eq(err.rc, VL_REJECT);
        cr_expect(strstr(err.msg, "no-such-file.conf") != NULL, "got '%s'",
                  err.msg);
}

Test(sink_watch, load_sample_file)
{
        struct vl_err err = { 0 };
        struct sink_watchset *ws;

        ws = sink_watchset_load(VL_SOURCE_DIR "/deploy/samples/watches.conf",
                                &err);
        cr_assert_not_null(ws, "%s", err.msg);
        cr_expect_geq(ws->n, 3);
        cr_expect_geq(sink_watchset_find(ws, "sahel-russia"), 0);
        sink_watchset_destroy(ws);
}

Test(sink_watch, name_is_folded)
{
        struct sink_watchset *ws = parse_ok("burkina: burkina faso\n");

        expect_match(ws, "[{\"name\":\"Burkina Faso\",\"mentions\":[]}]",
                     "burkina/burkina faso/0");
        expect_match(ws, "[{\"name\":\"BURKINA  FASO\"}]",
                     "burkina/burkina faso/0");
        expect_match(ws, "[{\"name\":\"Burkina\"}]", "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, mention_text_is_folded)
{
        struct sink_watchset *ws = parse_ok("ru: RUSSIE\n");

        expect_match(ws,
                     "[{\"name\":\"France\"},"
                     " {\"name\":\"Russia\",\"qid\":\"Q159\",\"mentions\":["
                     "  {\"start\":0,\"end\":6,\"text\":\"Russia\"},"
                     "  {\"start\":9,\"end\":15,\"text\":\"Russie\"}]}]",
                     "ru/RUSSIE/1");
        sink_watchset_destroy(ws);
}

Test(sink_watch, matching_is_on_what_the_event_carries)
{
        struct sink_watchset *ws = parse_ok("ru: Russie\n");

        /* no translation: "Russie" names nothing in an English event */
        expect_match(ws,
                     "[{\"name\":\"Russia\",\"qid\":\"Q159\",\"mentions\":["
                     "  {\"start\":0,\"end\":6,\"text\":\"Russia\"}]}]",
                     "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, matches_qid)
{
        struct sink_watchset *ws = parse_ok("bf: Q965\nlower: q965\n");

        expect_match(ws,
                     "[{\"name\":\"Mali\",\"qid\":\"Q912\"},"
                     " {\"name\":\"Burkina\",\"qid\":\"Q965\"}]",
                     "bf/Q965/1 lower/q965/1");
        /* a qid term names an id, never a text */
        expect_match(ws,
                     "[{\"name\":\"Q965\",\"mentions\":[{\"text\":\"Q965\"}]}]",
                     "");
        expect_match(ws, "[{\"name\":\"Burkina Faso\",\"qid\":null}]", "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, text_term_never_matches_a_qid)
{
        struct sink_watchset *ws = parse_ok("odd: Q965 x\n");

        expect_match(ws, "[{\"name\":\"Burkina Faso\",\"qid\":\"Q965\"}]", "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, several_watches_one_event)
{
        struct sink_watchset *ws = parse_ok(
                "sahel-russia: Russia, Wagner Group, Sergei Shoigu\n"
                "burkina: Burkina Faso\n"
                "niger: Niger\n"
                "by-qid: Q965, Q159\n");

        expect_match(ws,
                     "[{\"name\":\"Burkina Faso\",\"qid\":\"Q965\"},"
                     " {\"name\":\"Wagner Group\",\"mentions\":["
                     "   {\"text\":\"Wagner\"}]},"
                     " {\"name\":\"Russia\",\"qid\":\"Q159\",\"mentions\":["
                     "   {\"text\":\"Russia\"},{\"text\":\"Russie\"},"
                     "   {\"text\":\"Russia\"}]}]",
                     "sahel-russia/Russia/2 sahel-russia/Wagner Group/1 "
                     "burkina/Burkina Faso/0 by-qid/Q965/0 by-qid/Q159/2");
        sink_watchset_destroy(ws);
}

Test(sink_watch, name_and_mention_hit_once)
{
        struct sink_watchset *ws = parse_ok("ne: niger\n");

        expect_match(ws,
                     "[{\"name\":\"Niger\",\"mentions\":[{\"text\":\"NIGER\"},"
                     "  {\"text\":\"Niger\"},{\"text\":\"niger\"}]}]",
                     "ne/niger/0");
        sink_watchset_destroy(ws);
}

Test(sink_watch, odd_entities_are_skipped)
{
        struct sink_watchset *ws = parse_ok("ne: Niger\n");

        expect_match(ws,
                     "[1, \"Niger\", null, {\"name\": 3, \"qid\": 4},"
                     " {\"mentions\": \"Niger\"}, {\"mentions\": [1, null]},"
                     " {\"name\":\"Niger\"}]",
                     "ne/Niger/6");
        expect_match(ws, "{\"name\":\"Niger\"}", "");
        sink_watchset_destroy(ws);
}

Test(sink_watch, many_watches)
{
        char *text = malloc(5000 * 40);
        size_t n = 0;
        struct sink_watchset *ws;
        int i;

        for (i = 0; i < 5000; i++)
                n += (size_t)snprintf(text + n, 5000 * 40 - n,
                                      "w%d: Entity %d, Q%d\n", i, i, i + 1);
        ws = parse_ok(text);
        cr_assert_eq(ws->n, 5000);
        cr_expect_eq(ws->nidx, 10000);
        expect_match(ws,
                     "[{\"name\":\"entity 4321\",\"qid\":\"Q1\"},"
                     " {\"name\":\"Entity 17\"}]",
                     "w0/Q1/0 w17/Entity 17/1 w4321/Entity 4321/0");
        sink_watchset_destroy(ws);
        free(text);
}
