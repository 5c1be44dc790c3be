/*
 * veille-parser-eval DATASET_DIR [options]
 *
 * Runs the parser's whole extraction (charset, parse, metadata, boilerplate
 * removal, blocks, article JSON: parser_article_build) over every page of a
 * data set folder laid out like ../shared/data/extraction/<set>/:
 *   html/<id>.html      the page as served
 *   ground-truth.json   {"<id>": {"articleBody": "...", "url": "..."}}
 * and prints precision, recall and F1 of the word-shingle metric
 * (parser/score.c), the pages per second of the extraction, and those of a
 * baseline measured in the same run on the same pages in memory: libxml2
 * parsing alone, htmlReadMemory() then xmlFreeDoc(), the charset left to
 * libxml2 (its own <meta charset> detection; our charset conversion is not
 * in the baseline, it is in the extraction).
 *
 * Files are read into memory before any timing. Each timed pass goes over
 * all pages; with --repeat N the passes alternate baseline, extraction N
 * times and the best pass of each is kept (the machine is shared).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/HTMLparser.h>
#include "parser.h"
#include "veille/log.h"

struct page {
        char *id;
        char *url;
        char *truth;
        unsigned char *html;
        size_t len;
        char *pred;
        struct parser_score_page sc;
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process: the time it was descheduled by other work on a
 * shared machine does not count (a steadier ratio than wall time). */
static double cpu_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        unsigned char *buf = NULL;
        size_t cap = 0, n = 0, k;

        if (!f)
                return NULL;
        for (;;) {
                if (cap - n < 65536) {
                        cap = cap ? cap * 2 : 262144;
                        buf = realloc(buf, cap + 1);
                        if (!buf)
                                abort();
                }
                k = fread(buf + n, 1, cap - n, f);
                n += k;
                if (k == 0)
                        break;
        }
        fclose(f);
        buf[n] = 0;
        *len = n;
        return buf;
}

static int cmp_page_id(const void *a, const void *b)
{
        return strcmp(((const struct page *)a)->id,
                      ((const struct page *)b)->id);
}

static int cmp_page_f1(const void *a, const void *b)
{
        double x = ((const struct page *)a)->sc.f1;
        double y = ((const struct page *)b)->sc.f1;

        return x < y ? -1 : x > y;
}

/* The extraction of one page: its text into *pred (new, "" when the page
 * gave no article). */
static size_t refused[PARSER_REASONS];
static int64_t min_words; /* --min-words */
static bool no_prune;      /* --no-prune */
static const char *dump_json; /* --dump-json DIR */

static void extract(const struct page *p, char **pred)
{
        struct parser_page pg;
        struct parser_opts o;
        struct parser_result res;
        struct vl_err err;

        memset(&pg, 0, sizeof(pg));
        memset(&o, 0, sizeof(o));
        memset(&res, 0, sizeof(res));
        memset(&err, 0, sizeof(err));
        pg.url = p->url;
        pg.body = p->html;
        pg.body_len = p->len;
        o.min_words = min_words;
        o.max_body_bytes = 0;
        o.lang_detect = true;
        o.non_articles = true; /* the daemon's default */
        o.now_ms = 0;
        /* the timed passes build the article as the daemon does */
        o.json_only = !pred;
        o.no_prune = no_prune;
        if (parser_article_build(&pg, &o, &res, &err) == VL_OK) {
                if (pred && dump_json) {
                        char path[4096];
                        FILE *f;

                        snprintf(path, sizeof(path), "%s/%s.json", dump_json,
                                 p->id);
                        f = fopen(path, "wb");
                        if (f) {
                                fwrite(res.json, 1, res.json_len, f);
                                fclose(f);
                        }
                }
                if (pred) {
                        const char *t = json_string_value(
                                json_object_get(res.article, "text"));
                        *pred = strdup(t ? t : "");
                }
        } else if (pred) {
                *pred = strdup("");
                refused[res.reason]++;
        }
        parser_result_release(&res);
}

static void quiet(void *ctx, const char *msg, ...)
{
        (void)ctx;
        (void)msg;
}

static void usage(FILE *f)
{
        fprintf(f,
"usage: veille-parser-eval DATASET_DIR [--repeat N] [--worst N]\n"
"                          [--dump DIR] [--only ID] [--no-speed]\n"
"Extract every page of DATASET_DIR/html/<id>.html, score the text against\n"
"DATASET_DIR/ground-truth.json (4-shingle word metric of the ScrapingHub\n"
"article-extraction benchmark) and time the extraction beside libxml2\n"
"parsing alone (htmlReadMemory + xmlFreeDoc, charset left to libxml2).\n"
"  --repeat N   timed passes of each (best kept; default 3)\n"
"  --worst N    list the N pages with the lowest F1 (tuning part only:\n"
"               one page in three is held out, see docs/parser.md)\n"
"  --dump DIR   write each prediction to DIR/<id>.txt\n"
"  --only ID    score one page and print its prediction\n"
"  --no-speed   accuracy only\n"
"  --debug      the parser's debug log on stderr (with --only)\n"
"  --min-words N  parser.min.words (default 0: no page is too short)\n"
"  --score-dir DIR  score the texts DIR/<id>.txt (another extractor's\n"
"               output; a missing file is an empty text) instead of\n"
"               running the extraction; implies --no-speed\n"
"  --no-prune   libxml2 builds its whole tree (parser_opts.no_prune):\n"
"               attributes, comments and script text the parser never\n"
"               reads included\n"
"  --dump-json DIR  write each article event to DIR/<id>.json\n");
}

/* 1 for the pages held out of the tuning: one in three, by the FNV-1a
 * hash of the id (the same pages on every run and machine). */
static int held_out(const char *id)
{
        uint32_t h = 2166136261u;

        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 16777619u;
        return h % 3 == 0;
}

int main(int argc, char **argv)
{
        const char *dir = NULL, *dump = NULL, *only = NULL, *preds = NULL;
        int repeat = 3, worst = 0;
        bool speed = true, debug = false;
        char path[4096];
        json_t *gt;
        json_error_t jerr;
        struct page *pages = NULL;
        size_t np = 0, cap = 0, i, k;
        struct parser_score total;
        double prec, rec, f1, best_base = 0, best_cs = 0, best_ext = 0;
        double cpu_base = 0, cpu_ext = 0;
        size_t bytes = 0;
        DIR *d;
        struct dirent *de;

        for (int a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--repeat") && a + 1 < argc)
                        repeat = atoi(argv[++a]);
                else if (!strcmp(argv[a], "--worst") && a + 1 < argc)
                        worst = atoi(argv[++a]);
                else if (!strcmp(argv[a], "--dump") && a + 1 < argc)
                        dump = argv[++a];
                else if (!strcmp(argv[a], "--score-dir") && a + 1 < argc)
                        preds = argv[++a];
                else if (!strcmp(argv[a], "--only") && a + 1 < argc)
                        only = argv[++a];
                else if (!strcmp(argv[a], "--min-words") && a + 1 < argc)
                        min_words = atoll(argv[++a]);
                else if (!strcmp(argv[a], "--debug"))
                        debug = true;
                else if (!strcmp(argv[a], "--no-prune"))
                        no_prune = true;
                else if (!strcmp(argv[a], "--dump-json") && a + 1 < argc)
                        dump_json = argv[++a];
                else if (!strcmp(argv[a], "--no-speed"))
                        speed = false;
                else if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
                        usage(stdout);
                        return 0;
                } else if (argv[a][0] != '-' && !dir) {
                        dir = argv[a];
                } else {
                        usage(stderr);
                        return 2;
                }
        }
        if (!dir || repeat < 1) {
                usage(stderr);
                return 2;
        }
        vl_log_level = debug ? VL_LOG_DEBUG : VL_LOG_ERR;
        xmlSetGenericErrorFunc(NULL, quiet);
        snprintf(path, sizeof(path), "%s/ground-truth.json", dir);
        gt = json_load_file(path, JSON_ALLOW_NUL, &jerr);
        if (!gt || !json_is_object(gt)) {
                fprintf(stderr, "veille-parser-eval: %s: %s\n", path,
                        gt ? "not an object" : jerr.text);
                return 1;
        }
        snprintf(path, sizeof(path), "%s/html", dir);
        d = opendir(path);
        if (!d) {
                fprintf(stderr, "veille-parser-eval: %s: %s\n", path,
                        strerror(errno));
                return 1;
        }
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                char id[1024];
                json_t *e;
                struct page *p;

                if (n <= 5 || n - 5 >= sizeof(id) ||
                    strcmp(de->d_name + n - 5, ".html"))
                        continue;
                memcpy(id, de->d_name, n - 5);
                id[n - 5] = 0;
                if (only && strcmp(id, only))
                        continue;
                e = json_object_get(gt, id);
                if (!e) {
                        fprintf(stderr, "veille-parser-eval: %s: no ground "
                                "truth, skipped\n", id);
                        continue;
                }
                if (np == cap) {
                        cap = cap ? cap * 2 : 256;
                        pages = realloc(pages, cap * sizeof(*pages));
                        if (!pages)
                                abort();
                }
                p = &pages[np];
                memset(p, 0, sizeof(*p));
                snprintf(path, sizeof(path), "%s/html/%s", dir, de->d_name);
                p->html = slurp(path, &p->len);
                if (!p->html) {
                        fprintf(stderr, "veille-parser-eval: %s: %s\n", path,
                                strerror(errno));
                        continue;
                }
                p->id = strdup(id);
                {
                        const char *u = json_string_value(
                                json_object_get(e, "url"));
                        if (u && *u) {
                                p->url = strdup(u);
                        } else {
                                /* no URL known: an article-like one, not
                                 * the home page */
                                snprintf(path, sizeof(path),
                                         "http://localhost/eval/%s.html", id);
                                p->url = strdup(path);
                        }
                        const char *t = json_string_value(
                                json_object_get(e, "articleBody"));
                        p->truth = strdup(t ? t : "");
                }
                bytes += p->len;
                np++;
        }
        closedir(d);
        json_decref(gt);
        if (!np) {
                fprintf(stderr, "veille-parser-eval: no page in %s/html\n",
                        dir);
                return 1;
        }
        qsort(pages, np, sizeof(*pages), cmp_page_id);

        /* accuracy */
        memset(&total, 0, sizeof(total));
        if (preds)
                speed = false;
        for (i = 0; i < np; i++) {
                if (preds) {
                        size_t n;

                        snprintf(path, sizeof(path), "%s/%s.txt", preds,
                                 pages[i].id);
                        pages[i].pred = (char *)slurp(path, &n);
                        if (!pages[i].pred)
                                pages[i].pred = strdup("");
                } else {
                        extract(&pages[i], &pages[i].pred);
                }
                parser_score_page(pages[i].truth, pages[i].pred,
                                  &pages[i].sc);
                parser_score_add(&total, &pages[i].sc);
                if (dump) {
                        FILE *f;

                        snprintf(path, sizeof(path), "%s/%s.txt", dump,
                                 pages[i].id);
                        f = fopen(path, "w");
                        if (f) {
                                fputs(pages[i].pred, f);
                                fclose(f);
                        }
                }
        }
        parser_score_result(&total, &prec, &rec, &f1);
        {
                /* one page in three, by a hash of its id, is held out of
                 * the tuning: --worst never lists it */
                struct parser_score part[2];
                double pp, pr, pf;
                size_t n[2] = { 0, 0 };

                memset(part, 0, sizeof(part));
                for (i = 0; i < np; i++) {
                        int h = held_out(pages[i].id);

                        parser_score_add(&part[h], &pages[i].sc);
                        n[h]++;
                }
                for (int h = 0; h < 2 && !only; h++) {
                        parser_score_result(&part[h], &pp, &pr, &pf);
                        printf("%s %.4f f1 (%.4f / %.4f), %zu pages\n",
                               h ? "held-out  " : "tuning    ", pf, pp, pr,
                               n[h]);
                }
        }
        if (only) {
                printf("%s\n----\n", pages[0].pred);
                printf("tp %.3f fp %.3f fn %.3f\n", pages[0].sc.tp,
                       pages[0].sc.fp, pages[0].sc.fn);
        }
        printf("set        %s\n", dir);
        printf("pages      %zu (%.1f MB)\n", np, (double)bytes / 1e6);
        printf("precision  %.4f\n", prec);
        printf("recall     %.4f\n", rec);
        printf("f1         %.4f\n", f1);
        printf("refused   ");
        for (int r = 1; r < PARSER_REASONS; r++)
                printf(" %s %zu", parser_reason_name((enum parser_reason)r),
                       refused[r]);
        printf(" (every page of a set is an article: these are errors)\n");

        /* speed */
        if (speed) {
                for (int r = 0; r < repeat; r++) {
                        double t0 = now_s(), t1, t2, t3;
                        double c0 = cpu_s(), c1, c2;

                        for (i = 0; i < np; i++) {
                                htmlDocPtr doc = htmlReadMemory(
                                        (const char *)pages[i].html,
                                        (int)pages[i].len, pages[i].url, NULL,
                                        HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING |
                                        HTML_PARSE_RECOVER |
                                        HTML_PARSE_COMPACT);
                                xmlFreeDoc(doc);
                        }
                        t1 = now_s();
                        c1 = cpu_s();
                        for (i = 0; i < np; i++)
                                extract(&pages[i], NULL);
                        t2 = now_s();
                        c2 = cpu_s();
                        if (np / (c1 - c0) > cpu_base)
                                cpu_base = (double)np / (c1 - c0);
                        if (np / (c2 - c1) > cpu_ext)
                                cpu_ext = (double)np / (c2 - c1);
                        for (i = 0; i < np; i++) {
                                struct parser_text_doc td;
                                htmlDocPtr doc;

                                parser_charset_decode(pages[i].html,
                                                      pages[i].len, NULL, &td,
                                                      NULL);
                                doc = parser_html_parse(td.html, td.len,
                                                        pages[i].url, NULL);
                                xmlFreeDoc(doc);
                                parser_text_doc_release(&td);
                        }
                        t3 = now_s();
                        if (np / (t3 - t2) > best_cs)
                                best_cs = (double)np / (t3 - t2);
                        if (np / (t1 - t0) > best_base)
                                best_base = (double)np / (t1 - t0);
                        if (np / (t2 - t1) > best_ext)
                                best_ext = (double)np / (t2 - t1);
                }
                printf("parse-only %.1f pages/s (libxml2 htmlReadMemory + "
                       "xmlFreeDoc, charset left to libxml2)\n", best_base);
                printf("charset+parse %.1f pages/s (our charset "
                       "conversion to UTF-8, then libxml2 as the parser "
                       "calls it)\n", best_cs);
                printf("extraction %.1f pages/s (charset, parse, metadata, "
                       "extraction, article JSON)\n", best_ext);
                printf("ratio      %.2f of parse-only (best of %d passes "
                       "each)\n", best_ext / best_base, repeat);
                printf("cpu ratio  %.2f of parse-only (%.1f against %.1f "
                       "pages per CPU second)\n", cpu_ext / cpu_base, cpu_ext,
                       cpu_base);
        }
        if (worst > 0) {
                struct page *s = malloc(np * sizeof(*s));

                if (!s)
                        abort();
                memcpy(s, pages, np * sizeof(*s));
                qsort(s, np, sizeof(*s), cmp_page_f1);
                printf("worst pages of the tuning part (f1 precision recall "
                       "id):\n");
                for (i = 0, k = 0; i < np && k < (size_t)worst; i++) {
                        if (held_out(s[i].id))
                                continue;
                        printf("  %.3f %.3f %.3f %s\n", s[i].sc.f1,
                               s[i].sc.precision, s[i].sc.recall, s[i].id);
                        k++;
                }
                free(s);
        }
        for (i = 0; i < np; i++) {
                free(pages[i].id);
                free(pages[i].url);
                free(pages[i].truth);
                free(pages[i].html);
                free(pages[i].pred);
        }
        free(pages);
        xmlCleanupParser();
        return 0;
}
