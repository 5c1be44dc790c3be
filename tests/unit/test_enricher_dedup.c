/* Near-duplicates: the fingerprint index (dedup.c) and duplicate_of in the
 * enriched event; the language the enricher guesses when the article has
 * none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "veille/file.h"
#include "veille/jscan.h"
#include "veille/metrics.h"
#include "enricher.h"

#define DATA VL_SOURCE_DIR "/tests/data/enricher/"

static const int64_t DAY = 86400;

#define K ENRICHER_MINHASH_K

/* A signature: @p seed's values, the first @p differ of them changed. */
static void sig_of(uint32_t *sig, uint32_t seed, int differ)
{
        for (int k = 0; k < K; k++)
                sig[k] = seed * 2654435761u + (uint32_t)k * 40503u +
                         (k < differ ? 7u : 0u);
}

Test(enricher_dedup, the_earliest_near_copy_is_the_original)
{
        struct enricher_dedup *dd = enricher_dedup_new(100, 7 * DAY, 12);
        char out[ENRICHER_DEDUP_ID_MAX + 1];
        uint32_t a[K], s[K];

        sig_of(a, 1, 0);
        enricher_dedup_add(dd, "a", a, 1000);
        sig_of(s, 2, 0);
        enricher_dedup_add(dd, "other", s, 900);
        /* 12 of 16 values equal, later: a copy of a */
        sig_of(s, 1, 4);
        cr_expect(enricher_dedup_find(dd, "b", s, 2000, out));
        cr_expect_str_eq(out, "a");
        /* 11 of 16: not a copy */
        sig_of(s, 1, 5);
        cr_expect_not(enricher_dedup_find(dd, "c", s, 2000, out));
        /* earlier than a: a does not make it a copy (it is the original) */
        cr_expect_not(enricher_dedup_find(dd, "d", a, 999, out));
        /* same time: the smaller id is the original */
        cr_expect_not(enricher_dedup_find(dd, "0", a, 1000, out));
        cr_expect(enricher_dedup_find(dd, "z", a, 1000, out));
        cr_expect_str_eq(out, "a");
        /* itself, delivered again, is not its own copy */
        cr_expect_not(enricher_dedup_find(dd, "a", a, 1000, out));
        /* of several originals, the earliest */
        sig_of(s, 1, 1);
        enricher_dedup_add(dd, "e", s, 500);
        cr_expect(enricher_dedup_find(dd, "b", a, 2000, out));
        cr_expect_str_eq(out, "e");
        /* outside the window */
        cr_expect_not(enricher_dedup_find(dd, "late", a, 500 + 8 * DAY, out));
        /* the same record twice is kept once */
        cr_expect_eq(enricher_dedup_size(dd), 3);
        enricher_dedup_add(dd, "a", a, 1000);
        cr_expect_eq(enricher_dedup_size(dd), 3);
        enricher_dedup_destroy(dd);
}

Test(enricher_dedup, memory_is_bounded)
{
        struct enricher_dedup *dd = enricher_dedup_new(1000, 7 * DAY, 12);
        char id[32], out[ENRICHER_DEDUP_ID_MAX + 1];
        uint32_t s[K];

        sig_of(s, 0, 0);
        enricher_dedup_add(dd, "first", s, 0);
        for (uint32_t i = 1; i <= 5000; i++) {
                sig_of(s, i, 0);
                snprintf(id, sizeof(id), "r%u", i);
                enricher_dedup_add(dd, id, s, 10 + i);
        }
        cr_expect_eq(enricher_dedup_size(dd), 1000);
        /* the first one went out with the oldest */
        sig_of(s, 0, 0);
        cr_expect_not(enricher_dedup_find(dd, "copy", s, 100000, out));
        /* the last ones are there */
        sig_of(s, 5000, 0);
        cr_expect(enricher_dedup_find(dd, "copy", s, 100000, out));
        cr_expect_str_eq(out, "r5000");
        enricher_dedup_destroy(dd);
}

Test(enricher_dedup, record_round_trip)
{
        char buf[512], id[ENRICHER_DEDUP_ID_MAX + 1];
        struct vl_jobj o = {0};
        struct vl_buf scratch;
        struct vl_err err = {0};
        uint32_t sig[K], back[K];
        int64_t t = 0;
        int n;

        sig_of(sig, 9, 0);
        sig[3] = UINT32_MAX;
        n = enricher_dedup_record(buf, sizeof(buf), "abc", sig, 1700000000);
        vl_buf_init(&scratch, 0);
        cr_assert_eq(enricher_dedup_parse(buf, (size_t)n, &o, &scratch, id,
                                          back, &t, &err),
                     VL_OK, "%s", err.msg);
        cr_expect_str_eq(id, "abc");
        cr_expect_arr_eq(back, sig, sizeof(sig));
        cr_expect_eq(t, 1700000000);
        cr_expect_eq(enricher_dedup_parse("{\"id\":\"x\"}", 10, &o, &scratch,
                                          id, back, &t, &err),
                     VL_REJECT);
        cr_expect_eq(enricher_dedup_parse("{\"id\":\"x\",\"minhash\":\"zz\","
                                          "\"time\":1}",
                                          34, &o, &scratch, id, back, &t,
                                          &err),
                     VL_REJECT);
        vl_jobj_release(&o);
        vl_buf_release(&scratch);
}

/* ---- through the stage -------------------------------------------------- */

static struct enricher_conf cf;
static struct vl_stage_conf sc;
static struct vl_metrics m;
static void *state;

static void setup(void)
{
        struct vl_err err = {0};
        static char gazetteer[] = VL_SOURCE_DIR "/enricher/data/gazetteer.tsv";
        static char out_topic[] = "veille.enriched";

        memset(&cf, 0, sizeof(cf));
        memset(&sc, 0, sizeof(sc));
        cf.gazetteer = gazetteer;
        cf.max_text_bytes = 1 << 20;
        cf.dedup_max = 1000;
        cf.dedup_window_s = 7 * DAY;
        cf.dedup_similarity = 0.6;
        cf.dedup_min_words = 30;
        sc.output_topic = out_topic;
        vl_metrics_init(&m, "enricher");
        cr_assert_eq(enricher_init(&state, &sc, &cf, &m, &err), VL_OK, "%s",
                     err.msg);
}

static void teardown(void)
{
        enricher_destroy(state);
}

static char *seed(const char *name)
{
        char path[512];
        size_t n;
        char *s;

        snprintf(path, sizeof(path), DATA "%s", name);
        s = vl_file_read(path, &n, NULL);
        cr_assert_not_null(s, "%s", path);
        return s;
}

/* The enriched event of an article; the caller frees it. */
static json_t *enrich(const char *id, const char *published,
                      const char *lang, const char *text)
{
        struct vl_err err = {0};
        json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "schema",
                              "veille.article.v1", "id", id, "title", "T",
                              "text", text);

        if (published)
                json_object_set_new(a, "published_at", json_string(published));
        json_object_set_new(a, "lang", lang ? json_string(lang) : json_null());
        cr_assert_eq(enricher_enrich_json(state, a, &err), VL_OK, "%s",
                     err.msg);
        return a;
}

static const char *dup_of(json_t *doc)
{
        return json_string_value(json_object_get(doc, "duplicate_of"));
}

Test(enricher_dedup, a_near_copy_is_linked_a_different_article_is_not,
     .init = setup, .fini = teardown)
{
        char *orig = seed("seed_000_simpore.txt"), *copy = strdup(orig);
        char *other = seed("seed_003_aes.txt"), *p;
        json_t *a, *b, *c, *again;

        /* the agency copy: two words changed, the tail cut */
        p = strstr(copy, "Simporé");
        cr_assert_not_null(p);
        memcpy(p, "Simpones", 8); /* "Simporé" is 8 bytes */
        p = copy + strlen(copy) - 40;
        while (*p != ' ')
                p--;
        *p = '\0';
        a = enrich("aaaa", "2026-11-20T08:00:00Z", "fr", orig);
        b = enrich("bbbb", "2026-11-20T09:30:00Z", "fr", copy);
        c = enrich("cccc", "2026-11-20T10:00:00Z", "fr", other);
        cr_expect(json_is_null(json_object_get(a, "duplicate_of")));
        cr_expect_str_eq(dup_of(b), "aaaa");
        cr_expect(json_is_null(json_object_get(c, "duplicate_of")));
        /* the original delivered again is still the original */
        again = enrich("aaaa", "2026-11-20T08:00:00Z", "fr", orig);
        cr_expect(json_is_null(json_object_get(again, "duplicate_of")));
        json_decref(a);
        json_decref(b);
        json_decref(c);
        json_decref(again);
        free(orig);
        free(copy);
        free(other);
}

Test(enricher_dedup, the_language_is_guessed_when_missing, .init = setup,
     .fini = teardown)
{
        char *fr = seed("seed_001_choigou.txt");
        json_t *a = enrich("l1", NULL, NULL, fr), *b;

        cr_expect_str_eq(json_string_value(json_object_get(a, "lang")), "fr");
        cr_expect_str_eq(json_string_value(json_object_get(a, "lang_source")),
                         "detect");
        /* the parser's language is kept as it is */
        b = enrich("l2", NULL, "en", fr);
        cr_expect_str_eq(json_string_value(json_object_get(b, "lang")), "en");
        cr_expect_null(json_object_get(b, "lang_source"));
        json_decref(a);
        json_decref(b);
        free(fr);
}
