/*
 * veille-enricher-train: trains the enricher's statistical tagger
 * (enricher/model.c) on token corpora and writes the model file.
 *
 *   veille-enricher-train --out enricher/data/ner-model.bin \
 *       --conll FILE --format iob|hipe [--conll FILE --format ...] \
 *       [--epochs 8] [--max-features 120000] [--holdout K]
 *
 * Only corpora that may ship may train the committed model (see
 * enricher/data/SOURCES.md and research/ner.md). --holdout K leaves out
 * every K-th document of each corpus (index % K == K - 1), the ones
 * veille-enricher-eval --holdout K scores.
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
};

struct corpus {
        struct doc *d;
        size_t n, cap, seen;
        unsigned holdout;
};

static void keep(void *ctx, struct enricher_eval_docu *du)
{
        struct corpus *c = ctx;
        struct doc *d;
        size_t idx = c->seen++;

        if (c->holdout && idx % c->holdout == c->holdout - 1)
                return;
        if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 256;
                c->d = vl_xrealloc(c->d, c->cap * sizeof(*c->d));
        }
        d = &c->d[c->n++];
        d->text = vl_xmemdup(du->text, du->len + 1);
        d->len = du->len;
        d->ng = du->ng;
        d->gold = NULL;
        if (du->ng) {
                d->gold = vl_xmalloc(du->ng * sizeof(*du->gold));
                memcpy(d->gold, du->gold, du->ng * sizeof(*du->gold));
        }
}

/* BIO tags of the tokens from the gold spans (code points): a token inside
 * a span takes its type; tokens that straddle a span edge stay O. */
static void labels(const struct enricher_tokens *tk, const struct doc *d,
                   uint8_t *out)
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
                        out[i] = (uint8_t)(1 + 2 * s->type + !first);
                        first = 0;
                }
        }
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
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        const char *files[16], *fmts[16], *out = NULL;
        size_t nfiles = 0, epochs = 8, maxf = 120000, doc_tokens = 400;
        unsigned holdout = 0;
        struct corpus c;
        struct enricher_model *m;
        struct enricher_model_work w;
        struct enricher_tokens tk;
        struct vl_err err = {0};
        uint8_t *gold = NULL;
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
                case 'h':
                default:
                        fprintf(opt == 'h' ? stdout : stderr,
                                "usage: veille-enricher-train --out FILE "
                                "--conll FILE [--format iob|hipe] ... "
                                "[--epochs 8] [--max-features 120000] "
                                "[--holdout K] [--doc-tokens 400]\n");
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (!out || !nfiles)
                return fprintf(stderr, "give --out and --conll\n"), 2;
        memset(&c, 0, sizeof(c));
        c.holdout = holdout;
        for (size_t k = 0; k < nfiles; k++) {
                size_t len;
                char *data = vl_file_read(files[k], &len, NULL);

                if (!data) {
                        fprintf(stderr, "%s: %s\n", files[k], strerror(errno));
                        return 1;
                }
                c.seen = 0;
                enricher_eval_read_conll(data, len,
                                         strcmp(fmts[k], "hipe") == 0
                                                 ? ENRICHER_CONLL_HIPE
                                                 : ENRICHER_CONLL_IOB,
                                         doc_tokens, "", files[k], keep, &c);
                free(data);
        }
        fprintf(stderr, "%zu training documents\n", c.n);
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
                        if (tk.n > capgold) {
                                capgold = tk.n * 2;
                                gold = vl_xrealloc(gold, capgold);
                        }
                        labels(&tk, d, gold);
                        wrong += enricher_model_train(m, &tk, gold, &w);
                        toks += tk.n;
                }
                fprintf(stderr, "epoch %zu: %.2f%% of tokens wrong, %zu "
                                "features\n",
                        e + 1, 100.0 * (double)wrong / (double)(toks + !toks),
                        m->used);
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
        free(c.d);
        free(order);
        free(gold);
        return 0;
}
