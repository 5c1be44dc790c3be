/* Structured averaged perceptron with first-order Viterbi (Collins 2002),
 * hashed features. The model file:
 *   "VLNER001", uint32 nfeat, float scale, float trans[8][7],
 *   nfeat x (uint64 feature hash, int16 weight[7] -- times scale)
 * little-endian, as written by enricher_model_save(). */
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/mem.h"
#include "enricher_model.h"

#define NT ENRICHER_NTAGS
#define WS 8 /* weights per slot: NT, padded for vector adds */
#define MAGIC "VLNER001"

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
        free(m);
}

void enricher_model_work_release(struct enricher_model_work *w)
{
        free(w->f);
        free(w->fh);
        free(w->score);
        free(w->bp);
        free(w->pred);
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
                                      ENRICHER_TOK_MIXED |
                                      ENRICHER_TOK_DIGIT)) |
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

static void features(const struct enricher_tokens *tk, size_t i,
                     uint64_t *f)
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

/* Emission scores of every token, then Viterbi into @p out. */
static void decode(const struct enricher_model *m,
                   const struct enricher_tokens *tk,
                   struct enricher_model_work *w, uint8_t *out)
{
        size_t n = tk->n;
        float *em = w->score, *delta = w->score + n * NT;

        for (size_t i = 0; i < n; i++) {
                float *e = em + i * NT, acc[WS];
                uint64_t f[ENRICHER_NFEAT];

                memset(acc, 0, sizeof(acc));
                features(tk, i, f);
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
        for (size_t i = 0; i < n; i++)
                for (int t = 0; t < NT; t++) {
                        float best = -FLT_MAX;
                        int arg = 0;

                        if (i == 0) {
                                best = ok[NT][t]
                                               ? m->trans[NT][t]
                                               : -FLT_MAX;
                        } else {
                                for (int p = 0; p < NT; p++) {
                                        float v;

                                        if (!ok[p][t] ||
                                            delta[(i - 1) * NT + (size_t)p] ==
                                                    -FLT_MAX)
                                                continue;
                                        v = delta[(i - 1) * NT + (size_t)p] +
                                            m->trans[p][t];
                                        if (v > best) {
                                                best = v;
                                                arg = p;
                                        }
                                }
                        }
                        delta[i * NT + (size_t)t] =
                                best == -FLT_MAX ? -FLT_MAX
                                                 : best + em[i * NT + (size_t)t];
                        w->bp[i * NT + (size_t)t] = (uint8_t)arg;
                }
        if (!n)
                return;
        {
                int t = 0;
                float best = -FLT_MAX;

                for (int k = 0; k < NT; k++)
                        if (delta[(n - 1) * NT + (size_t)k] > best) {
                                best = delta[(n - 1) * NT + (size_t)k];
                                t = k;
                        }
                for (size_t i = n; i-- > 0;) {
                        out[i] = (uint8_t)t;
                        t = w->bp[i * NT + (size_t)t];
                }
        }
}

void enricher_model_tag(const struct enricher_model *m,
                        const struct enricher_tokens *tk,
                        struct enricher_model_work *w, uint8_t *out)
{
        reserve(w, tk->n + 1);
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
                        features(tk, i, f);
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
        m->nslot = 1024;
        while (m->nslot < (size_t)nf * 2 + 2)
                m->nslot *= 2;
        m->key = vl_xcalloc(m->nslot, sizeof(*m->key));
        m->w = vl_xcalloc(m->nslot * WS, sizeof(*m->w));
        for (uint32_t k = 0; k < nf; k++) {
                uint64_t h;
                int16_t q[NT];
                size_t s;

                if (fread(&h, sizeof(h), 1, f) != 1 ||
                    fread(q, sizeof(q), 1, f) != 1 || !h)
                        goto bad;
                s = find_or_add(m, h);
                for (int t = 0; t < NT; t++)
                        m->w[s * WS + (size_t)t] = (float)q[t] * scale;
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
