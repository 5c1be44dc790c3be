#ifndef VEILLE_ENRICHER_MODEL_H
#define VEILLE_ENRICHER_MODEL_H
/*
 * The statistical tagger for names no list knows: a structured averaged
 * perceptron over hashed features (word, neighbours, shape with the
 * document's case evidence, affixes, line position, the word classes of the
 * neighbours), first-order Viterbi over 7 BIO tags. Trained by
 * veille-enricher-train (bench/enricher/train.c) on corpora that may ship;
 * the model file is enricher/data/ner-model.bin (see SOURCES.md).
 */
#include <stddef.h>
#include <stdint.h>
#include "veille/err.h"
#include "enricher.h"

/* O, then B and I of PER, ORG, LOC: tag 1 + 2 * type (+1 for I) */
#define ENRICHER_NTAGS 7
#define ENRICHER_TAG_O 0
#define ENRICHER_NFEAT 22 /* feature templates per token */
/* The model file's first 8 bytes. 002: the word-class features and the
 * LOWSEEN / CAPSEEN bits in the shape (a 001 file was trained on other
 * features: refused) */
#define ENRICHER_MODEL_MAGIC "VLNER002"


/** Up to 5 features of a loaded model in one cache line: a 32-bit
 * fingerprint of each feature's hash (the bucket's index holds other bits
 * of it) and its weights, the file's int16 weights rounded to int8 times a
 * power of two per feature (the last byte of w[]: the shift). */
#define ENRICHER_QB 5
struct enricher_qbucket {
        uint32_t fp[ENRICHER_QB]; /* 0 = empty */
        int8_t w[ENRICHER_QB][8]; /* ENRICHER_NTAGS weights, then shift */
        uint32_t pad;
} __attribute__((aligned(64)));

struct enricher_model {
        uint64_t *key; /* training: feature hashes, 0 = empty slot */
        float *w;      /* training: ENRICHER_NTAGS weights per slot */
        float *u;      /* training only: sum of step * update */
        size_t nslot, used;
        /* a loaded model (enricher_model_load) is tagged through these:
         * buckets of one cache line, looked up by the feature hash's low
         * bits, linear probing; integer sums, so that the order of the
         * sums does not matter */
        struct enricher_qbucket *q; /* NULL: tag with key/w (training) */
        size_t qmask;
        uint64_t *bloom; /* 2 bits per feature of q, in one word: most
                          * absent features are known absent without
                          * touching q */
        size_t bmask;
        float scale;
        int32_t bias[8]; /* the weights of the always-on feature */
        uint64_t id;     /* distinct per load: keys the work's word cache */
        float trans[ENRICHER_NTAGS + 1][ENRICHER_NTAGS]; /* row 7: start */
        float utrans[ENRICHER_NTAGS + 1][ENRICHER_NTAGS];
        uint64_t step; /* training: sequences seen */
};

/** Per-thread scratch of tagging and training. */
struct enricher_model_work {
        int32_t *f; /* ENRICHER_NFEAT slot indexes per token, -1 absent */
        uint64_t *fh; /* the same as hashes (training inserts them) */
        float *score;
        uint8_t *bp, *pred;
        size_t cap;
        struct enricher_wcache *wc; /* the sums of the features that depend
                                     * on the word alone, per word */
        struct enricher_scache *sc; /* ... on the shapes and gaps alone */
        struct enricher_tokacc *ta; /* per token: its emission sums */
        uint32_t *nc; /* per token: name-like tokens before it (decode_q) */
        uint64_t wc_model;          /* the model id they were made with */
        const uint8_t *cls; /* per token: its word classes
                             * (enricher_tag_classes()), or NULL: none. Set
                             * by the caller before tagging or training; a
                             * function of the word alone, as the word
                             * cache needs */
};

struct enricher_model *enricher_model_new(void);
void enricher_model_destroy(struct enricher_model *m);
void enricher_model_work_release(struct enricher_model_work *w);
/** @brief Read a model file. @returns VL_OK or VL_FATAL with the reason. */
enum vl_rc enricher_model_load(struct enricher_model **out, const char *path,
                               struct vl_err *err);
/** @brief Write the averaged weights, keeping the @p max_features features
 * with the largest weights (0: all). */
enum vl_rc enricher_model_save(const struct enricher_model *m,
                               const char *path, size_t max_features,
                               struct vl_err *err);
/** @brief Best tag sequence for @p tk into @p out (tk->n entries). @p tk
 * went through enricher_tokens_case_evidence() when the model was trained
 * so (veille-enricher-train does), and w->cls holds its word classes. */
void enricher_model_tag(const struct enricher_model *m,
                        const struct enricher_tokens *tk,
                        struct enricher_model_work *w, uint8_t *out);
/** @brief One perceptron step on a sequence with gold tags @p gold.
 * @returns the number of tokens that were tagged wrong. */
size_t enricher_model_train(struct enricher_model *m,
                            const struct enricher_tokens *tk,
                            const uint8_t *gold,
                            struct enricher_model_work *w);
/** @returns the type of tag @p t (ENRICHER_PER...), or -1 for O. */
static inline int enricher_tag_type(uint8_t t)
{
        return t == ENRICHER_TAG_O ? -1 : (t - 1) / 2;
}
/** @returns 1 when tag @p t is a B- tag. */
static inline int enricher_tag_begin(uint8_t t)
{
        return t != ENRICHER_TAG_O && (t - 1) % 2 == 0;
}

#endif
