/* The enricher's alias table: the TSV format, its errors, merges, lookups,
 * and the shipped gazetteer itself. */
#include <criterion/criterion.h>
#include <string.h>
#include "enricher/enricher.h"

#define GAZETTEER VL_SOURCE_DIR "/enricher/data/gazetteer.tsv"

static struct enricher_gazetteer *gz;
static struct vl_err err;

static void setup(void)
{
        gz = enricher_gazetteer_new();
        memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
        enricher_gazetteer_destroy(gz);
}

static enum vl_rc load(const char *tsv)
{
        return enricher_gazetteer_load_mem(gz, "test.tsv", tsv, strlen(tsv),
                                           &err);
}

/* the alias index found for the words of @p s, or -1 */
static int64_t find(const char *s)
{
        struct enricher_tokens tk;
        uint64_t h = ENRICHER_SEQ_SEED;
        int64_t r;

        enricher_tokens_init(&tk);
        enricher_tokenize(&tk, s, strlen(s));
        for (size_t i = 0; i < tk.n; i++)
                h = enricher_hash_seq(h, tk.v[i].h);
        r = enricher_gazetteer_find(gz, &tk, 0, tk.n, h);
        enricher_tokens_release(&tk);
        return r;
}

static const char *entity_of(const char *alias)
{
        int64_t a = find(alias);

        if (a < 0 || a == ENRICHER_NONE)
                return NULL;
        return gz->ent[gz->al[a].entity].name;
}

TestSuite(enricher_gazetteer, .init = setup, .fini = teardown);

Test(enricher_gazetteer, parses_entries)
{
        cr_assert_eq(
                load("# comment\n\n"
                     "Moscow\tLOC\tQ649\tMoscou|Moscow|Moskva\r\n"
                     "Sergei Shoigu\tPER\t\tSergueï Choïgou|Choïgou\n"
                     "Alliance of Sahel States\tORG\t-\t"
                     "AES|~Confédération\n"),
                VL_OK, "%s", err.msg);
        cr_expect_eq(gz->nent, 3);
        cr_expect_str_eq(gz->ent[0].qid, "Q649");
        cr_expect_str_eq(gz->ent[1].qid, "");
        cr_expect_str_eq(gz->ent[2].qid, "");
        cr_expect_eq(gz->ent[1].type, ENRICHER_PER);
        cr_expect_str_eq(entity_of("MOSCOU"), "Moscow");
        cr_expect_str_eq(entity_of("serguei choigou"), "Sergei Shoigu");
        /* the canonical name is an alias too */
        cr_expect_str_eq(entity_of("Sergei Shoigu"), "Sergei Shoigu");
        /* a prefix of a longer alias is known, but has no alias itself */
        cr_expect_eq(find("Sergueï"), ENRICHER_NONE);
        cr_expect_eq(find("Paris"), -1);
        cr_expect_eq(gz->maxtok, 4);
        cr_expect_eq(enricher_gazetteer_entity(gz, "Moscow"), 0);
        cr_expect_eq(enricher_gazetteer_entity(gz, "Paris"), -1);
}

Test(enricher_gazetteer, alias_flags)
{
        int64_t a;

        cr_assert_eq(load("United Nations\tORG\tQ1065\tONU|UN|Nations unies\n"
                          "Gao\tLOC\t\tGao\n"
                          "Liptako-Gourma\tLOC\t\ttrois frontières\n"
                          "Alliance of Sahel States\tORG\t\t"
                          "~Confédération\n"),
                     VL_OK, "%s", err.msg);
        a = find("ONU");
        cr_assert_geq(a, 0);
        cr_expect(gz->al[a].flags & ENRICHER_ALIAS_EXACT);
        cr_expect_not(gz->al[a].flags & ENRICHER_ALIAS_STOPWORD);
        a = find("UN");
        cr_expect(gz->al[a].flags & ENRICHER_ALIAS_STOPWORD);
        a = find("Gao"); /* fewer than 4 letters: exact case */
        cr_expect(gz->al[a].flags & ENRICHER_ALIAS_EXACT);
        a = find("Nations unies");
        cr_expect_not(gz->al[a].flags & ENRICHER_ALIAS_EXACT);
        cr_expect(gz->al[a].flags & ENRICHER_ALIAS_PROPER);
        a = find("trois frontières");
        cr_expect_not(gz->al[a].flags & ENRICHER_ALIAS_PROPER);
        a = find("Confédération");
        cr_expect(gz->al[a].flags & ENRICHER_ALIAS_ANAPHOR);
}

Test(enricher_gazetteer, errors_name_the_line)
{
        cr_expect_eq(load("Moscow\tLOC\tQ649\tMoscou\nParis\tCITY\t\tParis\n"),
                     VL_FATAL);
        cr_expect(strstr(err.msg, "test.tsv:2") != NULL, "%s", err.msg);
        cr_expect(strstr(err.msg, "CITY") != NULL, "%s", err.msg);
}

Test(enricher_gazetteer, rejects_bad_qid)
{
        cr_expect_eq(load("Moscow\tLOC\t649\tMoscou\n"), VL_FATAL);
        cr_expect(strstr(err.msg, "Wikidata") != NULL, "%s", err.msg);
}

Test(enricher_gazetteer, rejects_bad_lines)
{
        cr_expect_eq(load("Moscow\n"), VL_FATAL);
        cr_expect_eq(load("Moscow\tLOC\tQ649\tMoscou\textra\n"), VL_FATAL);
        cr_expect_eq(load("\tLOC\t\tx\n"), VL_FATAL);
        cr_expect_eq(load("Xx\tLOC\t\tX\n"), VL_FATAL,
                     "one letter is no alias");
        cr_expect_eq(load("Bad\tLOC\t\tMosc\xc3\n"), VL_FATAL);
        cr_expect(strstr(err.msg, "UTF-8") != NULL, "%s", err.msg);
}

Test(enricher_gazetteer, later_files_merge_and_win)
{
        cr_assert_eq(load("Russia\tLOC\t\tRussie\n"
                          "Congo\tLOC\tQ971\tCongo\n"),
                     VL_OK);
        cr_assert_eq(
                load("Russia\tLOC\tQ159\tFédération de Russie\n"
                     "Democratic Republic of the Congo\tLOC\tQ974\tCongo\n"),
                VL_OK, "%s", err.msg);
        cr_expect_eq(gz->nent, 3);
        cr_expect_str_eq(gz->ent[0].qid, "Q159");
        cr_expect_str_eq(entity_of("Fédération de Russie"), "Russia");
        cr_expect_str_eq(entity_of("Russie"), "Russia");
        cr_expect_str_eq(entity_of("Congo"),
                         "Democratic Republic of the Congo");
}

Test(enricher_gazetteer, duplicate_aliases_are_kept_once)
{
        cr_assert_eq(load("Mali\tLOC\tQ912\tMali|Mali|MALI|mali\n"), VL_OK);
        cr_expect_eq(gz->nal, 3); /* "Mali", "MALI" (exact), "mali" */
}

Test(enricher_gazetteer, first_word_index_of_people)
{
        size_t first, n;

        cr_assert_eq(load("Célestin Simporé\tPER\t\tSimporé\n"
                          "Célestin Dupont\tPER\t\t\n"
                          "Celestin Island\tLOC\t\t\n"),
                     VL_OK);
        n = enricher_gazetteer_by_first(gz, enricher_hash_bytes("celestin", 8),
                                        &first);
        cr_expect_eq(n, 2, "only people's full names");
}

Test(enricher_gazetteer, shipped_file_loads)
{
        static const char *const need[][2] = {
                {"Burkina Faso", "Q965"}, {"Russia", "Q159"},
                {"Moscow", "Q649"},      {"Ouagadougou", "Q3777"},
                {"Mali", "Q912"},        {"Niger", "Q1032"},
                {"United Nations", "Q1065"},
                {"Economic Community of West African States", "Q193272"},
                {"Alliance of Sahel States", ""}, {"Sergei Shoigu", ""},
        };

        cr_assert_eq(enricher_gazetteer_load(gz, GAZETTEER, &err), VL_OK, "%s",
                     err.msg);
        cr_expect_geq(gz->nent, 400);
        cr_expect_geq(gz->nal, 900);
        for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
                int64_t e = enricher_gazetteer_entity(gz, need[i][0]);

                cr_assert_geq(e, 0, "%s", need[i][0]);
                cr_expect_str_eq(gz->ent[e].qid, need[i][1], "%s", need[i][0]);
        }
        cr_expect_str_eq(entity_of("Choïgou"), "Sergei Shoigu");
        cr_expect_str_eq(entity_of("CEDEAO"),
                         "Economic Community of West African States");
        cr_expect_str_eq(entity_of("Alliance des Etats du Sahel"),
                         "Alliance of Sahel States");
        cr_expect_str_eq(entity_of("Moscou"), "Moscow");
}

Test(enricher_gazetteer, missing_file_is_fatal)
{
        cr_expect_eq(enricher_gazetteer_load(gz, "/nonexistent/gz.tsv", &err),
                     VL_FATAL);
        cr_expect(strstr(err.msg, "gazetteer") != NULL, "%s", err.msg);
}
