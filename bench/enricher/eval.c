/*
 * veille-enricher-eval: the enricher's tagging against gold mentions.
 *
 *   veille-enricher-eval --gold FILE.jsonl --docs DIR [options]
 *   veille-enricher-eval --conll FILE --format iob|hipe --lang fr [options]
 *
 * Prints precision, recall and F1 (exact span and type) per type, per
 * language and overall, and the Wikidata-link precision. See README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "veille/file.h"
#include "veille/mem.h"
#include "enricher.h"
#include "enricher_eval.h"
#include "enricher_model.h"

struct run {
        struct enricher_tag *tg;
        struct enricher_eval ev;
        const char *lang; /* --lang, or NULL */
        int errors;       /* --errors: list them on stdout */
        unsigned holdout; /* --holdout K: only docs with index % K == K-1 */
        size_t seen;
        const struct enricher_eval_docu *cur;
        struct enricher_span *pred;
        size_t cappred;
};

/* A language when neither the gold nor --lang gives one: which of the
 * French and English function words are more frequent. */
static const char *guess_lang(const char *s, size_t n)
{
        static const char *const fr[] = {" le ", " la ", " les ", " des ",
                                         " du ", " et ", " est ", " une "};
        static const char *const en[] = {" the ", " of ", " and ", " is ",
                                         " to ", " in ", " was ", " a "};
        size_t nf = 0, ne = 0;

        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < 8; k++) {
                        size_t lf = strlen(fr[k]), le = strlen(en[k]);

                        if (i + lf <= n && memcmp(s + i, fr[k], lf) == 0)
                                nf++;
                        if (i + le <= n && memcmp(s + i, en[k], le) == 0)
                                ne++;
                }
        return nf >= ne ? "fr" : "en";
}

static void print_err(void *ctx, enum enricher_eval_err kind,
                      const struct enricher_span *s, const char *gold_qid)
{
        struct run *r = ctx;
        static const char *const kn[] = {"FP", "FN", "LINK"};
        static const char *const tn[] = {"PER", "ORG", "LOC"};
        const char *t = r->cur->text, *p = t, *b = NULL, *e = NULL;
        uint32_t cp = 0;

        /* code points -> bytes */
        while (*p) {
                if (cp == s->start && !b)
                        b = p;
                if (cp == s->end) {
                        e = p;
                        break;
                }
                p++;
                while ((*p & 0xC0) == 0x80)
                        p++;
                cp++;
        }
        if (!e)
                e = p;
        if (!b)
                b = e;
        printf("%s\t%s\t%u\t%u\t%s\t%.*s\t%s%s%s\n", kn[kind], r->cur->name,
               s->start, s->end, tn[s->type], (int)(e - b), b, s->qid,
               gold_qid ? " gold " : "", gold_qid ? gold_qid : "");
}

static void score(void *ctx, struct enricher_eval_docu *d)
{
        struct run *r = ctx;
        const struct enricher_tag *tg = r->tg;
        const char *lang = d->lang[0] ? d->lang
                           : r->lang   ? r->lang
                                       : guess_lang(d->text, d->len);

        if (r->lang)
                lang = r->lang;
        if (r->holdout && r->seen++ % r->holdout != r->holdout - 1)
                return;
        enricher_tag_article(r->tg, NULL, 0, d->text, d->len);
        if (tg->nm > r->cappred) {
                r->cappred = tg->nm * 2;
                r->pred = vl_xrealloc(r->pred,
                                      r->cappred * sizeof(*r->pred));
        }
        for (size_t k = 0; k < tg->nm; k++) {
                const struct enricher_mention *m = &tg->m[k];
                const struct enricher_group *g = &tg->g[m->group];

                memset(&r->pred[k], 0, sizeof(r->pred[k]));
                r->pred[k].start = m->start;
                r->pred[k].end = m->end;
                r->pred[k].type = (int)g->type;
                if (g->entity >= 0)
                        snprintf(r->pred[k].qid, sizeof(r->pred[k].qid), "%s",
                                 tg->gz->ent[g->entity].qid);
        }
        r->cur = d;
        enricher_eval_doc(&r->ev, lang, d->gold, d->ng, r->pred, tg->nm,
                          r->errors ? print_err : NULL, r);
}

/* The seeds' gold: JSON lines {doc, start, end, type, qid[, lang]}, the
 * documents in @p dir. Lines are grouped by doc in order of appearance. */
static int run_gold(struct run *r, const char *gold, const char *dir)
{
        size_t len;
        char *data = vl_file_read(gold, &len, NULL), *line, *save = NULL;
        struct enricher_eval_docu d;
        int rc = 0;

        if (!data) {
                fprintf(stderr, "%s: %s\n", gold, strerror(errno));
                return 1;
        }
        memset(&d, 0, sizeof(d));
        for (line = strtok_r(data, "\n", &save);; line = strtok_r(NULL, "\n",
                                                                &save)) {
                json_error_t je;
                json_t *j = line ? json_loads(line, 0, &je) : NULL;
                const char *doc = j ? json_string_value(json_object_get(j,
                                                                  "doc"))
                                    : NULL;

                if (line && (!j || !doc)) {
                        fprintf(stderr, "%s: bad line: %.60s\n", gold, line);
                        json_decref(j);
                        rc = 1;
                        break;
                }
                if (d.name && (!doc || strcmp(doc, d.name) != 0)) {
                        score(r, &d);
                        enricher_eval_docu_clear(&d);
                }
                if (!line)
                        break;
                if (!d.name) {
                        char *path = vl_xasprintf("%s/%s", dir, doc);
                        const char *lang = json_string_value(
                                json_object_get(j, "lang"));
                        size_t n;

                        free(d.text);
                        d.text = vl_file_read(path, &n, NULL);
                        if (!d.text) {
                                fprintf(stderr, "%s: %s\n", path,
                                        strerror(errno));
                                free(path);
                                json_decref(j);
                                rc = 1;
                                break;
                        }
                        free(path);
                        d.len = n;
                        d.cap = n + 1;
                        d.name = vl_xstrdup(doc);
                        snprintf(d.lang, sizeof(d.lang), "%s",
                                 lang ? lang : "");
                }
                {
                        const char *type = json_string_value(
                                json_object_get(j, "type"));
                        const char *qid = json_string_value(
                                json_object_get(j, "qid"));
                        struct enricher_span *s;

                        if (d.ng == d.capg) {
                                d.capg = d.capg ? d.capg * 2 : 64;
                                d.gold = vl_xrealloc(d.gold,
                                                     d.capg * sizeof(*d.gold));
                        }
                        s = &d.gold[d.ng++];
                        memset(s, 0, sizeof(*s));
                        s->start = (uint32_t)json_integer_value(
                                json_object_get(j, "start"));
                        s->end = (uint32_t)json_integer_value(
                                json_object_get(j, "end"));
                        s->type = type ? enricher_eval_type(type, strlen(type))
                                       : -1;
                        if (qid)
                                snprintf(s->qid, sizeof(s->qid), "%s", qid);
                }
                json_decref(j);
        }
        enricher_eval_docu_release(&d);
        free(data);
        return rc;
}

/* Gazetteer lines whose canonical name is listed in @p drop are left out:
 * the held-out proxy for the seeds. */
static int load_gazetteer(struct enricher_gazetteer *gz, const char *path,
                          const char *drop)
{
        struct vl_err err = {0};
        size_t len, dlen = 0, olen = 0;
        char *data = vl_file_read(path, &len, NULL);
        char *dl = drop ? vl_file_read(drop, &dlen, NULL) : NULL;
        char *out, *p;

        if (!data || (drop && !dl)) {
                fprintf(stderr, "%s: %s\n", !data ? path : drop,
                        strerror(errno));
                free(data);
                free(dl);
                return 1;
        }
        out = vl_xmalloc(len + 1);
        for (p = data; p < data + len;) {
                char *nl = memchr(p, '\n', (size_t)(data + len - p));
                size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(data + len - p);
                char *tab = memchr(p, '\t', n);
                int keep = 1;

                if (dl && tab && *p != '#') {
                        size_t cn = (size_t)(tab - p);

                        for (char *q = dl; q < dl + dlen;) {
                                char *e = memchr(q, '\n',
                                                 (size_t)(dl + dlen - q));
                                size_t qn = e ? (size_t)(e - q)
                                              : (size_t)(dl + dlen - q);

                                if (qn == cn && memcmp(q, p, cn) == 0)
                                        keep = 0;
                                q += qn + 1;
                        }
                }
                if (keep) {
                        memcpy(out + olen, p, n);
                        olen += n;
                }
                p += n;
        }
        if (enricher_gazetteer_load_mem(gz, path, out, olen, &err) != VL_OK) {
                fprintf(stderr, "%s\n", err.msg);
                free(out);
                free(data);
                free(dl);
                return 1;
        }
        free(out);
        free(data);
        free(dl);
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: veille-enricher-eval (--gold FILE --docs DIR | "
                "--conll FILE --format iob|hipe) [options]\n"
                "  --gold FILE        JSON lines: doc, start, end, type, qid "
                "(offsets in code points)\n"
                "  --docs DIR         where the gold's documents are\n"
                "  --conll FILE       a token corpus (IOB1/IOB2 or HIPE "
                "TSV); text rebuilt with spaces\n"
                "  --format F         iob (token TAG, or idx token TAG) or "
                "hipe\n"
                "  --doc-tokens N     cut token corpora into documents of "
                "about N tokens (400)\n"
                "  --lang L           language of every document (default: "
                "gold 'lang' field, else guessed fr/en)\n"
                "  --gazetteer FILE   alias table (default: the source "
                "tree's enricher/data/gazetteer.tsv)\n"
                "  --user-aliases F   loaded on top, as enricher.user.aliases\n"
                "  --drop FILE        leave out gazetteer entries whose "
                "canonical name is a line of FILE\n"
                "  --model FILE       statistical tagger for unknown names "
                "(default: the source tree's enricher/data/ner-model.bin; "
                "'' for none)\n"
                "  --holdout K        score only documents whose index %% K "
                "is K-1 (what veille-enricher-train --holdout K left out)\n"
                "  --errors           list FP / FN / wrong links (tab-"
                "separated) before the report\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"gold", required_argument, 0, 'g'},
                {"docs", required_argument, 0, 'd'},
                {"conll", required_argument, 0, 'c'},
                {"format", required_argument, 0, 'f'},
                {"doc-tokens", required_argument, 0, 'n'},
                {"lang", required_argument, 0, 'l'},
                {"gazetteer", required_argument, 0, 'z'},
                {"user-aliases", required_argument, 0, 'u'},
                {"drop", required_argument, 0, 'x'},
                {"errors", no_argument, 0, 'e'},
                {"model", required_argument, 0, 'M'},
                {"holdout", required_argument, 0, 'k'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        const char *gold = NULL, *docs = NULL, *conll = NULL, *fmt = "iob";
        const char *gzpath = VEILLE_ENRICHER_GAZETTEER, *user = NULL;
        const char *drop = NULL, *mpath = VEILLE_ENRICHER_MODEL;
        struct enricher_model *model = NULL;
        size_t doc_tokens = 400;
        struct enricher_gazetteer *gz;
        struct run r;
        int c, rc = 0;

        memset(&r, 0, sizeof(r));
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'g': gold = optarg; break;
                case 'd': docs = optarg; break;
                case 'c': conll = optarg; break;
                case 'f': fmt = optarg; break;
                case 'n': doc_tokens = strtoul(optarg, NULL, 10); break;
                case 'l': r.lang = optarg; break;
                case 'z': gzpath = optarg; break;
                case 'u': user = optarg; break;
                case 'x': drop = optarg; break;
                case 'e': r.errors = 1; break;
                case 'M': mpath = optarg; break;
                case 'k': r.holdout = (unsigned)strtoul(optarg, NULL, 10);
                          break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if ((!gold || !docs) == !conll ||
            (conll && strcmp(fmt, "iob") != 0 && strcmp(fmt, "hipe") != 0)) {
                usage(stderr);
                return 2;
        }
        gz = enricher_gazetteer_new();
        if (load_gazetteer(gz, gzpath, drop) ||
            (user && load_gazetteer(gz, user, NULL))) {
                enricher_gazetteer_destroy(gz);
                return 1;
        }
        r.tg = enricher_tag_new(gz);
        if (*mpath) {
                struct vl_err err = {0};

                if (enricher_model_load(&model, mpath, &err) != VL_OK) {
                        fprintf(stderr, "%s\n", err.msg);
                        enricher_tag_destroy(r.tg);
                        enricher_gazetteer_destroy(gz);
                        return 1;
                }
                enricher_tag_set_model(r.tg, model);
        }
        enricher_eval_init(&r.ev);
        if (conll) {
                size_t len;
                char *data = vl_file_read(conll, &len, NULL);

                if (!data) {
                        fprintf(stderr, "%s: %s\n", conll, strerror(errno));
                        rc = 1;
                } else {
                        enricher_eval_read_conll(
                                data, len,
                                strcmp(fmt, "hipe") == 0 ? ENRICHER_CONLL_HIPE
                                                         : ENRICHER_CONLL_IOB,
                                doc_tokens, r.lang, conll, score, &r);
                        free(data);
                }
        } else {
                rc = run_gold(&r, gold, docs);
        }
        if (rc == 0)
                enricher_eval_print(&r.ev, stdout);
        free(r.pred);
        enricher_tag_destroy(r.tg);
        enricher_model_destroy(model);
        enricher_gazetteer_destroy(gz);
        return rc;
}
