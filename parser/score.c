/*
 * score.c: the word-shingle metric of the ScrapingHub article-extraction
 * benchmark, as /work/shared/data/README.md describes it, for the
 * evaluation tool (bench/parser/) and its unit tests.
 *
 * A token is a maximal run of "word" code points, which is what Python's
 * re `\w` matches in a str pattern: letters (Lu Ll Lt Lm Lo), numbers
 * (Nd Nl No) and '_', categories from utf8proc. Combining marks are not
 * word characters there, so they split tokens here too. Bytes that are not
 * valid UTF-8 are separators.
 *
 * A shingle is identified by a 64-bit FNV-1a hash of its tokens (with a
 * separator byte between them); the multisets are compared by sorting the
 * hashes. A collision between two different shingles of two pages of a
 * few thousand words each has a probability around 1e-12.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "parser.h"

static bool is_word_cp(utf8proc_int32_t c)
{
        if (c == '_')
                return true;
        switch (utf8proc_category(c)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
                return true;
        default:
                return false;
        }
}

struct tok {
        size_t off;
        size_t len;
};

/* The tokens of @p s into a new array; @returns their number. */
static size_t tokenize(const char *s, struct tok **out)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        size_t n = s ? strlen(s) : 0, i = 0, cnt = 0, cap = 0;
        struct tok *v = NULL;
        bool in = false;

        while (i < n) {
                utf8proc_int32_t c;
                utf8proc_ssize_t k = utf8proc_iterate(p + i,
                                                      (utf8proc_ssize_t)(n - i),
                                                      &c);
                bool w;

                if (k <= 0) {
                        k = 1;
                        w = false;
                } else {
                        w = is_word_cp(c);
                }
                if (w && !in) {
                        if (cnt == cap) {
                                cap = cap ? cap * 2 : 64;
                                v = realloc(v, cap * sizeof(*v));
                                if (!v)
                                        abort();
                        }
                        v[cnt].off = i;
                        v[cnt].len = 0;
                        cnt++;
                }
                if (w)
                        v[cnt - 1].len += (size_t)k;
                in = w;
                i += (size_t)k;
        }
        *out = v;
        return cnt;
}

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* The sorted shingle hashes of @p s; @returns their number. */
static size_t shingles(const char *s, uint64_t **out)
{
        struct tok *t = NULL;
        size_t nt = tokenize(s, &t), ns, i, j;
        uint64_t *h;

        *out = NULL;
        if (!nt) {
                free(t);
                return 0;
        }
        ns = nt >= PARSER_SCORE_N ? nt - PARSER_SCORE_N + 1 : 1;
        h = malloc(ns * sizeof(*h));
        if (!h)
                abort();
        for (i = 0; i < ns; i++) {
                uint64_t x = 0xcbf29ce484222325ULL;
                size_t end = i + PARSER_SCORE_N < nt ? i + PARSER_SCORE_N : nt;

                for (j = i; j < end; j++) {
                        x = fnv(x, s + t[j].off, t[j].len);
                        x = fnv(x, " ", 1);
                }
                h[i] = x;
        }
        free(t);
        qsort(h, ns, sizeof(*h), cmp_u64);
        *out = h;
        return ns;
}

size_t parser_score_tokens(const char *s)
{
        struct tok *t = NULL;
        size_t n = tokenize(s, &t);

        free(t);
        return n;
}

void parser_score_page(const char *truth, const char *pred,
                       struct parser_score_page *sp)
{
        uint64_t *a = NULL, *b = NULL;
        size_t na = shingles(truth, &a), nb = shingles(pred, &b);
        size_t i = 0, j = 0;
        double tp = 0, fp = 0, fn = 0, sum;

        while (i < na || j < nb) {
                if (j == nb || (i < na && a[i] < b[j])) {
                        fn++;
                        i++;
                } else if (i == na || b[j] < a[i]) {
                        fp++;
                        j++;
                } else {
                        tp++;
                        i++;
                        j++;
                }
        }
        free(a);
        free(b);
        sum = tp + fp + fn;
        if (sum > 0) {
                tp /= sum;
                fp /= sum;
                fn /= sum;
        }
        sp->tp = tp;
        sp->fp = fp;
        sp->fn = fn;
        if (fp == 0 && fn == 0) {
                sp->precision = sp->recall = 1;
        } else if (tp == 0) {
                sp->precision = sp->recall = 0;
        } else {
                sp->precision = tp / (tp + fp);
                sp->recall = tp / (tp + fn);
        }
        sp->f1 = sp->precision + sp->recall > 0 ?
                 2 * sp->precision * sp->recall /
                 (sp->precision + sp->recall) : 0;
}

void parser_score_add(struct parser_score *s, const struct parser_score_page *p)
{
        s->pages++;
        if (p->tp + p->fp > 0) {
                s->p_sum += p->precision;
                s->p_n++;
        }
        if (p->tp + p->fn > 0) {
                s->r_sum += p->recall;
                s->r_n++;
        }
}

void parser_score_result(const struct parser_score *s, double *precision,
                         double *recall, double *f1)
{
        double p = s->p_n ? s->p_sum / (double)s->p_n : 0;
        double r = s->r_n ? s->r_sum / (double)s->r_n : 0;

        *precision = p;
        *recall = r;
        *f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
}
