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
        /* a file of the version before (other features) is refused */
        {
                FILE *f = fopen(path, "r+b");

                cr_assert(f != NULL);
                fwrite("VLNER001", 1, 8, f);
                cr_assert_eq(fclose(f), 0);
                cr_expect_eq(enricher_model_load(&back, path, &err),
                             VL_FATAL);
                cr_expect(strstr(err.msg, "not a veille NER model") != NULL,
                          "%s", err.msg);
        }
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
        enricher_tokenize(&tk, "Zorglub", 7);
        cr_assert_eq(tk.n, 1);
        /* the word feature (template 2) of "Zorglub" (capitalised: a name-free
         * stretch is O without scoring), as model.c hashes it */
        target = enricher_hash_seq(2 * 0x9e3779b97f4a7c15ULL, tk.v[0].h) | 1;
        enricher_tokens_release(&tk);
        wt[B(ENRICHER_PER)] = 1000;
        wf[B(ENRICHER_ORG)] = 2000;
        f = fopen(path, "wb");
        cr_assert(f != NULL);
        fwrite(ENRICHER_MODEL_MAGIC, 1, 8, f);
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
        tag(m, "Zorglub", out, &n);
        cr_assert_eq(n, 1);
        cr_expect_eq(out[0], B(ENRICHER_PER), "tag %d", out[0]);
        tag(m, "Zorglaf", out, &n);
        cr_assert_eq(n, 1);
        cr_expect_eq(out[0], O, "tag %d", out[0]);
        enricher_model_destroy(m);
        unlink(path);
}

/* Train a model on @p n sentences and their gold tags (one row of @p w
 * tags per sentence), with the word classes and the case evidence, as
 * veille-enricher-train does. */
static struct enricher_model *trained_on(const char *const *s,
                                         const uint8_t *tags, size_t w,
                                         size_t n)
{
        struct enricher_model *m = enricher_model_new();
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        struct enricher_tag *lex = enricher_tag_new(gz);
        struct enricher_model_work work = {0};
        struct enricher_tokens tk;
        uint8_t cls[32];
        size_t wrong = 1;

        enricher_tokens_init(&tk);
        for (int e = 0; e < 30 && wrong; e++) {
                wrong = 0;
                for (size_t k = 0; k < n; k++) {
                        enricher_tokenize(&tk, s[k], strlen(s[k]));
                        enricher_tokens_case_evidence(&tk);
                        cr_assert_eq(tk.n, w, "%s", s[k]);
                        enricher_tag_classes(lex, &tk, cls);
                        work.cls = cls;
                        wrong += enricher_model_train(m, &tk, tags + k * w,
                                                      &work);
                }
        }
        cr_expect_eq(wrong, 0, "training did not converge");
        enricher_tokens_release(&tk);
        enricher_model_work_release(&work);
        enricher_tag_destroy(lex);
        enricher_gazetteer_destroy(gz);
        return m;
}

/* The tagger's mentions of @p text with model @p m and no gazetteer. */
static struct enricher_tag *tag_text(struct enricher_gazetteer **gz,
                                     const struct enricher_model *m,
                                     const char *text)
{
        struct enricher_tag *tg;

        *gz = enricher_gazetteer_new();
        tg = enricher_tag_new(*gz);
        enricher_tag_set_model(tg, m);
        enricher_tag_article(tg, NULL, 0, text, strlen(text));
        return tg;
}

/* Tag @p text with @p m: exactly one mention of type @p type, at
 * [@p start, @p end). */
static void expect_one(const struct enricher_model *m, const char *text,
                       enum enricher_type type, uint32_t start, uint32_t end)
{
        struct enricher_gazetteer *gz;
        struct enricher_tag *tg = tag_text(&gz, m, text);
        int found = 0;

        for (size_t k = 0; k < tg->nm; k++)
                if (tg->g[tg->m[k].group].type == type) {
                        cr_expect_eq(tg->m[k].start, start, "%s", text);
                        cr_expect_eq(tg->m[k].end, end, "%s", text);
                        found++;
                }
        cr_expect_eq(found, 1, "%s", text);
        enricher_tag_destroy(tg);
        enricher_gazetteer_destroy(gz);
}

/* The word classes are the rules' lists, one bit per list. */
Test(enricher_model, word_classes_from_the_rules_lists)
{
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        struct enricher_tag *tg = enricher_tag_new(gz);
        struct enricher_tokens tk;
        uint8_t cls[8];
        static const char s[] = "le Ministre Dupont a dit Alliance School";

        enricher_tokens_init(&tk);
        enricher_tokenize(&tk, s, strlen(s));
        cr_assert_eq(tk.n, 7);
        enricher_tag_classes(tg, &tk, cls);
        cr_expect_eq(cls[0], 8);  /* function word */
        cr_expect_eq(cls[1], 1);  /* title, whatever its case */
        cr_expect_eq(cls[2], 0);  /* a name: none */
        cr_expect_eq(cls[3], 8);
        cr_expect_eq(cls[4], 64); /* verb after a name */
        cr_expect_eq(cls[5], 16); /* organisation head */
        cr_expect_eq(cls[6], 32); /* word of a place or organisation */
        enricher_tokens_release(&tk);
        enricher_tag_destroy(tg);
        enricher_gazetteer_destroy(gz);
}

#define P0 B(ENRICHER_PER)
#define P1 I(ENRICHER_PER)
#define L0 B(ENRICHER_LOC)

/* One name has one type in an article: "Turku" that the tagger calls a
 * person once and a place once is one entity, of the first type on a tie,
 * with both mentions. */
Test(enricher_model, one_name_one_type_per_article)
{
        static const char *const s[] = {
                "Berg said hello in Lund .", "Moss said nothing in Oslo .",
                "Lind said yes in Bergen .", "Dahl said no in Malmo .",
        };
        static const uint8_t g[] = {
                P0, O, O, O, L0, P0, O, O, O, L0,
                P0, O, O, O, L0, P0, O, O, O, L0,
        };
        struct enricher_model *m = trained_on(s, g, 5, 4);
        struct enricher_gazetteer *gz;
        struct enricher_tag *tg =
                tag_text(&gz, m, "Turku said hello in Turku .");

        cr_assert_eq(tg->nm, 2);
        cr_expect_eq(tg->ng, 1);
        cr_expect_eq(tg->m[0].group, tg->m[1].group);
        cr_expect_eq(tg->g[tg->m[0].group].type, ENRICHER_PER);
        cr_expect_eq(tg->g[tg->m[0].group].count, 2);
        cr_expect_eq(tg->m[1].start, 20);
        enricher_tag_destroy(tg);
        enricher_gazetteer_destroy(gz);
        enricher_model_destroy(m);
}


#define G0 B(ENRICHER_ORG)
#define G1 I(ENRICHER_ORG)

/* The span rules of the tagger's names, each with a toy model trained on
 * four sentences of 7 words: a person's name goes on over an initial ("Per
 * J. Holm": the ". " after a capital letter does not end it); a regnal
 * number after a person's name is part of it ("Louis XIV"), even where the
 * tagger leaves it out; an organisation or a place the tagger ends on a
 * lowercase adjective keeps it ("Ligue arabe"). */
Test(enricher_model, span_rules)
{
        static const struct {
                const char *train[4];
                uint8_t gold[7];
                const char *text;
                enum enricher_type type;
                uint32_t end; /* the mention: [0, end) */
        } c[] = {
                {{"Anna B. Berg said hello in Lund .",
                  "Karl M. Moss said nothing in Oslo .",
                  "Eva K. Lind said yes in Bergen .",
                  "Olaf T. Dahl said no in Malmo ."},
                 {P0, P1, P1, O, O, O, L0},
                 "Per J. Holm said hello in Turku .", ENRICHER_PER, 11},
                {{"Anna Berg II said hello in Lund .",
                  "Karl Moss IV said nothing in Oslo .",
                  "Eva Lind VI said yes in Bergen .",
                  "Olaf Dahl XI said no in Malmo ."},
                 {P0, P1, O, O, O, O, L0},
                 "Per Holm XIV said hello in Turku .", ENRICHER_PER, 12},
                {{"Banque mondiale said hello to Lund now .",
                  "Garde nationale said nothing to Oslo now .",
                  "Empire ottoman said yes to Bergen now .",
                  "Croix rouge said no to Malmo now ."},
                 {G0, G1, O, O, O, L0, O},
                 "Ligue arabe said hello to Turku now .", ENRICHER_ORG, 11},
        };

        for (size_t k = 0; k < sizeof(c) / sizeof(*c); k++) {
                uint8_t g[4 * 7];
                struct enricher_model *m;

                for (size_t j = 0; j < 4; j++)
                        memcpy(g + j * 7, c[k].gold, 7);
                m = trained_on(c[k].train, g, 7, 4);
                expect_one(m, c[k].text, c[k].type, 0, c[k].end);
                enricher_model_destroy(m);
        }
}
