/* Structured averaged perceptron with first-order Viterbi (Collins 2002),
 * hashed features. The model file:
 *   "VLNER002", uint32 nfeat, float scale, float trans[8][7],
 *   nfeat x (uint64 feature hash, int16 weight[7] -- times scale)
 * little-endian, as written by enricher_model_save(). */
#include <errno.h>
#include <float.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/mem.h"
#include "enricher_model.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NT ENRICHER_NTAGS
#define WS 8 /* weights per slot: NT, padded for vector adds */
#define MAGIC ENRICHER_MODEL_MAGIC

typedef int32_t v4i __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));
typedef int8_t v4b __attribute__((vector_size(4)));

/* Tagging with a loaded model sums int8 weights (times a power of two)
 * into 8 int32 lanes (two v4i). What depends on one word alone is summed
 * once per word (cached across articles): its own features, and the
 * features its neighbours see it as (previous, next, second previous,
 * second next word). */
enum { W_SELF, W_PREV, W_NEXT, W_PREV2, W_NEXT2, W_N };

struct enricher_tokw {
        v4i v[W_N][2];
};

/* Per token of the text being tagged: the sum of its features' weights. */
struct enricher_tokacc {
        v4i v[2];
};

struct enricher_wcache {
        uint64_t h;  /* the word's hash; 0 = empty */
        uint64_t s0; /* its shape */
        struct enricher_tokw w;
};

/* The features of shapes and gaps only: (previous, own, next shape, gap
 * before, gap after) packed in a key, the sum of their weights. */
struct enricher_scache {
        uint64_t key; /* UINT64_MAX = empty */
        v4i v[2];
};

struct enricher_model *enricher_model_new(void)
{
        struct enricher_model *m = vl_xcalloc(1, sizeof(*m));

        m->nslot = 1 << 16;
        m->key = vl_xcalloc(m->nslot, sizeof(*m->key));
        m->w = vl_xcalloc(m->nslot * WS, sizeof(*m->w));
        return m;
}

void enricher_model_destroy(struct enricher_model *m)
{
        if (!m)
                return;
        free(m->key);
        free(m->w);
        free(m->u);
        free(m->q);
        free(m->bloom);
        free(m);
}

void enricher_model_work_release(struct enricher_model_work *w)
{
        free(w->f);
        free(w->fh);
        free(w->score);
        free(w->bp);
        free(w->pred);
        free(w->wc);
        free(w->sc);
        free(w->ta);
        free(w->nc);
        memset(w, 0, sizeof(*w));
}

static int64_t find(const struct enricher_model *m, uint64_t h)
{
        size_t mask = m->nslot - 1, i = (size_t)(h ^ (h >> 29)) & mask;

        while (m->key[i]) {
                if (m->key[i] == h)
                        return (int64_t)i;
                i = (i + 1) & mask;
        }
        return -1;
}

static void grow(struct enricher_model *m);

static size_t find_or_add(struct enricher_model *m, uint64_t h)
{
        size_t mask, i;

        if ((m->used + 1) * 2 > m->nslot)
                grow(m);
        mask = m->nslot - 1;
        i = (size_t)(h ^ (h >> 29)) & mask;
        while (m->key[i]) {
                if (m->key[i] == h)
                        return i;
                i = (i + 1) & mask;
        }
        m->key[i] = h;
        m->used++;
        return i;
}

static void grow(struct enricher_model *m)
{
        struct enricher_model old = *m;

        m->nslot *= 2;
        m->used = 0;
        m->key = vl_xcalloc(m->nslot, sizeof(*m->key));
        m->w = vl_xcalloc(m->nslot * WS, sizeof(*m->w));
        m->u = old.u ? vl_xcalloc(m->nslot * WS, sizeof(*m->u)) : NULL;
        for (size_t i = 0; i < old.nslot; i++) {
                size_t j;

                if (!old.key[i])
                        continue;
                j = find_or_add(m, old.key[i]);
                memcpy(m->w + j * WS, old.w + i * WS, WS * sizeof(float));
                if (m->u)
                        memcpy(m->u + j * WS, old.u + i * WS,
                               WS * sizeof(float));
        }
        free(old.key);
        free(old.w);
        free(old.u);
}

/* ---- features ----------------------------------------------------------- */

static uint64_t shape(const struct enricher_tokens *tk, size_t i)
{
        const struct enricher_tok *t = &tk->v[i];

        return (uint64_t)(t->flags & (ENRICHER_TOK_CAP | ENRICHER_TOK_ALLCAPS |
                                      ENRICHER_TOK_MIXED | ENRICHER_TOK_DIGIT |
                                      ENRICHER_TOK_LOWSEEN |
                                      ENRICHER_TOK_CAPSEEN)) |
               (uint64_t)(t->nlet > 4 ? 4 : t->nlet) << 12;
}

static uint64_t gapf(const struct enricher_tokens *tk, size_t i)
{
        if (i >= tk->n)
                return 0x77;
        return tk->v[i].flags & (ENRICHER_TOK_JOIN | ENRICHER_TOK_HYPHEN |
                                 ENRICHER_TOK_DOT | ENRICHER_TOK_LINE |
                                 ENRICHER_TOK_PARA);
}

static uint64_t word(const struct enricher_tokens *tk, ptrdiff_t i)
{
        if (i < 0)
                return 0x5354415254ULL; /* START */
        if ((size_t)i >= tk->n)
                return 0x454e44ULL; /* END */
        return tk->v[i].h;
}

static uint64_t shp(const struct enricher_tokens *tk, ptrdiff_t i)
{
        if (i < 0 || (size_t)i >= tk->n)
                return 0xffff;
        return shape(tk, (size_t)i);
}

static uint64_t fh(uint64_t tmpl, uint64_t v)
{
        return enricher_hash_seq(tmpl * 0x9e3779b97f4a7c15ULL, v) | 1;
}

/* The class of word @p i (enricher_tag_classes()), 0 outside the text or
 * without classes. */
static uint64_t wcls(const uint8_t *cls, const struct enricher_tokens *tk,
                     ptrdiff_t i)
{
        if (!cls || i < 0 || (size_t)i >= tk->n)
                return 0;
        return cls[i];
}

static void features(const struct enricher_tokens *tk, const uint8_t *cls,
                     size_t i, uint64_t *f)
{
        ptrdiff_t p = (ptrdiff_t)i;
        size_t n;
        const char *s = enricher_tok_fold(tk, i, &n);
        uint64_t s0 = shp(tk, p);

        f[0] = fh(1, 0);
        f[1] = fh(2, word(tk, p));
        f[2] = fh(3, word(tk, p - 1));
        f[3] = fh(4, word(tk, p + 1));
        f[4] = fh(5, word(tk, p - 2));
        f[5] = fh(6, word(tk, p + 2));
        f[6] = fh(7, s0);
        f[7] = fh(8, shp(tk, p - 1) << 20 | s0);
        f[8] = fh(9, s0 << 20 | shp(tk, p + 1));
        f[9] = fh(10, enricher_hash_bytes(s, n < 3 ? n : 3));
        f[10] = fh(11, enricher_hash_bytes(s + (n < 3 ? 0 : n - 3),
                                           n < 3 ? n : 3));
        f[11] = fh(12, enricher_hash_bytes(s + (n < 4 ? 0 : n - 4),
                                           n < 4 ? n : 4));
        f[12] = fh(13, enricher_hash_seq(word(tk, p - 1), s0));
        f[13] = fh(14, enricher_hash_seq(s0, word(tk, p + 1)));
        f[14] = fh(15, gapf(tk, i) << 20 | s0);
        f[15] = fh(16, gapf(tk, i + 1) << 20 | s0);
        f[16] = fh(17, enricher_hash_seq(word(tk, p - 1), word(tk, p)));
        f[17] = fh(18, enricher_hash_seq(word(tk, p), word(tk, p + 1)));
        f[18] = fh(19, shp(tk, p - 1) << 40 | s0 << 20 | shp(tk, p + 1));
        f[19] = fh(20, enricher_hash_seq(word(tk, p - 2),
                                         word(tk, p - 1)) ^ s0);
        f[20] = fh(22, wcls(cls, tk, p - 1) << 20 | s0);
        f[21] = fh(23, wcls(cls, tk, p + 1) << 20 | s0);
}

static void reserve(struct enricher_model_work *w, size_t n)
{
        if (n <= w->cap)
                return;
        w->cap = n * 2;
        w->f = vl_xrealloc(w->f, w->cap * ENRICHER_NFEAT * sizeof(*w->f));
        w->fh = vl_xrealloc(w->fh, w->cap * ENRICHER_NFEAT * sizeof(*w->fh));
        w->score = vl_xrealloc(w->score, w->cap * NT * 2 * sizeof(*w->score));
        w->bp = vl_xrealloc(w->bp, w->cap * NT);
        w->pred = vl_xrealloc(w->pred, w->cap);
        w->ta = vl_xrealloc(w->ta, (w->cap + 4) * sizeof(*w->ta));
        w->nc = vl_xrealloc(w->nc, (w->cap + 1) * sizeof(*w->nc));
}

/* I-X only after B-X or I-X: ok[prev][t], prev NT at the start. The
 * tags are O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC. */
static const uint8_t ok[NT + 1][NT] = {
        {1, 1, 0, 1, 0, 1, 0}, /* after O */
        {1, 1, 1, 1, 0, 1, 0}, /* after B-PER */
        {1, 1, 1, 1, 0, 1, 0}, /* after I-PER */
        {1, 1, 0, 1, 1, 1, 0}, /* after B-ORG */
        {1, 1, 0, 1, 1, 1, 0}, /* after I-ORG */
        {1, 1, 0, 1, 0, 1, 1}, /* after B-LOC */
        {1, 1, 0, 1, 0, 1, 1}, /* after I-LOC */
        {1, 1, 0, 1, 0, 1, 0}, /* at the start */
};

/* Viterbi over the emission scores @p em (NT per token) into @p out. Only
 * the allowed transitions are tried (I-X after B-X or I-X); on ties the
 * first previous tag wins. */
/* The emission of every tag but O on a token decode_q() leaves out: no
 * path through such a tag can win. */
#define O_ONLY (-1e30f)

static void viterbi(const struct enricher_model *m, const float *em, size_t n,
                    struct enricher_model_work *w, uint8_t *out)
{
        float d[NT], nd[NT], tr[NT + 1][NT];

        if (!n)
                return;
        static const int ob[4] = {0, 1, 3, 5};
        v4f tb[NT]; /* transitions from p to O, B-PER, B-ORG, B-LOC */

        memcpy(tr, m->trans, sizeof(tr)); /* bp's stores may alias */
        for (int p = 0; p < NT; p++)
                for (int k = 0; k < 4; k++)
                        tb[p][k] = tr[p][ob[k]];
        for (int t = 0; t < NT; t++)
                d[t] = ok[NT][t] ? tr[NT][t] + em[t] : -FLT_MAX;
        for (size_t i = 1; i < n; i++) {
                const float *e = em + i * NT;
                uint8_t *bp = w->bp + i * NT, b[NT];

                if (e[1] == O_ONLY && e[1 - NT] == O_ONLY) {
                        /* inside a name-free stretch (decode_q()): only O
                         * is alive, and it follows O */
                        d[0] += tr[0][0] + e[0];
                        for (int t = 1; t < NT; t++)
                                d[t] = O_ONLY;
                        memset(bp, 0, NT);
                        continue;
                }

                { /* O and the B- tags (0, 1, 3, 5), all four at once */
                        v4f best = d[0] + tb[0];
                        v4i arg = {0, 0, 0, 0};

                        for (int p = 1; p < NT; p++) {
                                v4f v = d[p] + tb[p];
                                v4i gt = v > best;

                                best = (v4f)(((v4i)v & gt) |
                                             ((v4i)best & ~gt));
                                arg = ((v4i){p, p, p, p} & gt) | (arg & ~gt);
                        }
                        for (int k = 0; k < 4; k++) {
                                nd[ob[k]] = best[k] + e[ob[k]];
                                b[ob[k]] = (uint8_t)arg[k];
                        }
                }
#pragma GCC unroll 4
                for (int t = 2; t < NT; t += 2) { /* I-X: after B-X, I-X */
                        float vb = d[t - 1] + tr[t - 1][t];
                        float vi = d[t] + tr[t][t];
                        /* d[t] is -FLT_MAX only at i == 1 (I-X cannot
                         * start); vi is then never the best */
                        int in = vi > vb && d[t] != -FLT_MAX;

                        nd[t] = (in ? vi : vb) + e[t];
                        b[t] = (uint8_t)(in ? t : t - 1);
                }
                memcpy(d, nd, sizeof(d));
                memcpy(bp, b, sizeof(b));
        }
        {
                int t = 0;
                float best = -FLT_MAX;

                for (int k = 0; k < NT; k++)
                        if (d[k] > best) {
                                best = d[k];
                                t = k;
                        }
                for (size_t i = n; i-- > 0;) {
                        out[i] = (uint8_t)t;
                        t = w->bp[i * NT + (size_t)t];
                }
        }
}

/* Training: emission scores from the float weights, then Viterbi. */
static void decode(const struct enricher_model *m,
                   const struct enricher_tokens *tk,
                   struct enricher_model_work *w, uint8_t *out)
{
        size_t n = tk->n;
        float *em = w->score;

        for (size_t i = 0; i < n; i++) {
                float *e = em + i * NT, acc[WS];
                uint64_t f[ENRICHER_NFEAT];

                memset(acc, 0, sizeof(acc));
                features(tk, w->cls, i, f);
                for (int k = 0; k < ENRICHER_NFEAT; k++) {
                        int64_t s = find(m, f[k]);

                        if (s >= 0) {
                                const float *ws = m->w + (size_t)s * WS;

                                for (int t = 0; t < WS; t++)
                                        acc[t] += ws[t];
                        }
                }
                memcpy(e, acc, NT * sizeof(*e));
        }
        viterbi(m, em, n, w, out);
}

/* ---- tagging with a loaded model ---------------------------------------- */

#define WC_SIZE 2048 /* words in the per-thread cache (direct-mapped) */

/* The bucket and fingerprint of feature hash @p h (fh() sets bit 0). */
static inline size_t qbucket(const struct enricher_model *m, uint64_t h)
{
        return (size_t)(h >> 1) & m->qmask;
}

static inline uint32_t qfp(uint64_t h)
{
        uint32_t fp = (uint32_t)(h >> 32);

        return fp + !fp;
}

#define BLOOM_BITS 8 /* per feature, 2 set: ~5 % of absent ones pass */
/* The Bloom filter's two bits for @p h, in one 64-bit word. */
static inline uint64_t bloom_mask(uint64_t h)
{
        return 1ULL << (h >> 52 & 63) | 1ULL << (h >> 58);
}

static inline size_t bloom_word(const struct enricher_model *m, uint64_t h)
{
        return (size_t)(h >> 20) & m->bmask;
}

/* Add the 7 weights of @p w (int8, times 2^w[7]) to @p acc. */
static inline void qweights(const int8_t *w, v4i *acc)
{
#ifdef __SSE2__
        /* each byte to the top of a 32-bit lane, then an arithmetic shift
         * right by 24 - shift: the sign extension and the scaling */
        __m128i z = _mm_setzero_si128(),
                b = _mm_unpacklo_epi8(z, _mm_loadl_epi64((const __m128i *)w)),
                c = _mm_cvtsi32_si128(24 - w[7]);
        v4i lo = (v4i)_mm_sra_epi32(_mm_unpacklo_epi16(z, b), c),
            hi = (v4i)_mm_sra_epi32(_mm_unpackhi_epi16(z, b), c);

        acc[0] += lo;
        acc[1] += hi & (v4i){-1, -1, -1, 0};
#else
        v4b lo, hi;

        memcpy(&lo, w, sizeof(lo));
        memcpy(&hi, w + 4, sizeof(hi));
        acc[0] += __builtin_convertvector(lo, v4i) << w[7];
        acc[1] += (__builtin_convertvector(hi, v4i) & (v4i){-1, -1, -1, 0})
                  << w[7];
#endif
}

/* Add the weights of feature @p h to @p acc. */
static inline void qadd(const struct enricher_model *m, uint64_t h, v4i *acc)
{
        size_t b = qbucket(m, h);
        uint32_t fp = qfp(h);
        uint64_t bm = bloom_mask(h);

        if ((m->bloom[bloom_word(m, h)] & bm) != bm)
                return;
        for (;;) {
                const struct enricher_qbucket *q = &m->q[b];
                unsigned hit;
                int j;

                /* no branch per slot */
#ifdef __SSE2__
                hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(
                              _mm_cmpeq_epi32(
                                      _mm_load_si128((const __m128i *)q->fp),
                                      _mm_set1_epi32((int)fp)))) |
                      (unsigned)(q->fp[4] == fp) << 4;
#else
                hit = 0;
                for (int k = 0; k < ENRICHER_QB; k++)
                        hit |= (unsigned)(q->fp[k] == fp) << k;
#endif
                if (hit) {
                        j = __builtin_ctz(hit);
                        qweights(q->w[j], acc);
                        return;
                }
                if (!q->fp[ENRICHER_QB - 1]) /* not full: not further */
                        return;
                b = (b + 1) & m->qmask;
        }
}

/* The features of features() that depend on token @p i's word alone:
 * the same hashes, summed once per distinct word and shape (valid until
 * the next call). */
static const struct enricher_tokw *
word_sums(const struct enricher_model *m, const struct enricher_tokens *tk,
          size_t i, uint64_t s0, struct enricher_model_work *w)
{
        uint64_t h = tk->v[i].h;
        struct enricher_wcache *c =
                &w->wc[(size_t)enricher_mix64(h ^ (s0 << 1)) & (WC_SIZE - 1)];

        if (!(c->h == h && c->s0 == s0 && h)) {
                size_t n;
                const char *s = enricher_tok_fold(tk, i, &n);
                v4i *self = c->w.v[W_SELF];

                memset(&c->w, 0, sizeof(c->w));
                qadd(m, fh(2, h), self);
                qadd(m, fh(7, s0), self);
                qadd(m, fh(10, enricher_hash_bytes(s, n < 3 ? n : 3)), self);
                qadd(m, fh(11, enricher_hash_bytes(s + (n < 3 ? 0 : n - 3),
                                                   n < 3 ? n : 3)),
                     self);
                qadd(m, fh(12, enricher_hash_bytes(s + (n < 4 ? 0 : n - 4),
                                                   n < 4 ? n : 4)),
                     self);
                qadd(m, fh(3, h), c->w.v[W_PREV]);
                qadd(m, fh(4, h), c->w.v[W_NEXT]);
                qadd(m, fh(5, h), c->w.v[W_PREV2]);
                qadd(m, fh(6, h), c->w.v[W_NEXT2]);
                c->h = h;
                c->s0 = s0;
        }
        return &c->w;
}

#define SC_BITS 11
#define SC_SIZE (1 << SC_BITS) /* shape, gap and class combinations cached */

/* A shape in 9 bits: the 6 flag bits and the letter count, 0x1ff outside
 * the text (shp()). */
static inline uint64_t shape9(uint64_t s)
{
        return s == 0xffff ? 0x1ff : (s & 7) | s >> 6;
}

/* The features of shapes, gaps and the neighbours' word classes alone
 * (templates 8, 9, 15, 16, 19, 22, 23). */
static void shape_sums(const struct enricher_model *m, uint64_t sm,
                       uint64_t s0, uint64_t sp, uint64_t g0, uint64_t g1,
                       uint64_t cm, uint64_t cp,
                       struct enricher_model_work *w, v4i *acc)
{
        /* 3 x 9 bits of shape, 2 x 8 of gaps, 2 x 7 of classes: 57 bits,
         * never UINT64_MAX (empty) */
        uint64_t key = shape9(sm) | shape9(s0) << 9 | shape9(sp) << 18 |
                       g0 << 27 | g1 << 35 | cm << 43 | cp << 50;
        size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> (64 - SC_BITS));
        struct enricher_scache *c = &w->sc[slot];

        if (c->key != key) {
                c->key = key;
                c->v[0] = (v4i){0};
                c->v[1] = (v4i){0};
                qadd(m, fh(8, sm << 20 | s0), c->v);
                qadd(m, fh(9, s0 << 20 | sp), c->v);
                qadd(m, fh(15, g0 << 20 | s0), c->v);
                qadd(m, fh(16, g1 << 20 | s0), c->v);
                qadd(m, fh(19, sm << 40 | s0 << 20 | sp), c->v);
                qadd(m, fh(22, cm << 20 | s0), c->v);
                qadd(m, fh(23, cp << 20 | s0), c->v);
        }
        acc[0] += c->v[0];
        acc[1] += c->v[1];
}

#define NAMEISH (ENRICHER_TOK_CAP | ENRICHER_TOK_ALLCAPS | ENRICHER_TOK_MIXED)

/* Whether a name-like token lies within @p r places of token @p i (@p nc:
 * the prefix counts of name-like tokens). */
static inline int names_near(const uint32_t *nc, size_t n, size_t i, size_t r)
{
        size_t lo = i < r ? 0 : i - r, hi = i + r + 1 > n ? n : i + r + 1;

        return nc[hi] != nc[lo];
}

/* Emission scores of a loaded model (the same features as decode()'s), then
 * Viterbi. */
static void decode_q(const struct enricher_model *m,
                     const struct enricher_tokens *tk,
                     struct enricher_model_work *w, uint8_t *out)
{
        size_t n = tk->n;
        float *em = w->score;
        v4i bias[2];

        struct enricher_tokw start, end; /* the words around the text */
        struct enricher_tokacc *ta = w->ta + 2; /* ta[-2] to ta[n + 1] */

        if (!w->wc || w->wc_model != m->id) {
                if (!w->wc) {
                        w->wc = vl_xmalloc(WC_SIZE * sizeof(*w->wc));
                        w->sc = vl_xmalloc(SC_SIZE * sizeof(*w->sc));
                }
                memset(w->wc, 0, WC_SIZE * sizeof(*w->wc));
                memset(w->sc, 0xff, SC_SIZE * sizeof(*w->sc));
                w->wc_model = m->id;
        }
        memcpy(&bias, m->bias, sizeof(bias));
        memset(&start, 0, sizeof(start));
        memset(&end, 0, sizeof(end));
        qadd(m, fh(3, word(tk, -1)), start.v[W_PREV]);
        qadd(m, fh(5, word(tk, -1)), start.v[W_PREV2]);
        qadd(m, fh(4, word(tk, (ptrdiff_t)n)), end.v[W_NEXT]);
        qadd(m, fh(6, word(tk, (ptrdiff_t)n)), end.v[W_NEXT2]);
        /* each word's sums go to the tokens that see it: itself, the
         * next (as its previous word), the previous (as its next)...;
         * START is the word at -2 and -1, END at n and n + 1, and what
         * falls outside 0..n-1 is not read */
        memset(w->ta, 0, (n + 4) * sizeof(*w->ta));
        /* Name-free stretches: a token with no capitalised, all-caps or
         * mixed-case word within two places either side is O without
         * scoring (news prose is mostly such stretches; a name has a
         * capital in every language the tagger reads). The sums of a word
         * with no such token within four places reach only such tokens,
         * so they are not computed either. */
        w->nc[0] = 0;
        for (size_t i = 0; i < n; i++)
                w->nc[i + 1] = w->nc[i] + !!(tk->v[i].flags & NAMEISH);
        for (ptrdiff_t i = -2; i < (ptrdiff_t)n + 2; i++) {
                const struct enricher_tokw *c;
                struct enricher_tokacc *a = ta + i;

                if (i < 0)
                        c = &start;
                else if (i >= (ptrdiff_t)n)
                        c = &end;
                else if (!names_near(w->nc, n, (size_t)i, 4))
                        continue;
                else
                        c = word_sums(m, tk, (size_t)i, shape(tk, (size_t)i),
                                      w);

                for (int k = 0; k < 2; k++) {
                        a->v[k] += c->v[W_SELF][k];
                        if (i + 1 < (ptrdiff_t)n + 2)
                                a[1].v[k] += c->v[W_PREV][k];
                        if (i + 2 < (ptrdiff_t)n + 2)
                                a[2].v[k] += c->v[W_PREV2][k];
                        if (i >= -1)
                                a[-1].v[k] += c->v[W_NEXT][k];
                        if (i >= 0)
                                a[-2].v[k] += c->v[W_NEXT2][k];
                }
        }
        for (size_t i = 0; i < n; i++) {
                ptrdiff_t p = (ptrdiff_t)i;
                uint64_t s0 = shp(tk, p), sm = shp(tk, p - 1),
                         sp = shp(tk, p + 1);
                uint64_t wm1 = word(tk, p - 1), wp1 = word(tk, p + 1),
                         w0 = tk->v[i].h;
                v4i acc[2];

                if (!names_near(w->nc, n, i, 2)) {
                        static const float o_only[NT] = {
                                0,      O_ONLY, O_ONLY, O_ONLY,
                                O_ONLY, O_ONLY, O_ONLY};

                        memcpy(em + i * NT, o_only, sizeof(o_only));
                        continue;
                }
                for (int k = 0; k < 2; k++)
                        acc[k] = bias[k] + ta[i].v[k];
                shape_sums(m, sm, s0, sp, gapf(tk, i), gapf(tk, i + 1),
                           wcls(w->cls, tk, p - 1), wcls(w->cls, tk, p + 1),
                           w, acc);
                qadd(m, fh(13, enricher_hash_seq(wm1, s0)), acc);
                qadd(m, fh(14, enricher_hash_seq(s0, wp1)), acc);
                qadd(m, fh(17, enricher_hash_seq(wm1, w0)), acc);
                qadd(m, fh(18, enricher_hash_seq(w0, wp1)), acc);
                qadd(m, fh(20, enricher_hash_seq(word(tk, p - 2), wm1) ^ s0),
                     acc);
                {
                        v4f e0 = __builtin_convertvector(acc[0], v4f) * m->scale,
                            e1 = __builtin_convertvector(acc[1], v4f) * m->scale;

                        memcpy(em + i * NT, &e0, sizeof(e0));
                        memcpy(em + i * NT + 4, &e1, (NT - 4) * sizeof(float));
                }
        }
        viterbi(m, em, n, w, out);
}

void enricher_model_tag(const struct enricher_model *m,
                        const struct enricher_tokens *tk,
                        struct enricher_model_work *w, uint8_t *out)
{
        reserve(w, tk->n + 1);
        if (m->q)
                decode_q(m, tk, w, out);
        else
                decode(m, tk, w, out);
}

static void update(struct enricher_model *m, uint64_t h, int t, float d)
{
        size_t s = find_or_add(m, h);

        m->w[s * WS + (size_t)t] += d;
        m->u[s * WS + (size_t)t] += (float)m->step * d;
}

size_t enricher_model_train(struct enricher_model *m,
                            const struct enricher_tokens *tk,
                            const uint8_t *gold,
                            struct enricher_model_work *w)
{
        size_t wrong = 0;
        uint8_t *pred;

        if (!m->u)
                m->u = vl_xcalloc(m->nslot * WS, sizeof(*m->u));
        m->step++;
        reserve(w, tk->n + 1);
        pred = w->pred;
        decode(m, tk, w, pred);
        for (size_t i = 0; i < tk->n; i++) {
                int gp = i ? gold[i - 1] : NT, pp = i ? pred[i - 1] : NT;

                if (pred[i] != gold[i]) {
                        uint64_t f[ENRICHER_NFEAT];

                        wrong++;
                        features(tk, w->cls, i, f);
                        for (int k = 0; k < ENRICHER_NFEAT; k++) {
                                update(m, f[k], gold[i], 1.0f);
                                update(m, f[k], pred[i], -1.0f);
                        }
                }
                if (pred[i] != gold[i] || gp != pp) {
                        m->trans[gp][gold[i]] += 1.0f;
                        m->utrans[gp][gold[i]] += (float)m->step;
                        m->trans[pp][pred[i]] -= 1.0f;
                        m->utrans[pp][pred[i]] -= (float)m->step;
                }
        }
        return wrong;
}

/* ---- files -------------------------------------------------------------- */

struct ranked {
        float v;
        uint32_t slot;
};

static int ranked_cmp(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;

        return (x->v < y->v) - (x->v > y->v);
}

static float avg(const struct enricher_model *m, float w, float u)
{
        return m->u && m->step ? w - u / (float)m->step : w;
}

enum vl_rc enricher_model_save(const struct enricher_model *m,
                               const char *path, size_t max_features,
                               struct vl_err *err)
{
        struct ranked *r = vl_xmalloc((m->used + 1) * sizeof(*r));
        size_t nr = 0;
        float maxabs = 1e-6f, scale, trans[NT + 1][NT];
        FILE *f;
        uint32_t nf;

        for (size_t i = 0; i < m->nslot; i++) {
                float mx = 0;

                if (!m->key[i])
                        continue;
                for (int t = 0; t < NT; t++) {
                        float a = avg(m, m->w[i * WS + (size_t)t],
                                      m->u ? m->u[i * WS + (size_t)t] : 0);

                        a = a < 0 ? -a : a;
                        if (a > mx)
                                mx = a;
                }
                if (mx <= 0)
                        continue;
                r[nr].v = mx;
                r[nr++].slot = (uint32_t)i;
                if (mx > maxabs)
                        maxabs = mx;
        }
        qsort(r, nr, sizeof(*r), ranked_cmp);
        if (max_features && nr > max_features)
                nr = max_features;
        scale = maxabs / 32767.0f;
        for (int p = 0; p <= NT; p++)
                for (int t = 0; t < NT; t++)
                        trans[p][t] = m->step ? m->trans[p][t] -
                                                        m->utrans[p][t] /
                                                                (float)m->step
                                              : m->trans[p][t];
        f = fopen(path, "wb");
        if (!f) {
                free(r);
                return vl_err_set(err, VL_FATAL, "%s: %s", path,
                                  strerror(errno));
        }
        nf = (uint32_t)nr;
        fwrite(MAGIC, 1, 8, f);
        fwrite(&nf, sizeof(nf), 1, f);
        fwrite(&scale, sizeof(scale), 1, f);
        fwrite(trans, sizeof(trans), 1, f);
        for (size_t k = 0; k < nr; k++) {
                size_t i = r[k].slot;
                int16_t q[NT];

                for (int t = 0; t < NT; t++) {
                        float a = avg(m, m->w[i * WS + (size_t)t],
                                      m->u ? m->u[i * WS + (size_t)t] : 0);
                        float v = a / scale;

                        q[t] = (int16_t)(v > 32767 ? 32767
                                         : v < -32767 ? -32767
                                                      : (v < 0 ? v - 0.5f
                                                               : v + 0.5f));
                }
                fwrite(&m->key[i], sizeof(m->key[i]), 1, f);
                fwrite(q, sizeof(q), 1, f);
        }
        free(r);
        if (fclose(f) != 0)
                return vl_err_set(err, VL_FATAL, "%s: write failed", path);
        return VL_OK;
}

/* Round int16 weights @p q to int8 times 2^shift, the smallest shift that
 * fits the largest (relative error of the largest at most 1/254). */
static void quantise8(const int16_t *q, int8_t *out)
{
        int mx = 0, sh = 0;

        for (int t = 0; t < NT; t++)
                if (abs(q[t]) > mx)
                        mx = abs(q[t]);
        while ((mx + (1 << sh >> 1)) >> sh > 127)
                sh++;
        for (int t = 0; t < NT; t++) {
                int half = 1 << sh >> 1,
                    v = (q[t] >= 0 ? q[t] + half : q[t] - half) / (1 << sh);

                out[t] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        out[7] = (int8_t)sh;
}

/* Put feature @p h of a loaded model in its bucket. Two features with the
 * same bucket and fingerprint (a 45-bit collision) are one: the last read
 * wins, as for a hash written twice. */
static void qput(struct enricher_model *m, uint64_t h, const int16_t *q)
{
        size_t b = qbucket(m, h);
        uint32_t fp = qfp(h);

        for (;;) {
                struct enricher_qbucket *s = &m->q[b];

                for (int j = 0; j < ENRICHER_QB; j++)
                        if (!s->fp[j] || s->fp[j] == fp) {
                                if (!s->fp[j])
                                        m->used++;
                                s->fp[j] = fp;
                                quantise8(q, s->w[j]);
                                return;
                        }
                b = (b + 1) & m->qmask;
        }
}

enum vl_rc enricher_model_load(struct enricher_model **out, const char *path,
                               struct vl_err *err)
{
        FILE *f = fopen(path, "rb");
        char magic[8];
        uint32_t nf;
        float scale;
        struct enricher_model *m;

        if (!f)
                return vl_err_set(err, VL_FATAL, "%s: %s", path,
                                  strerror(errno));
        m = vl_xcalloc(1, sizeof(*m));
        if (fread(magic, 1, 8, f) != 8 || memcmp(magic, MAGIC, 8) != 0 ||
            fread(&nf, sizeof(nf), 1, f) != 1 ||
            fread(&scale, sizeof(scale), 1, f) != 1 ||
            fread(m->trans, sizeof(m->trans), 1, f) != 1 || nf > (1u << 26))
                goto bad;
        {
                static atomic_uint_fast64_t ids;
                size_t nb = 16, nw;

                /* at most 3/4 full: a bucket rarely overflows */
                while (nb * ENRICHER_QB * 3 < (size_t)nf * 4)
                        nb *= 2;
                m->q = aligned_alloc(64, nb * sizeof(*m->q));
                if (!m->q)
                        abort(); /* as vl_xmalloc() */
                memset(m->q, 0, nb * sizeof(*m->q));
                m->qmask = nb - 1;
                /* BLOOM_BITS bits per feature, 2 set in one word */
                nw = 16;
                while (nw * 64 < (size_t)nf * BLOOM_BITS)
                        nw *= 2;
                m->bloom = vl_xcalloc(nw, sizeof(*m->bloom));
                m->bmask = nw - 1;
                m->scale = scale;
                m->id = atomic_fetch_add(&ids, 1) + 1;
        }
        for (uint32_t k = 0; k < nf; k++) {
                uint64_t h;
                int16_t q[NT];

                if (fread(&h, sizeof(h), 1, f) != 1 ||
                    fread(q, sizeof(q), 1, f) != 1 || !h)
                        goto bad;
                if (h == fh(1, 0)) { /* the bias: on for every token */
                        for (int t = 0; t < NT; t++)
                                m->bias[t] = q[t];
                        m->used++;
                        continue;
                }
                qput(m, h, q);
                m->bloom[bloom_word(m, h)] |= bloom_mask(h);
        }
        fclose(f);
        *out = m;
        return VL_OK;
bad:
        fclose(f);
        enricher_model_destroy(m);
        return vl_err_set(err, VL_FATAL, "%s: not a veille NER model (or "
                          "truncated)", path);
}
