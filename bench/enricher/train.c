/*
 * veille-enricher-train: trains the enricher's statistical tagger
 * (enricher/model.c) on token corpora and writes the model file.
 *
 *   veille-enricher-train --out enricher/data/ner-model.bin \
 *       --conll FILE --format iob|hipe [--strip-titles] [--conll ...] \
 *       [--epochs 8] [--max-features 120000] [--holdout K] [--tune]
 *
 * Only corpora that may ship may train the committed model (see
 * enricher/data/SOURCES.md and research/ner.md). --holdout K leaves out
 * every K-th document of each corpus (index % K == K - 1), the ones
 * veille-enricher-eval --holdout K scores. --tune (with --holdout K) also
 * leaves out the documents with index % K == K - 2, the tuning fold, and
 * scores them after each epoch with the whole tagging (gazetteer, rules and
 * the model as saved): what the number of epochs and the features were
 * chosen on, never the held-out fold.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/file.h"
#include "veille/mem.h"
#include "enricher.h"
#include "enricher_eval.h"
#include "enricher_model.h"

struct doc {
        char *text;
        size_t len;
        struct enricher_span *gold;
        size_t ng;
        unsigned corpus; /* which --conll */
        int strip;       /* --strip-titles: its PER spans lose their titles */
};

struct corpus {
        struct doc *d;
        size_t n, cap, seen;
        unsigned holdout, file;
        int tune, strip;
        struct doc *t; /* the tuning fold (--tune) */
        size_t nt, capt;
};

static void keep(void *ctx, struct enricher_eval_docu *du)
{
        struct corpus *c = ctx;
        struct doc *d;
        size_t idx = c->seen++;

        if (c->holdout && idx % c->holdout == c->holdout - 1)
                return;
        if (c->tune && c->holdout > 1 && idx % c->holdout == c->holdout - 2) {
                if (c->nt == c->capt) {
                        c->capt = c->capt ? c->capt * 2 : 256;
                        c->t = vl_xrealloc(c->t, c->capt * sizeof(*c->t));
                }
                d = &c->t[c->nt++];
        } else {
                if (c->n == c->cap) {
                        c->cap = c->cap ? c->cap * 2 : 256;
                        c->d = vl_xrealloc(c->d, c->cap * sizeof(*c->d));
                }
                d = &c->d[c->n++];
        }
        d->corpus = c->file;
        d->strip = c->strip;
        d->text = vl_xmemdup(du->text, du->len + 1);
        d->len = du->len;
        d->ng = du->ng;
        d->gold = NULL;
        if (du->ng) {
                d->gold = vl_xmalloc(du->ng * sizeof(*du->gold));
                memcpy(d->gold, du->gold, du->ng * sizeof(*du->gold));
        }
}

/* Word classes that a person's span of the seeds' conventions does not
 * begin with: title, abbreviation, role, function word
 * (enricher_tag_classes()). */
#define TITLE_CLASSES (1 | 2 | 4 | 8)

/* BIO tags of the tokens from the gold spans (code points): a token inside
 * a span takes its type; tokens that straddle a span edge stay O. With
 * d->strip, the leading titles of a PER span ("M. Blum", "le général
 * Dubail": HIPE's guidelines) are left out, as the seeds' conventions
 * have it; a span of titles only is dropped. */
static void labels(const struct enricher_tokens *tk, const struct doc *d,
                   const uint8_t *cls, uint8_t *out)
{
        memset(out, ENRICHER_TAG_O, tk->n);
        for (size_t k = 0; k < d->ng; k++) {
                const struct enricher_span *s = &d->gold[k];
                int first = 1;

                if (s->type < 0 || s->type > 2)
                        continue;
                for (size_t i = 0; i < tk->n; i++) {
                        if (tk->v[i].c0 >= s->end)
                                break;
                        if (tk->v[i].c0 < s->start || tk->v[i].c1 > s->end)
                                continue;
                        if (d->strip && first && s->type == 0 &&
                            (cls[i] & TITLE_CLASSES))
                                continue;
                        out[i] = (uint8_t)(1 + 2 * s->type + !first);
                        first = 0;
                }
        }
}

/* Score the tuning fold with the whole tagging and the model as saved in
 * @p path: F1 per corpus and overall on stderr. */
static void tune(const struct corpus *c, const char *path,
                 const char *const *files, size_t nfiles, size_t epoch)
{
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        struct enricher_model *m = NULL;
        struct enricher_tag *tg;
        struct enricher_eval ev[17];
        struct enricher_span *pred = NULL;
        size_t cap = 0;
        struct vl_err err = {0};

        if (enricher_gazetteer_load(gz, VEILLE_ENRICHER_GAZETTEER, &err) !=
                    VL_OK ||
            enricher_model_load(&m, path, &err) != VL_OK) {
                fprintf(stderr, "tune: %s\n", err.msg);
                enricher_gazetteer_destroy(gz);
                return;
        }
        tg = enricher_tag_new(gz);
        enricher_tag_set_model(tg, m);
        for (size_t k = 0; k <= nfiles; k++)
                enricher_eval_init(&ev[k]);
        for (size_t k = 0; k < c->nt; k++) {
                const struct doc *d = &c->t[k];
                struct enricher_span *g =
                        vl_xmalloc((d->ng + 1) * sizeof(*g));

                enricher_tag_article(tg, NULL, 0, d->text, d->len);
                if (tg->nm + 1 > cap) {
                        cap = tg->nm * 2 + 1;
                        pred = vl_xrealloc(pred, cap * sizeof(*pred));
                }
                for (size_t j = 0; j < tg->nm; j++) {
                        memset(&pred[j], 0, sizeof(pred[j]));
                        pred[j].start = tg->m[j].start;
                        pred[j].end = tg->m[j].end;
                        pred[j].type = (int)tg->g[tg->m[j].group].type;
                }
                for (size_t pass = 0; pass < 2; pass++) {
                        /* enricher_eval_doc() sorts: score copies */
                        struct enricher_span *p =
                                vl_xmalloc((tg->nm + 1) * sizeof(*p));

                        memcpy(g, d->gold, d->ng * sizeof(*g));
                        memcpy(p, pred, tg->nm * sizeof(*p));
                        enricher_eval_doc(&ev[pass ? nfiles : d->corpus], "",
                                          g, d->ng, p, tg->nm, NULL, NULL);
                        free(p);
                }
                free(g);
        }
        for (size_t k = 0; k <= nfiles; k++) {
                struct enricher_prf s = enricher_eval_sum(&ev[k], -1, -1);
                const char *name = k < nfiles ? strrchr(files[k], '/') : NULL;

                fprintf(stderr, "epoch %zu: tune %-22.22s P %.3f R %.3f "
                                "F1 %.3f\n",
                        epoch, k == nfiles ? "all" : name ? name + 1 : files[k],
                        enricher_prf_precision(s), enricher_prf_recall(s),
                        enricher_prf_f1(s));
        }
        free(pred);
        enricher_tag_destroy(tg);
        enricher_model_destroy(m);
        enricher_gazetteer_destroy(gz);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"conll", required_argument, 0, 'c'},
                {"format", required_argument, 0, 'f'},
                {"out", required_argument, 0, 'o'},
                {"epochs", required_argument, 0, 'e'},
                {"max-features", required_argument, 0, 'm'},
                {"holdout", required_argument, 0, 'k'},
                {"doc-tokens", required_argument, 0, 'n'},
                {"tune", no_argument, 0, 't'},
                {"strip-titles", no_argument, 0, 's'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        const char *files[16], *fmts[16], *out = NULL;
        int strip[16] = {0};
        size_t nfiles = 0, epochs = 8, maxf = 120000, doc_tokens = 400;
        unsigned holdout = 0;
        int tuning = 0;
        struct corpus c;
        struct enricher_model *m;
        struct enricher_model_work w;
        struct enricher_tokens tk;
        struct vl_err err = {0};
        uint8_t *gold = NULL, *cls = NULL;
        struct enricher_gazetteer *nogz = enricher_gazetteer_new();
        struct enricher_tag *lex = enricher_tag_new(nogz); /* word classes */
        size_t capgold = 0, *order;
        uint64_t rnd = 0x853c49e6748fea9bULL;
        int opt;

        while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        if (nfiles == 16)
                                return 2;
                        files[nfiles] = optarg;
                        fmts[nfiles++] = "iob";
                        break;
                case 'f':
                        if (nfiles)
                                fmts[nfiles - 1] = optarg;
                        break;
                case 'o': out = optarg; break;
                case 'e': epochs = strtoul(optarg, NULL, 10); break;
                case 'm': maxf = strtoul(optarg, NULL, 10); break;
                case 'k': holdout = (unsigned)strtoul(optarg, NULL, 10); break;
                case 'n': doc_tokens = strtoul(optarg, NULL, 10); break;
                case 't': tuning = 1; break;
                case 's':
                        if (nfiles)
                                strip[nfiles - 1] = 1;
                        break;
                case 'h':
                default:
                        fprintf(opt == 'h' ? stdout : stderr,
                                "usage: veille-enricher-train --out FILE "
                                "--conll FILE [--format iob|hipe] "
                                "[--strip-titles] ... "
                                "[--epochs 8] [--max-features 120000] "
                                "[--holdout K [--tune]] "
                                "[--doc-tokens 400]\n");
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (!out || !nfiles)
                return fprintf(stderr, "give --out and --conll\n"), 2;
        memset(&c, 0, sizeof(c));
        c.holdout = holdout;
        c.tune = tuning;
        if (tuning && holdout < 2)
                return fprintf(stderr, "--tune needs --holdout K\n"), 2;
        for (size_t k = 0; k < nfiles; k++) {
                size_t len;
                char *data = vl_file_read(files[k], &len, NULL);

                if (!data) {
                        fprintf(stderr, "%s: %s\n", files[k], strerror(errno));
                        return 1;
                }
                c.seen = 0;
                c.file = (unsigned)k;
                c.strip = strip[k];
                enricher_eval_read_conll(data, len,
                                         strcmp(fmts[k], "hipe") == 0
                                                 ? ENRICHER_CONLL_HIPE
                                                 : ENRICHER_CONLL_IOB,
                                         doc_tokens, "", files[k], keep, &c);
                free(data);
        }
        fprintf(stderr, "%zu training documents, %zu to tune on\n", c.n,
                c.nt);
        m = enricher_model_new();
        memset(&w, 0, sizeof(w));
        enricher_tokens_init(&tk);
        order = vl_xmalloc((c.n + 1) * sizeof(*order));
        for (size_t i = 0; i < c.n; i++)
                order[i] = i;
        for (size_t e = 0; e < epochs; e++) {
                size_t wrong = 0, toks = 0;

                for (size_t i = c.n; i > 1; i--) { /* a fixed shuffle */
                        size_t j, t;

                        rnd ^= rnd << 13;
                        rnd ^= rnd >> 7;
                        rnd ^= rnd << 17;
                        j = (size_t)(rnd % i);
                        t = order[i - 1];
                        order[i - 1] = order[j];
                        order[j] = t;
                }
                for (size_t k = 0; k < c.n; k++) {
                        const struct doc *d = &c.d[order[k]];

                        enricher_tokenize(&tk, d->text, d->len);
                        enricher_tokens_case_evidence(&tk);
                        if (tk.n > capgold) {
                                capgold = tk.n * 2;
                                gold = vl_xrealloc(gold, capgold);
                                cls = vl_xrealloc(cls, capgold);
                        }
                        enricher_tag_classes(lex, &tk, cls);
                        labels(&tk, d, cls, gold);
                        w.cls = cls;
                        wrong += enricher_model_train(m, &tk, gold, &w);
                        toks += tk.n;
                }
                fprintf(stderr, "epoch %zu: %.2f%% of tokens wrong, %zu "
                                "features\n",
                        e + 1, 100.0 * (double)wrong / (double)(toks + !toks),
                        m->used);
                if (tuning) {
                        if (enricher_model_save(m, out, maxf, &err) != VL_OK) {
                                fprintf(stderr, "%s\n", err.msg);
                                return 1;
                        }
                        tune(&c, out, files, nfiles, e + 1);
                }
        }
        if (enricher_model_save(m, out, maxf, &err) != VL_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
        }
        enricher_model_destroy(m);
        enricher_model_work_release(&w);
        enricher_tokens_release(&tk);
        for (size_t i = 0; i < c.n; i++) {
                free(c.d[i].text);
                free(c.d[i].gold);
        }
        for (size_t i = 0; i < c.nt; i++) {
                free(c.t[i].text);
                free(c.t[i].gold);
        }
        free(c.d);
        free(c.t);
        free(order);
        free(gold);
        free(cls);
        enricher_tag_destroy(lex);
        enricher_gazetteer_destroy(nogz);
        return 0;
}
