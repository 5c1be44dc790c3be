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

/* The hits of @p ev (JSON text; an array stands for an event with these
 * entities) against @p ws at time @p now, as "watch/term/entity" for an
 * entity, "watch/term@in:start-end" for a word or phrase and "watch/-" for
 * a match with nothing to show, separated by spaces. */
static char *match_at(struct sink_watchset *ws, const char *ev, long long now)
{
        struct sink_hits hits = { 0 };
        json_t *j = entities(ev);
        char *s = calloc(1, 4096);
        int i;

        if (!json_is_object(j))
                j = json_pack("{s:o}", "entities", j);
        sink_watchset_match(ws, j, now, &hits);
        for (i = 0; i < hits.n; i++) {
                const struct sink_hit *h = &hits.v[i];
                size_t n = strlen(s);

                if (!h->leaf)
                        snprintf(s + n, 4096 - n, "%s%s/-", i ? " " : "",
                                 ws->w[h->watch].name);
                else if (h->leaf->kind >= SINK_N_LANG)
                        snprintf(s + n, 4096 - n, "%s%s/%s", i ? " " : "",
                                 ws->w[h->watch].name, h->leaf->text);
                else if (h->entity >= 0)
                        snprintf(s + n, 4096 - n, "%s%s/%s/%d", i ? " " : "",
                                 ws->w[h->watch].name, h->leaf->text,
                                 h->entity);
                else
                        snprintf(s + n, 4096 - n, "%s%s/%s@%s:%d-%d",
                                 i ? " " : "", ws->w[h->watch].name,
                                 h->leaf->text,
                                 h->in == SINK_IN_TITLE ? "title" : "text",
                                 h->start, h->end);
        }
        sink_hits_release(&hits);
        json_decref(j);
        return s;
}

static char *match(struct sink_watchset *ws, const char *ev)
{
        return match_at(ws, ev, 1710237900); /* 2024-03-12T10:05:00Z */
}

static void expect_match(struct sink_watchset *ws, const char *ents,
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
        cr_assert_eq(ws->w[0].root->kind, SINK_N_OR);
        cr_assert_eq(ws->w[0].root->nkids, 3);
        cr_expect_str_eq(ws->w[0].root->kids[1]->text, "Wagner Group");
        cr_expect_str_eq(ws->w[0].root->kids[1]->key, "wagner group");
        cr_expect_str_eq(ws->w[0].root->kids[2]->text, "Sergei Shoigu");
        cr_expect_eq(ws->w[0].line, 3);
        cr_expect_str_eq(ws->w[1].name, "burkina");
        cr_assert_eq(ws->w[1].root->nkids, 1);
        cr_expect_str_eq(ws->w[1].root->kids[0]->text, "Burkina Faso");
        cr_expect_eq(ws->w[1].line, 4);
        /* qids are "Q" and digits; "Q0x" is text; "russia" repeats RUSSIA */
        cr_assert_eq(ws->w[2].root->nkids, 4);
        cr_expect(ws->w[2].root->kids[0]->qid);
        cr_expect_str_eq(ws->w[2].root->kids[0]->key, "Q965");
        cr_expect(ws->w[2].root->kids[1]->qid);
        cr_expect_str_eq(ws->w[2].root->kids[1]->key, "Q159");
        cr_expect_not(ws->w[2].root->kids[2]->qid);
        cr_expect_str_eq(ws->w[2].root->kids[3]->text, "RUSSIA");
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
                { "a: A\nno colon here\n", "test.conf:2:14: missing ':'" },
                { "Sahel: Russia\n",
                  "test.conf:1:1: invalid watch name 'Sahel'" },
                { "a b: Russia\n",
                  "test.conf:1:1: invalid watch name 'a b'" },
                { ": Russia\n", "test.conf:1:1: invalid watch name ''" },
                { "a: A\n\n\nb:\n", "test.conf:4:3: watch 'b': no query" },
                { "a: A,\n", "test.conf:1:6: watch 'a': empty term" },
                { "a: A,,B\n", "test.conf:1:6: watch 'a': empty term" },
                { "a: ,A\n", "test.conf:1:4: watch 'a': empty term" },
                { "a: A\nb: B\na: C\n",
                  "test.conf:3:1: duplicate watch 'a' "
                  "(first defined on line 1)" },
                { "a: Russ\xff" "ia\n", "test.conf:1:8: not valid UTF-8" },
                { "a: \xc2\xad\n", "test.conf:1:4: watch 'a': entity "
                                   "'\xc2\xad' is empty once folded" },
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
        cr_expect(strstr(err.msg, "watches-bad.conf:4:1: invalid watch name "
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
        cr_expect_eq(ws->nkeys, 10000);
        expect_match(ws,
                     "[{\"name\":\"entity 4321\",\"qid\":\"Q1\"},"
                     " {\"name\":\"Entity 17\"}]",
                     "w0/Q1/0 w17/Entity 17/1 w4321/Entity 4321/0");
        sink_watchset_destroy(ws);
        free(text);
}

/* ---- the query language ---- */

/* A French article: the title has an accent, the text is in capitals. */
static const char ARTICLE[] =
        "{\"schema\":\"veille.enriched.v1\",\"id\":\"a1\","
        " \"title\":\"Coopération militaire : Ouagadougou et Moscou\","
        " \"text\":\"Le Burkina Faso et la Russie renforcent leur "
        "COOPERATION MILITAIRE. L'Alliance des États du Sahel suit.\","
        " \"lang\":\"fr\",\"site\":\"news.sahel-actu.bf\","
        " \"source\":{\"id\":\"sahel-actu\"},"
        " \"published_at\":\"2024-03-12T08:00:00Z\",\"duplicate_of\":null,"
        " \"entities\":["
        "  {\"type\":\"LOC\",\"name\":\"Burkina Faso\",\"qid\":\"Q965\","
        "   \"salience\":0.9,\"mentions\":[{\"start\":3,\"end\":15,"
        "   \"text\":\"Burkina Faso\",\"in\":\"text\"}]},"
        "  {\"type\":\"LOC\",\"name\":\"Russia\",\"qid\":\"Q159\","
        "   \"salience\":0.4,\"mentions\":[{\"start\":22,\"end\":28,"
        "   \"text\":\"Russie\",\"in\":\"text\"}]},"
        "  {\"type\":\"ORG\",\"name\":\"Alliance of Sahel States\","
        "   \"qid\":null,\"salience\":0.2,\"mentions\":[{\"start\":65,"
        "   \"end\":92,\"text\":\"Alliance des États du Sahel\","
        "   \"in\":\"text\"}]}]}";

static void expect_one(const char *watch, const char *want)
{
        struct sink_watchset *ws = parse_ok(watch);
        char *got = match(ws, ARTICLE);

        cr_expect_str_eq(got, want, "watch %s: got '%s', want '%s'", watch,
                         got, want);
        free(got);
        sink_watchset_destroy(ws);
}

Test(sink_query, entity_by_qid_name_and_alias)
{
        expect_one("a: entity:Q965", "a/Q965/0");
        expect_one("a: entity:\"burkina faso\"", "a/burkina faso/0");
        expect_one("a: entity:\"Alliance of Sahel States\"",
                   "a/Alliance of Sahel States/2");
        /* an alias: what a mention of the entity says */
        expect_one("a: entity:\"ALLIANCE DES ETATS DU SAHEL\"",
                   "a/ALLIANCE DES ETATS DU SAHEL/2");
        expect_one("a: entity:Russie", "a/Russie/1");
        expect_one("a: entity:Q912", "");
        expect_one("a: entity:Q912,Q159", "a/Q159/1");
}

Test(sink_query, words_and_phrases_are_folded)
{
        expect_one("a: \"coopération\"",
                   "a/coopération@title:0-11 a/coopération@text:45-56");
        expect_one("a: \"COOPERATION MILITAIRE\"",
                   "a/COOPERATION MILITAIRE@title:0-21 "
                   "a/COOPERATION MILITAIRE@text:45-66");
        expect_one("a: title:coopération", "a/coopération@title:0-11");
        expect_one("a: text:\"états du sahel\"",
                   "a/états du sahel@text:83-97");
        expect_one("a: title:burkina", "");
        /* whole words only */
        expect_one("a: coop", "");
        expect_one("a: \"militaire coopération\"", "");
}

Test(sink_query, boolean_operators)
{
        expect_one("a: entity:Q159 AND (entity:\"Alliance of Sahel States\" "
                   "OR entity:Q965) AND lang:fr,en AND NOT site:example.com",
                   "a/Q159/1 a/Alliance of Sahel States/2 a/Q965/0 a/fr");
        expect_one("a: entity:Q159 AND NOT entity:Q965", "");
        expect_one("a: entity:Q159 entity:Q965", "a/Q159/1 a/Q965/0");
        expect_one("a: entity:Q912 OR moscou", "a/moscou@title:39-45");
        expect_one("a: NOT entity:Q912", "a/-");
        expect_one("a: NOT (entity:Q912 OR entity:Q965)", "");
        expect_one("a: (entity:Q912 AND entity:Q965) OR lang:de", "");
}

Test(sink_query, lang_source_site)
{
        expect_one("a: lang:fr", "a/fr");
        expect_one("a: lang:en,de", "");
        expect_one("a: source:sahel-actu", "a/sahel-actu");
        expect_one("a: source:Sahel-Actu", "");
        expect_one("a: site:sahel-actu.bf", "a/sahel-actu.bf");
        expect_one("a: site:news.sahel-actu.bf",
                   "a/news.sahel-actu.bf");
        expect_one("a: site:actu.bf", "");
}

Test(sink_query, types_and_salience)
{
        expect_one("a: type:org", "a/org/2");
        expect_one("a: type:PER", "");
        expect_one("a: type:LOC>0.5", "a/LOC/0");
        expect_one("a: entity:Q159>0.5", "");
        expect_one("a: entity:Q159>0.3", "a/Q159/1");
        expect_one("a: entity:Q965,Q159>0.5", "a/Q965/0");
}

Test(sink_query, within)
{
        struct sink_watchset *ws = parse_ok("a: within:1d\nb: within:2h\n");
        char *got;

        /* published 2024-03-12T08:00:00Z */
        got = match_at(ws, ARTICLE, 1710237900); /* 2h05 later */
        cr_expect_str_eq(got, "a/1d");
        free(got);
        got = match_at(ws, ARTICLE, 1710230400 + 3600);
        cr_expect_str_eq(got, "a/1d b/2h");
        free(got);
        got = match_at(ws, ARTICLE, 1710230400 + 86401);
        cr_expect_str_eq(got, "");
        free(got);
        got = match_at(ws, "{\"title\":\"x\"}", 1710230400);
        cr_expect_str_eq(got, "", "no published_at: not within");
        free(got);
        sink_watchset_destroy(ws);
}

Test(sink_query, duplicates_option)
{
        struct sink_watchset *ws = parse_ok(
                "a: entity:Q965\nb: entity:Q965 duplicates:yes\n"
                "c: duplicates:no AND entity:Q965\n");
        json_t *ev = entities(ARTICLE);
        char *text, *got;

        cr_expect(ws->w[0].suppress_duplicates);
        cr_expect_not(ws->w[1].suppress_duplicates);
        cr_expect(ws->w[2].suppress_duplicates);
        json_object_set_new(ev, "duplicate_of", json_string("a0"));
        text = json_dumps(ev, 0);
        got = match(ws, text);
        cr_expect_str_eq(got, "b/Q965/0");
        free(got);
        free(text);
        json_decref(ev);
        sink_watchset_destroy(ws);
}

Test(sink_query, webhook_option)
{
        struct sink_watchset *ws = parse_ok(
                "a: entity:Q965 webhook:https://hooks.example.com/x?t=1\n"
                "b: webhook:\"http://127.0.0.1:8080/h\" AND entity:Q965\n"
                "c: entity:Q965\n");
        char *got;

        cr_expect_str_eq(ws->w[0].webhook, "https://hooks.example.com/x?t=1");
        cr_expect_str_eq(ws->w[1].webhook, "http://127.0.0.1:8080/h");
        cr_expect_null(ws->w[2].webhook);
        /* the query a record may quote leaves the URL out */
        cr_expect_str_eq(ws->w[0].query, "entity:Q965 webhook:...");
        cr_expect_str_eq(ws->w[1].query, "webhook:\"...\" AND entity:Q965");
        /* an option, not a condition: the three match alike */
        got = match(ws, ARTICLE);
        cr_expect_str_eq(got, "a/Q965/0 b/Q965/0 c/Q965/0");
        free(got);
        sink_watchset_destroy(ws);
}

Test(sink_query, first_form_is_any_of)
{
        /* no field, quote, parenthesis or operator: a list of entities */
        expect_one("a: Russia, Q965, Mali", "a/Russia/1 a/Q965/0");
        expect_one("a: coopération", "");
}

Test(sink_query, errors_name_line_and_column)
{
        static const struct {
                const char *text;
                const char *msg;
        } cases[] = {
                { "# c\na: entity:Q1 AND\n",
                  "t.conf:2:17: watch 'a': expected a condition at the end" },
                { "a: (entity:Q1 OR lang:fr\n",
                  "t.conf:1:4: watch 'a': '(' is never closed" },
                { "a: entity:Q1)\n", "t.conf:1:13: watch 'a': unexpected ')'" },
                { "a: foo:bar\n",
                  "t.conf:1:4: watch 'a': unknown field 'foo:'" },
                { "a: \"coup\n", "t.conf:1:4: watch 'a': unterminated quote" },
                { "a: OR lang:fr\n",
                  "t.conf:1:4: watch 'a': expected a condition before 'OR'" },
                { "a: entity:Q1>2\n",
                  "t.conf:1:13: watch 'a': expected a salience from 0 to 1" },
                { "a: lang:fr>0.5\n",
                  "t.conf:1:11: watch 'a': '>' (a salience) only follows" },
                { "a: within:7w\n",
                  "t.conf:1:4: watch 'a': within:7w: expected a number of "
                  "days or hours" },
                { "a: lang:fr OR duplicates:yes\n",
                  "t.conf:1:15: watch 'a': duplicates: is an option" },
                { "a: duplicates:maybe lang:fr\n",
                  "t.conf:1:4: watch 'a': duplicates:maybe: expected yes" },
                { "a: duplicates:yes\n",
                  "watch 'a': no condition, only options" },
                { "a: lang:fr OR webhook:http://h.example/x\n",
                  "t.conf:1:15: watch 'a': webhook: is an option" },
                { "a: lang:fr webhook:ftp://h.example/x\n",
                  "t.conf:1:20: watch 'a': webhook:ftp://h.example/x: "
                  "expected an http:// or https:// URL with a host" },
                { "a: lang:fr webhook:http://\n",
                  "expected an http:// or https:// URL with a host" },
                { "a: lang:fr webhook:http://a.example webhook:http://b.example\n",
                  "t.conf:1:37: watch 'a': webhook: given twice" },
                { "a: webhook:http://a.example\n",
                  "watch 'a': no condition, only options" },
                { "a: \"...\"\n",
                  "t.conf:1:4: watch 'a': '...' has no letter or digit" },
                { "a: entity:\n", "t.conf:1:11: watch 'a': expected a value" },
                { "a: lang:fr,\n", "t.conf:1:12: watch 'a': expected a value" },
                { "a: élan AND ) \n",
                  "t.conf:1:13: watch 'a': expected a condition before ')'" },
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vl_err err = { 0 };
                struct sink_watchset *ws = sink_watchset_parse(
                        cases[i].text, strlen(cases[i].text), "t.conf", &err);

                cr_expect_null(ws, "case %zu parsed", i);
                sink_watchset_destroy(ws);
                cr_expect(strstr(err.msg, cases[i].msg) != NULL,
                          "case %zu: '%s' lacks '%s'", i, err.msg,
                          cases[i].msg);
        }
}

Test(sink_query, deep_nesting_is_refused)
{
        char text[512];
        struct vl_err err = { 0 };

        snprintf(text, sizeof(text), "a: %.100s%s%.100s",
                 "((((((((((((((((((((((((((((((((((((((((((((((((((("
                 "(((((((((((((((((((((((((((((((((((((((((((((((((",
                 "lang:fr",
                 ")))))))))))))))))))))))))))))))))))))))))))))))))))"
                 ")))))))))))))))))))))))))))))))))))))))))))))))))");
        cr_expect_null(sink_watchset_parse(text, strlen(text), "t", &err));
        cr_expect(strstr(err.msg, "more than 32 levels") != NULL, "%s",
                  err.msg);
}

Test(sink_query, quotes_escapes_and_comments)
{
        struct sink_watchset *ws = parse_ok(
                "a: \"say \\\"coopération\\\" # not a comment\" # a comment\n");

        cr_assert_eq(ws->n, 1);
        cr_expect_str_eq(ws->w[0].root->text,
                         "say \"coopération\" # not a comment");
        cr_expect_eq(ws->w[0].root->ntoks, 5);
        sink_watchset_destroy(ws);
}

/* ---- the index ---- */

Test(sink_index, only_candidates_are_evaluated)
{
        struct sink_watchset *ws = parse_ok(
                "a: entity:Q965 AND lang:fr\n"
                "b: lang:fr AND \"coopération militaire\"\n"
                "c: entity:Q1 OR entity:Q2\n"
                "d: NOT entity:Q1\n"
                "e: within:7d\n"
                "f: (entity:Q1 OR NOT lang:fr) AND entity:Q3\n"
                "g: entity:Q1 OR NOT lang:fr\n");

        /* a: by Q965, not lang; b: by the longest word; c: either */
        cr_expect_eq(ws->nalways, 3);
        cr_expect_eq(ws->always[0], 3);
        cr_expect_eq(ws->always[1], 4);
        cr_expect_eq(ws->always[2], 6);
        cr_expect_eq(ws->nkeys, 5); /* qQ965 wcooperation qQ1 qQ2 qQ3 */
        sink_watchset_destroy(ws);
}
