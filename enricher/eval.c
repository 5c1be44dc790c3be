/* Scoring mentions against a gold file, and reading gold corpora. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/mem.h"
#include "enricher_eval.h"

static const char *const type_names[ENRICHER_EVAL_TYPES] = {"PER", "ORG",
                                                            "LOC"};

void enricher_eval_init(struct enricher_eval *ev)
{
        memset(ev, 0, sizeof(*ev));
}

static int span_cmp(const void *a, const void *b)
{
        const struct enricher_span *x = a, *y = b;

        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end < y->end ? -1 : 1;
        return (x->type > y->type) - (x->type < y->type);
}

static int lang_index(struct enricher_eval *ev, const char *lang)
{
        if (!lang || !*lang)
                lang = "?";
        for (size_t i = 0; i < ev->nlang; i++)
                if (strcmp(ev->lang[i], lang) == 0)
                        return (int)i;
        if (ev->nlang == ENRICHER_EVAL_LANGS)
                return ENRICHER_EVAL_LANGS - 1;
        snprintf(ev->lang[ev->nlang], sizeof(ev->lang[0]), "%s", lang);
        return (int)ev->nlang++;
}

static int type_ok(int t)
{
        return t >= 0 && t < ENRICHER_EVAL_TYPES;
}

/* The gold mention with exactly this span (any type), or NULL. */
static const struct enricher_span *
gold_at(const struct enricher_span *gold, size_t ng, uint32_t start,
        uint32_t end)
{
        size_t lo = 0, hi = ng;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (gold[mid].start < start ||
                    (gold[mid].start == start && gold[mid].end < end))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < ng && gold[lo].start == start && gold[lo].end == end; lo++)
                if (type_ok(gold[lo].type))
                        return &gold[lo];
        return NULL;
}

void enricher_eval_doc(struct enricher_eval *ev, const char *lang,
                       struct enricher_span *gold, size_t ng,
                       struct enricher_span *pred, size_t np,
                       enricher_eval_cb *cb, void *ctx)
{
        struct enricher_prf *by = ev->by[lang_index(ev, lang)];
        size_t i = 0, j = 0;

        ev->docs++;
        if (ng)
                qsort(gold, ng, sizeof(*gold), span_cmp);
        if (np)
                qsort(pred, np, sizeof(*pred), span_cmp);
        while (i < ng || j < np) {
                int c;

                if (i < ng && !type_ok(gold[i].type)) {
                        i++;
                        continue;
                }
                if (j < np && !type_ok(pred[j].type)) {
                        j++;
                        continue;
                }
                c = i == ng ? 1 : j == np ? -1
                                          : span_cmp(&gold[i], &pred[j]);
                if (c == 0) {
                        by[gold[i].type].tp++;
                        i++;
                        j++;
                } else if (c < 0) {
                        by[gold[i].type].fn++;
                        if (cb)
                                cb(ctx, ENRICHER_EVAL_FN, &gold[i], NULL);
                        i++;
                } else {
                        by[pred[j].type].fp++;
                        if (cb)
                                cb(ctx, ENRICHER_EVAL_FP, &pred[j], NULL);
                        j++;
                }
        }
        for (i = 0; i < ng; i++)
                if (type_ok(gold[i].type) && gold[i].qid[0])
                        ev->gold_qid++;
        for (j = 0; j < np; j++) {
                const struct enricher_span *g;

                if (!type_ok(pred[j].type) || !pred[j].qid[0])
                        continue;
                g = gold_at(gold, ng, pred[j].start, pred[j].end);
                if (!g)
                        ev->link_nospan++;
                else if (!g->qid[0])
                        ev->link_nogold++;
                else {
                        ev->link_judged++;
                        if (strcmp(g->qid, pred[j].qid) == 0)
                                ev->link_ok++;
                        else if (cb)
                                cb(ctx, ENRICHER_EVAL_LINK_BAD, &pred[j],
                                   g->qid);
                }
        }
}

struct enricher_prf enricher_eval_sum(const struct enricher_eval *ev,
                                      int lang, int type)
{
        struct enricher_prf s = {0, 0, 0};

        for (size_t l = 0; l < ev->nlang; l++) {
                if (lang >= 0 && (size_t)lang != l)
                        continue;
                for (int t = 0; t < ENRICHER_EVAL_TYPES; t++) {
                        if (type >= 0 && type != t)
                                continue;
                        s.tp += ev->by[l][t].tp;
                        s.fp += ev->by[l][t].fp;
                        s.fn += ev->by[l][t].fn;
                }
        }
        return s;
}

double enricher_prf_precision(struct enricher_prf c)
{
        return c.tp + c.fp ? (double)c.tp / (double)(c.tp + c.fp) : 0.0;
}

double enricher_prf_recall(struct enricher_prf c)
{
        return c.tp + c.fn ? (double)c.tp / (double)(c.tp + c.fn) : 0.0;
}

double enricher_prf_f1(struct enricher_prf c)
{
        double p = enricher_prf_precision(c), r = enricher_prf_recall(c);

        return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static void row(FILE *f, const char *label, struct enricher_prf c)
{
        fprintf(f, "%-10s %6.3f %6.3f %6.3f %6llu %6llu %6llu\n", label,
                enricher_prf_precision(c), enricher_prf_recall(c),
                enricher_prf_f1(c), (unsigned long long)c.tp,
                (unsigned long long)c.fp, (unsigned long long)c.fn);
}

void enricher_eval_print(const struct enricher_eval *ev, FILE *f)
{
        char label[32];

        fprintf(f, "documents: %llu\n", (unsigned long long)ev->docs);
        fprintf(f, "%-10s %6s %6s %6s %6s %6s %6s\n", "", "P", "R", "F1",
                "tp", "fp", "fn");
        for (int t = 0; t < ENRICHER_EVAL_TYPES; t++)
                row(f, type_names[t], enricher_eval_sum(ev, -1, t));
        for (size_t l = 0; l < ev->nlang; l++) {
                snprintf(label, sizeof(label), "lang=%s", ev->lang[l]);
                row(f, label, enricher_eval_sum(ev, (int)l, -1));
                if (ev->nlang == 1)
                        break;
        }
        if (ev->nlang > 1)
                for (size_t l = 0; l < ev->nlang; l++)
                        for (int t = 0; t < ENRICHER_EVAL_TYPES; t++) {
                                snprintf(label, sizeof(label), "%s/%s",
                                         ev->lang[l], type_names[t]);
                                row(f, label,
                                    enricher_eval_sum(ev, (int)l, t));
                        }
        row(f, "overall", enricher_eval_sum(ev, -1, -1));
        if (!ev->link_judged && !ev->gold_qid) {
                fprintf(f, "linking: no gold qids (linked: %llu on gold "
                           "spans, %llu on spans not in gold)\n",
                        (unsigned long long)ev->link_nogold,
                        (unsigned long long)ev->link_nospan);
                return;
        }
        fprintf(f,
                "linking: precision %.3f (%llu of %llu linked mentions on "
                "gold spans with a gold qid); recall %.3f (of %llu gold "
                "qids); linked on gold spans without qid: %llu; linked on "
                "spans not in gold: %llu\n",
                ev->link_judged ? (double)ev->link_ok /
                                          (double)ev->link_judged
                                : 0.0,
                (unsigned long long)ev->link_ok,
                (unsigned long long)ev->link_judged,
                ev->gold_qid ? (double)ev->link_ok / (double)ev->gold_qid
                             : 0.0,
                (unsigned long long)ev->gold_qid,
                (unsigned long long)ev->link_nogold,
                (unsigned long long)ev->link_nospan);
}

/* ---- gold documents ----------------------------------------------------- */

void enricher_eval_docu_clear(struct enricher_eval_docu *d)
{
        free(d->name);
        d->name = NULL;
        d->len = 0;
        d->ncp = 0;
        if (d->text)
                d->text[0] = '\0';
        d->ng = 0;
}

void enricher_eval_docu_release(struct enricher_eval_docu *d)
{
        free(d->name);
        free(d->text);
        free(d->gold);
        memset(d, 0, sizeof(*d));
}

int enricher_eval_type(const char *s, size_t n)
{
        static const char *const alt[ENRICHER_EVAL_TYPES] = {"pers", "org",
                                                             "loc"};

        for (int t = 0; t < ENRICHER_EVAL_TYPES; t++)
                if ((n == strlen(type_names[t]) &&
                     strncasecmp(s, type_names[t], n) == 0) ||
                    (n == strlen(alt[t]) && strncasecmp(s, alt[t], n) == 0))
                        return t;
        return -1;
}

static void text_add(struct enricher_eval_docu *d, const char *s, size_t n)
{
        if (d->len + n + 1 > d->cap) {
                d->cap = (d->len + n + 1) * 2;
                d->text = vl_xrealloc(d->text, d->cap);
        }
        memcpy(d->text + d->len, s, n);
        d->len += n;
        d->text[d->len] = '\0';
        for (size_t i = 0; i < n; i++)
                if (((unsigned char)s[i] & 0xC0) != 0x80)
                        d->ncp++;
}

static struct enricher_span *gold_push(struct enricher_eval_docu *d)
{
        if (d->ng == d->capg) {
                d->capg = d->capg ? d->capg * 2 : 64;
                d->gold = vl_xrealloc(d->gold, d->capg * sizeof(*d->gold));
        }
        memset(&d->gold[d->ng], 0, sizeof(*d->gold));
        return &d->gold[d->ng++];
}

/* Reader state: one document being built. */
struct conll {
        struct enricher_eval_docu d;
        enum enricher_conll_format fmt;
        size_t doc_tokens, ntok, ndocs;
        const char *lang, *prefix;
        enricher_eval_doc_cb *cb;
        void *ctx;
        int open_type;  /* type of the mention being read, or -1 */
        int open;       /* index of that mention in d.gold */
        int need_break; /* a sentence break before the next token */
        int glue;       /* no space before the next token */
        int has_sent;   /* the corpus marks sentence ends */
};

static void conll_close(struct conll *c)
{
        c->open_type = -1;
        c->open = -1;
}

static void conll_flush(struct conll *c)
{
        conll_close(c);
        if (c->ntok) {
                char name[256];

                snprintf(name, sizeof(name), "%s#%zu", c->prefix, c->ndocs);
                c->d.name = vl_xstrdup(name);
                snprintf(c->d.lang, sizeof(c->d.lang), "%s", c->lang);
                c->ndocs++;
                c->cb(c->ctx, &c->d);
        }
        enricher_eval_docu_clear(&c->d);
        c->ntok = 0;
        c->need_break = 0;
        c->glue = 0;
}

static void conll_sentence_end(struct conll *c)
{
        conll_close(c);
        c->has_sent = 1;
        if (c->ntok)
                c->need_break = 1;
        if (c->ntok >= c->doc_tokens)
                conll_flush(c);
}

/* One token with its tag ("O", "B-PER", "I-loc"...) and qid ("" or "_"). */
static void conll_token(struct conll *c, const char *tok, size_t tn,
                        const char *tag, size_t gn, const char *qid, size_t qn,
                        int glue_after)
{
        int type = -1, begin = 0;

        if (gn > 2 && (tag[0] == 'B' || tag[0] == 'I' || tag[0] == 'E' ||
                       tag[0] == 'S') && tag[1] == '-') {
                type = enricher_eval_type(tag + 2, gn - 2);
                begin = tag[0] == 'B' || tag[0] == 'S';
        }
        if (type < 0 && c->ntok >= c->doc_tokens && !c->has_sent)
                conll_flush(c); /* no sentences: cut outside a mention */
        if (c->ntok) {
                if (c->need_break)
                        text_add(&c->d, "\n", 1);
                else if (!c->glue)
                        text_add(&c->d, " ", 1);
        }
        c->need_break = 0;
        if (type < 0) {
                conll_close(c);
        } else if (begin || type != c->open_type) {
                struct enricher_span *s = gold_push(&c->d);

                s->start = s->end = c->d.ncp;
                s->type = type;
                if (qn > 1 && qn < sizeof(s->qid) && qid[0] == 'Q')
                        memcpy(s->qid, qid, qn);
                c->open_type = type;
                c->open = (int)c->d.ng - 1;
        }
        text_add(&c->d, tok, tn);
        if (type >= 0)
                c->d.gold[c->open].end = c->d.ncp;
        c->glue = glue_after;
        c->ntok++;
}

static int has_word(const char *s, size_t n, const char *w)
{
        size_t wl = strlen(w);

        for (size_t i = 0; i + wl <= n; i++)
                if (memcmp(s + i, w, wl) == 0)
                        return 1;
        return 0;
}

/* Splits @p line at tabs or spaces into at most @p max fields. */
static size_t fields(const char *line, size_t n, int tabs, const char **f,
                     size_t *fl, size_t max)
{
        size_t k = 0, i = 0;

        while (i < n && k < max) {
                size_t j = i;

                if (!tabs)
                        while (i < n && (line[i] == ' ' || line[i] == '\t'))
                                j = ++i;
                if (i >= n)
                        break;
                while (i < n && !(tabs ? line[i] == '\t'
                                       : line[i] == ' ' || line[i] == '\t'))
                        i++;
                f[k] = line + j;
                fl[k++] = i - j;
                if (i < n)
                        i++;
        }
        return k;
}

static int is_number(const char *s, size_t n)
{
        if (!n)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]))
                        return 0;
        return 1;
}

static void conll_line(struct conll *c, const char *line, size_t n)
{
        const char *f[10];
        size_t fl[10], k;

        while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
                n--;
        if (c->fmt == ENRICHER_CONLL_HIPE) {
                static const char docid[] = "# hipe2022:document_id";

                if (n >= sizeof(docid) - 1 &&
                    memcmp(line, docid, sizeof(docid) - 1) == 0) {
                        conll_flush(c);
                        return;
                }
                if (n == 0) {
                        conll_sentence_end(c);
                        return;
                }
                if (line[0] == '#' || (n >= 5 && memcmp(line, "TOKEN", 5) == 0))
                        return;
                k = fields(line, n, 1, f, fl, 10);
                if (k < 2)
                        return;
                {
                        const char *misc = k >= 10 ? f[9] : "";
                        size_t ml = k >= 10 ? fl[9] : 0;
                        int glue = 0, eos = 0;

                        glue = has_word(misc, ml, "NoSpaceAfter");
                        eos = has_word(misc, ml, "EndOfSentence");
                        conll_token(c, f[0], fl[0], f[1], fl[1],
                                    k >= 8 ? f[7] : "", k >= 8 ? fl[7] : 0,
                                    glue);
                        if (eos)
                                conll_sentence_end(c);
                }
                return;
        }
        k = fields(line, n, 0, f, fl, 4);
        if (k == 0) {
                conll_sentence_end(c);
                return;
        }
        if (k >= 3 && is_number(f[0], fl[0])) {
                if (fl[0] == 1 && f[0][0] == '0')
                        conll_sentence_end(c);
                f[0] = f[1];
                fl[0] = fl[1];
                f[1] = f[k - 1];
                fl[1] = fl[k - 1];
        } else if (k >= 2) {
                f[1] = f[k - 1];
                fl[1] = fl[k - 1];
        } else {
                return;
        }
        if (fl[0] == 10 && memcmp(f[0], "-DOCSTART-", 10) == 0) {
                conll_flush(c);
                return;
        }
        conll_token(c, f[0], fl[0], f[1], fl[1], "", 0, 0);
}

size_t enricher_eval_read_conll(const char *data, size_t len,
                                enum enricher_conll_format fmt,
                                size_t doc_tokens, const char *lang,
                                const char *prefix,
                                enricher_eval_doc_cb *cb, void *ctx)
{
        struct conll c;
        size_t i = 0;

        memset(&c, 0, sizeof(c));
        c.fmt = fmt;
        c.doc_tokens = doc_tokens ? doc_tokens : 400;
        c.lang = lang ? lang : "";
        c.prefix = prefix ? prefix : "doc";
        c.cb = cb;
        c.ctx = ctx;
        conll_close(&c);
        while (i < len) {
                const char *nl = memchr(data + i, '\n', len - i);
                size_t e = nl ? (size_t)(nl - data) : len;

                conll_line(&c, data + i, e - i);
                i = e + 1;
        }
        conll_flush(&c);
        enricher_eval_docu_release(&c.d);
        return c.ndocs;
}
