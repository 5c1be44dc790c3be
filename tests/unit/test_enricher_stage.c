/* The enricher stage (enricher/stage.c) as the runner calls it: init,
 * process, reload, destroy; the enriched event and the rejects. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/buf.h"
#include "veille/metrics.h"
#include "enricher/enricher.h"

#define FIXTURE(f) VL_SOURCE_DIR "/tests/data/enricher/" f

static char gazetteer[] = VL_SOURCE_DIR "/enricher/data/gazetteer.tsv";
static char user[] = FIXTURE("user_aliases.tsv");
static char out_topic[] = "veille.enriched";
static struct enricher_conf cf;
static struct vl_stage_conf sc;
static struct vl_metrics m;
static struct vl_out out;
static void *state;

static void setup(void)
{
        struct vl_err err = {0};

        memset(&cf, 0, sizeof(cf));
        memset(&sc, 0, sizeof(sc));
        cf.gazetteer = gazetteer;
        cf.max_text_bytes = 4096;
        sc.output_topic = out_topic;
        vl_metrics_init(&m, "enricher");
        vl_out_init(&out, "urn:veille:enricher");
        cr_assert_eq(enricher_init(&state, &sc, &cf, &m, &err), VL_OK, "%s",
                     err.msg);
}

static void teardown(void)
{
        enricher_destroy(state);
        vl_out_release(&out);
}

TestSuite(enricher_stage, .init = setup, .fini = teardown);

static enum vl_rc process(const char *value, struct vl_err *err)
{
        struct vl_in in = {0};

        in.topic = "veille.articles";
        in.value = value;
        in.len = strlen(value);
        vl_out_clear(&out);
        return enricher_process(state, &in, &out, err);
}

static json_t *fixture_article(void)
{
        json_error_t jerr;
        json_t *a = json_load_file(FIXTURE("article.json"), 0, &jerr);

        cr_assert_not_null(a, "%s", jerr.text);
        return a;
}

static json_t *entity(json_t *doc, const char *name)
{
        size_t i;
        json_t *e;

        json_array_foreach(json_object_get(doc, "entities"), i, e) {
                if (strcmp(json_string_value(json_object_get(e, "name")),
                           name) == 0)
                        return e;
        }
        return NULL;
}

Test(enricher_stage, enriches_an_article)
{
        struct vl_err err = {0};
        json_t *a = fixture_article(), *doc, *e, *mm;
        char *value = json_dumps(a, 0);
        const char *fp;
        json_error_t jerr;

        cr_assert_eq(process(value, &err), VL_OK, "%s", err.msg);
        free(value);
        json_decref(a);
        cr_assert_eq(out.n, 1);
        cr_expect_str_eq(out.recs[0].topic, "veille.enriched");
        cr_expect_str_eq(out.recs[0].key, "0123456789abcdef0123456789abcdef");
        cr_expect_str_eq(vl_rec_header_get(&out.recs[0], "ce_type"),
                         "org.veille.enriched.v1");
        doc = json_loadb(out.recs[0].value, out.recs[0].len, 0, &jerr);
        cr_assert_not_null(doc, "%s", jerr.text);
        /* the article is kept, the schema moves on */
        cr_expect_str_eq(json_string_value(json_object_get(doc, "schema")),
                         "veille.enriched.v1");
        cr_expect_str_eq(json_string_value(json_object_get(doc, "site")),
                         "example.org");
        cr_expect_eq(json_integer_value(json_object_get(doc, "word_count")),
                     22);
        cr_expect(json_is_null(json_object_get(doc, "duplicate_of")));
        cr_expect(json_is_string(json_object_get(doc, "enriched_at")));
        fp = json_string_value(json_object_get(json_object_get(doc,
                                                               "fingerprint"),
                                               "simhash"));
        cr_assert_not_null(fp);
        cr_expect_eq(strlen(fp), 16);
        cr_expect_eq(strspn(fp, "0123456789abcdef"), 16);

        e = entity(doc, "Sergei Shoigu");
        cr_assert_not_null(e);
        cr_expect_str_eq(json_string_value(json_object_get(e, "type")), "PER");
        cr_expect(json_is_null(json_object_get(e, "qid")));
        cr_expect_eq(json_integer_value(json_object_get(e, "count")), 2);
        mm = json_array_get(json_object_get(e, "mentions"), 0);
        cr_expect_eq(json_integer_value(json_object_get(mm, "start")), 33);
        cr_expect_eq(json_integer_value(json_object_get(mm, "end")), 48);
        cr_expect_str_eq(json_string_value(json_object_get(mm, "text")),
                         "Sergueï Choïgou");
        cr_expect_str_eq(json_string_value(json_object_get(mm, "in")), "text");

        e = entity(doc, "Moscow");
        cr_assert_not_null(e);
        cr_expect_str_eq(json_string_value(json_object_get(e, "qid")), "Q649");
        mm = json_array_get(json_object_get(e, "mentions"), 0);
        cr_expect_str_eq(json_string_value(json_object_get(mm, "in")), "title");
        cr_expect_eq(json_integer_value(json_object_get(mm, "start")), 0);
        cr_expect_eq(json_array_size(json_object_get(e, "mentions")), 2);
        /* in the title and in the lead: the most salient */
        cr_expect_str_eq(
                json_string_value(json_object_get(
                        json_array_get(json_object_get(doc, "entities"), 0),
                        "name")),
                "Moscow");
        cr_expect_gt(json_real_value(json_object_get(e, "salience")), 0.9);
        cr_expect_str_eq(json_string_value(json_object_get(
                                 entity(doc, "Burkina Faso"), "qid")), "Q965");
        json_decref(doc);
}

Test(enricher_stage, rejects_what_is_not_an_article)
{
        static const char *const bad[][2] = {
                {"not json", "invalid article JSON"},
                {"[1, 2]", "not a JSON object"},
                {"{\"id\": \"x\"}", "without a text"},
                {"{\"text\": \"Mali\"}", "without an id"},
                {"{\"id\": \"x\", \"text\": 3}", "without a text"},
                {"{\"schema\": \"veille.page.v1\", \"id\": \"x\", \"text\": "
                 "\"\"}",
                 "unexpected schema"},
                {"{\"id\": \"a\", \"id\": \"b\", \"text\": \"\"}",
                 "invalid article JSON"},
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                struct vl_err err = {0};

                cr_expect_eq(process(bad[i][0], &err), VL_REJECT, "%s",
                             bad[i][0]);
                cr_expect(strstr(err.msg, bad[i][1]) != NULL, "%s: %s",
                          bad[i][0], err.msg);
                cr_expect_eq(out.n, 0);
        }
}

Test(enricher_stage, rejects_oversized_text)
{
        struct vl_err err = {0};
        json_t *a = fixture_article();
        char *big = malloc(5000), *value;

        memset(big, 'a', 4999);
        big[4999] = '\0';
        json_object_set_new(a, "text", json_string(big));
        value = json_dumps(a, 0);
        cr_expect_eq(process(value, &err), VL_REJECT);
        cr_expect(strstr(err.msg, "too long") != NULL, "%s", err.msg);
        free(value);
        free(big);
        json_decref(a);
}

Test(enricher_stage, empty_text_and_missing_title)
{
        struct vl_err err = {0};
        json_t *doc = json_pack("{s:s, s:s, s:s}", "schema",
                                "veille.article.v1", "id", "x", "text", "");

        cr_assert_eq(enricher_enrich_json(state, doc, &err), VL_OK, "%s",
                     err.msg);
        cr_expect_eq(json_array_size(json_object_get(doc, "entities")), 0);
        cr_expect_str_eq(
                json_string_value(json_object_get(
                        json_object_get(doc, "fingerprint"), "simhash")),
                "0000000000000000");
        json_decref(doc);
}

Test(enricher_stage, user_aliases_file_and_reload)
{
        struct vl_err err = {0};
        json_t *doc = json_pack("{s:s, s:s}", "id", "x", "text",
                                "Juvenal Marizamunda au Festival de Tougan.");

        cr_assert_eq(enricher_enrich_json(state, doc, &err), VL_OK);
        cr_expect_null(entity(doc, "Tougan Festival"));
        json_decref(doc);

        cf.user_aliases = user;
        cr_assert_eq(enricher_reload(state, &err), VL_OK, "%s", err.msg);
        doc = json_pack("{s:s, s:s}", "id", "x", "text",
                        "Juvenal Marizamunda au Festival de Tougan.");
        cr_assert_eq(enricher_enrich_json(state, doc, &err), VL_OK);
        cr_expect_not_null(entity(doc, "Tougan Festival"));
        cr_expect_not_null(entity(doc, "Juvénal Marizamunda"));
        json_decref(doc);

        /* a broken file keeps the tables in use */
        cf.user_aliases = gazetteer + 1; /* no such file */
        cr_expect_eq(enricher_reload(state, &err), VL_OK);
        doc = json_pack("{s:s, s:s}", "id", "x", "text", "Festival de Tougan");
        cr_assert_eq(enricher_enrich_json(state, doc, &err), VL_OK);
        cr_expect_not_null(entity(doc, "Tougan Festival"));
        json_decref(doc);
}

Test(enricher_stage, init_fails_on_a_bad_gazetteer)
{
        struct vl_err err = {0};
        struct enricher_conf bad = cf;
        void *st = NULL;
        char missing[] = "/nonexistent/gazetteer.tsv";

        bad.gazetteer = missing;
        cr_expect_eq(enricher_init(&st, &sc, &bad, NULL, &err), VL_FATAL);
        cr_expect(strstr(err.msg, "gazetteer") != NULL, "%s", err.msg);
}

Test(enricher_stage, keys_table)
{
        size_t n = 0;

        for (const struct vl_conf_key *k = enricher_keys; k->name; k++, n++)
                cr_expect(strncmp(k->name, "enricher.", 9) == 0, "%s", k->name);
        cr_expect_eq(n, 10);
}

/* enricher.model: the statistical tagger finds a person no list knows,
 * without a qid; without the model the same article has no such entity. */
static json_t *enrich_with_model(char *model)
{
        struct enricher_conf c = cf;
        struct vl_err err = {0};
        void *st = NULL;
        json_t *a = json_pack("{s:s,s:s,s:s}", "schema", "veille.article.v1",
                              "id", "m1", "text",
                              "Yesterday, Margaret Okonjo met the delegation "
                              "in Abidjan. Okonjo said the talks went well.");

        c.model = model;
        cr_assert_eq(enricher_init(&st, &sc, &c, NULL, &err), VL_OK, "%s",
                     err.msg);
        cr_assert_eq(enricher_enrich_json(st, a, &err), VL_OK, "%s", err.msg);
        enricher_destroy(st);
        return a;
}

Test(enricher_stage, model_finds_unknown_names)
{
        char model[] = VL_SOURCE_DIR "/enricher/data/ner-model.bin";
        json_t *with = enrich_with_model(model), *without;
        json_t *p = entity(with, "Margaret Okonjo");

        cr_assert_not_null(p, "%s", json_dumps(with, 0));
        cr_expect_str_eq(json_string_value(json_object_get(p, "type")),
                         "PER");
        cr_expect(json_is_null(json_object_get(p, "qid")));
        /* the surname alone, later, is the same person */
        cr_expect_eq(json_integer_value(json_object_get(p, "count")), 2);
        cr_expect_not_null(entity(with, "Abidjan"));
        without = enrich_with_model(NULL);
        cr_expect_null(entity(without, "Margaret Okonjo"));
        cr_expect_not_null(entity(without, "Abidjan"));
        json_decref(with);
        json_decref(without);
}

Test(enricher_stage, bad_model_is_fatal)
{
        struct enricher_conf bad = cf;
        struct vl_err err = {0};
        void *st = NULL;
        char notmodel[] = VL_SOURCE_DIR "/enricher/data/gazetteer.tsv";
        char missing[] = "/nonexistent/ner-model.bin";

        bad.model = notmodel;
        cr_expect_eq(enricher_init(&st, &sc, &bad, NULL, &err), VL_FATAL);
        cr_expect(strstr(err.msg, "not a veille NER model") != NULL, "%s",
                  err.msg);
        bad.model = missing;
        cr_expect_eq(enricher_init(&st, &sc, &bad, NULL, &err), VL_FATAL);
        cr_expect(strstr(err.msg, "ner-model.bin") != NULL, "%s", err.msg);
}
