/* The statistical tagger (enricher/model.c): training, Viterbi decoding,
 * the model file, and its use by the tagger for unknown names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "enricher/enricher.h"
#include "enricher/enricher_model.h"

#define B(t) (uint8_t)(1 + 2 * (t))
#define I(t) (uint8_t)(2 + 2 * (t))
#define O ENRICHER_TAG_O

/* A toy language: "Xxx Yyy said" is a person, "in Zzz" a place. */
static const char *const sents[] = {
        "Anna Berg said hello in Lund .",
        "Karl Moss said nothing in Oslo .",
        "Eva Lind said yes in Bergen .",
        "Olaf Dahl said no in Malmo .",
};
static const uint8_t gold[][7] = {
        {B(ENRICHER_PER), I(ENRICHER_PER), O, O, O, B(ENRICHER_LOC), O},
        {B(ENRICHER_PER), I(ENRICHER_PER), O, O, O, B(ENRICHER_LOC), O},
        {B(ENRICHER_PER), I(ENRICHER_PER), O, O, O, B(ENRICHER_LOC), O},
        {B(ENRICHER_PER), I(ENRICHER_PER), O, O, O, B(ENRICHER_LOC), O},
};

static struct enricher_model *trained(void)
{
        struct enricher_model *m = enricher_model_new();
        struct enricher_model_work w = {0};
        struct enricher_tokens tk;
        size_t wrong = 1;

        enricher_tokens_init(&tk);
        for (int e = 0; e < 20 && wrong; e++) {
                wrong = 0;
                for (size_t s = 0; s < 4; s++) {
                        enricher_tokenize(&tk, sents[s], strlen(sents[s]));
                        cr_assert_eq(tk.n, 6); /* "." is no token */
                        wrong += enricher_model_train(m, &tk, gold[s], &w);
                }
        }
        cr_expect_eq(wrong, 0, "training did not converge");
        enricher_tokens_release(&tk);
        enricher_model_work_release(&w);
        return m;
}

static void tag(const struct enricher_model *m, const char *text,
                uint8_t *out, size_t *n)
{
        struct enricher_model_work w = {0};
        struct enricher_tokens tk;

        enricher_tokens_init(&tk);
        enricher_tokenize(&tk, text, strlen(text));
        enricher_model_tag(m, &tk, &w, out);
        *n = tk.n;
        enricher_tokens_release(&tk);
        enricher_model_work_release(&w);
}

Test(enricher_model, learns_and_generalises)
{
        struct enricher_model *m = trained();
        uint8_t t[16];
        size_t n;

        /* unseen names in the same frame */
        tag(m, "Per Holm said hello in Turku .", t, &n);
        cr_assert_eq(n, 6);
        cr_expect_eq(t[0], B(ENRICHER_PER));
        cr_expect_eq(t[1], I(ENRICHER_PER));
        cr_expect_eq(t[2], O);
        cr_expect_eq(t[5], B(ENRICHER_LOC));
        enricher_model_destroy(m);
}

Test(enricher_model, never_inside_without_begin)
{
        struct enricher_model *m = enricher_model_new();
        uint8_t t[16];
        size_t n;

        /* make I-PER the best tag of every token on its own: Viterbi must
         * still start each mention with B- */
        m->trans[ENRICHER_NTAGS][I(ENRICHER_PER)] = 100;
        for (int p = 0; p < ENRICHER_NTAGS; p++)
                m->trans[p][I(ENRICHER_PER)] = 50;
        tag(m, "a b c", t, &n);
        cr_assert_eq(n, 3);
        cr_expect_neq(t[0], I(ENRICHER_PER));
        for (size_t i = 1; i < n; i++)
                if (t[i] == I(ENRICHER_PER))
                        cr_expect(t[i - 1] == B(ENRICHER_PER) ||
                                  t[i - 1] == I(ENRICHER_PER));
        enricher_model_destroy(m);
}

Test(enricher_model, file_round_trip)
{
        struct enricher_model *m = trained(), *back = NULL;
        struct vl_err err = {0};
        char path[] = "/tmp/veille-model-XXXXXX";
        int fd = mkstemp(path);
        uint8_t a[16], b[16];
        size_t na, nb;

        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(enricher_model_save(m, path, 0, &err), VL_OK, "%s",
                     err.msg);
        cr_assert_eq(enricher_model_load(&back, path, &err), VL_OK, "%s",
                     err.msg);
        tag(m, "Per Holm said hello in Turku .", a, &na);
        tag(back, "Per Holm said hello in Turku .", b, &nb);
        cr_assert_eq(na, nb);
        cr_expect_arr_eq(a, b, na);
        enricher_model_destroy(back);
        /* pruned to a few features it still loads */
        cr_assert_eq(enricher_model_save(m, path, 5, &err), VL_OK);
        cr_assert_eq(enricher_model_load(&back, path, &err), VL_OK);
        cr_expect_eq(back->used, 5);
        enricher_model_destroy(back);
        /* truncated */
        cr_assert_eq(truncate(path, 30), 0);
        cr_expect_eq(enricher_model_load(&back, path, &err), VL_FATAL);
        cr_expect(strstr(err.msg, "not a veille NER model") != NULL, "%s",
                  err.msg);
        unlink(path);
        enricher_model_destroy(m);
}

Test(enricher_model, tagger_adds_unknown_names_only)
{
        static const char tsv[] = "Lund\tLOC\tQ2167\tLund\n";
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        struct enricher_model *m = trained();
        struct enricher_tag *tg;
        struct vl_err err = {0};
        static const char text[] = "Per Holm said hello in Lund .";
        int per = 0, lund = 0;

        cr_assert_eq(enricher_gazetteer_load_mem(gz, "t", tsv,
                                                 sizeof(tsv) - 1, &err),
                     VL_OK, "%s", err.msg);
        tg = enricher_tag_new(gz);
        enricher_tag_set_model(tg, m);
        enricher_tag_article(tg, NULL, 0, text, strlen(text));
        for (size_t k = 0; k < tg->nm; k++) {
                const struct enricher_group *g = &tg->g[tg->m[k].group];

                if (tg->m[k].source == ENRICHER_SRC_MODEL) {
                        cr_expect_eq(g->type, ENRICHER_PER);
                        cr_expect_eq(g->entity, -1); /* no qid */
                        cr_expect_eq(tg->m[k].start, 0);
                        cr_expect_eq(tg->m[k].end, 8);
                        per++;
                } else {
                        /* the gazetteer's, with its qid */
                        cr_expect_eq(g->entity, 0);
                        lund++;
                }
        }
        cr_expect_eq(per, 1);
        cr_expect_eq(lund, 1);
        enricher_tag_destroy(tg);
        enricher_model_destroy(m);
        enricher_gazetteer_destroy(gz);
}

/* A loaded model keeps its features in buckets of five, found by the low
 * bits of the feature hash and a 32-bit fingerprint: a feature pushed two
 * buckets further by ten others of the same bucket is still found, and a
 * word the model does not know matches none of them. */
Test(enricher_model, loaded_features_past_full_buckets)
{
        struct enricher_tokens tk;
        struct enricher_model *m = NULL;
        struct vl_err err = {0};
        char path[] = "/tmp/veille-model-XXXXXX";
        int fd = mkstemp(path);
        FILE *f;
        uint32_t nf = 11;
        float scale = 0.001f, trans[ENRICHER_NTAGS + 1][ENRICHER_NTAGS] = {{0}};
        uint64_t target;
        int16_t wt[ENRICHER_NTAGS] = {0}, wf[ENRICHER_NTAGS] = {0};
        uint8_t out[4];
        size_t n;

        cr_assert_geq(fd, 0);
        close(fd);
        enricher_tokens_init(&tk);
        enricher_tokenize(&tk, "zorglub", 7);
        cr_assert_eq(tk.n, 1);
        /* the word feature (template 2) of "zorglub", as model.c hashes it */
        target = enricher_hash_seq(2 * 0x9e3779b97f4a7c15ULL, tk.v[0].h) | 1;
        enricher_tokens_release(&tk);
        wt[B(ENRICHER_PER)] = 1000;
        wf[B(ENRICHER_ORG)] = 2000;
        f = fopen(path, "wb");
        cr_assert(f != NULL);
        fwrite("VLNER001", 1, 8, f);
        fwrite(&nf, sizeof(nf), 1, f);
        fwrite(&scale, sizeof(scale), 1, f);
        fwrite(trans, sizeof(trans), 1, f);
        for (uint64_t k = 0; k < 10; k++) { /* same bucket, other prints */
                uint64_t h = (target & 0xffff) | (k + 1) << 32;

                cr_assert_neq(h >> 32, target >> 32);
                fwrite(&h, sizeof(h), 1, f);
                fwrite(wf, sizeof(wf), 1, f);
        }
        fwrite(&target, sizeof(target), 1, f);
        fwrite(wt, sizeof(wt), 1, f);
        cr_assert_eq(fclose(f), 0);
        cr_assert_eq(enricher_model_load(&m, path, &err), VL_OK, "%s",
                     err.msg);
        cr_expect_eq(m->used, 11);
        tag(m, "zorglub", out, &n);
        cr_assert_eq(n, 1);
        cr_expect_eq(out[0], B(ENRICHER_PER), "tag %d", out[0]);
        tag(m, "zorglaf", out, &n);
        cr_assert_eq(n, 1);
        cr_expect_eq(out[0], O, "tag %d", out[0]);
        enricher_model_destroy(m);
        unlink(path);
}
