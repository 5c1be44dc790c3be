/* Watches: the watches file, its query language, and matching an event.
 *
 *     sahel-russia: entity:Q159 AND (entity:"Alliance of Sahel States" OR
 *                   entity:Q965) AND lang:fr,en AND NOT site:example.com
 *     burkina: Burkina Faso, Q965          (the first form: any of)
 *
 * docs/watches.md is the user's description. Each query is a tree of
 * sink_node. At load, each watch gets the set of index keys one of which an
 * event must carry for the watch to match ("q" + qid, "w" + folded word...);
 * a watch with no such set (NOT x, within:7d) goes to the always list. An
 * event looks its own keys up in the hash index and evaluates only the
 * watches found, so an event that matches none costs what its keys cost,
 * whatever the number of watches. */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <utf8proc.h>
#include "veille/buf.h"
#include "veille/date.h"
#include "veille/mem.h"
#include "veille/text.h"
#include "sink.h"

#define QUOTE_MAX 64   /* how much of a bad name or term a message quotes */
#define DEPTH_MAX 32   /* nested parentheses and NOTs */
#define OCCUR_MAX 32   /* occurrences of one word or phrase reported */

struct sink_watchset *sink_watchset_new(const char *origin)
{
        struct sink_watchset *ws = vl_xcalloc(1, sizeof(*ws));

        ws->origin = vl_xstrdup(origin ? origin : "-");
        return ws;
}

static void node_destroy(struct sink_node *n)
{
        int i;

        if (!n)
                return;
        for (i = 0; i < n->nkids; i++)
                node_destroy(n->kids[i]);
        for (i = 0; i < n->ntoks; i++)
                free(n->toks[i]);
        free(n->toks);
        free(n->kids);
        free(n->text);
        free(n->key);
        free(n);
}

static void watch_release(struct sink_watch *w)
{
        node_destroy(w->root);
        free(w->query);
        free(w->name);
        free(w->webhook);
}

void sink_watchset_destroy(struct sink_watchset *ws)
{
        size_t k;
        int i;

        if (!ws)
                return;
        for (i = 0; i < ws->n; i++)
                watch_release(&ws->w[i]);
        for (k = 0; k < ws->ntab; k++) {
                free(ws->tab[k].key);
                free(ws->tab[k].w);
        }
        free(ws->tab);
        free(ws->always);
        free(ws->stamp);
        free(ws->w);
        free(ws->origin);
        free(ws);
}

int sink_watchset_find(const struct sink_watchset *ws, const char *name)
{
        int i;

        for (i = 0; i < ws->n; i++)
                if (strcmp(ws->w[i].name, name) == 0)
                        return i;
        return -1;
}

/* ---- words ---- */

static void arena_put(struct sink_hits *h, const char *s, size_t n)
{
        if (h->narena + n + 1 > h->caparena) {
                h->caparena = 2 * (h->narena + n + 1) + 256;
                h->arena = vl_xrealloc(h->arena, h->caparena);
        }
        memcpy(h->arena + h->narena, s, n);
        h->narena += n;
}

static int word_cp(int32_t cp)
{
        utf8proc_category_t c = utf8proc_category(cp);

        return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO);
}

static int ascii_alnum(int32_t c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9');
}

void sink_tokenize(const char *s, struct sink_hits *h, struct sink_toks *toks)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        size_t left = strlen(s);
        int pos = 0, in = 0;
        struct sink_tok *t = NULL;

        while (left > 0) {
                int32_t cp, out[VL_TEXT_FOLD_CP_MAX];
                utf8proc_ssize_t k =
                        *p < 0x80 ? 1
                                  : utf8proc_iterate(p, (utf8proc_ssize_t)left,
                                                     &cp);
                size_t i, nout;

                if (*p < 0x80) { /* ASCII, most of most texts: fold here */
                        int32_t c = *p;

                        k = 1;
                        if (c >= 'A' && c <= 'Z')
                                c += 'a' - 'A';
                        if (ascii_alnum(c)) {
                                out[0] = c;
                                nout = 1;
                        } else {
                                in = 0; /* vl_text_fold_cp() keeps it: not a
                                           letter or digit, a separator */
                                nout = 0;
                        }
                } else if (k <= 0) { /* invalid byte: a separator */
                        k = 1;
                        nout = 0;
                        in = 0;
                } else {
                        nout = vl_text_fold_cp(cp, out);
                }
                for (i = 0; i < nout; i++) {
                        utf8proc_uint8_t enc[4];
                        utf8proc_ssize_t e;

                        if (out[i] < 0x80 ? !ascii_alnum(out[i])
                                          : !word_cp(out[i])) {
                                in = 0;
                                continue;
                        }
                        if (!in) {
                                if (toks->n == toks->cap) {
                                        toks->cap = toks->cap ? 2 * toks->cap
                                                              : 64;
                                        toks->v = vl_xrealloc(
                                                toks->v,
                                                (size_t)toks->cap *
                                                        sizeof(*toks->v));
                                }
                                t = &toks->v[toks->n++];
                                arena_put(h, "", 0);
                                /* words are NUL-separated in the arena */
                                h->arena[h->narena++] = '\0';
                                t->off = h->narena;
                                t->len = 0;
                                t->start = pos;
                                in = 1;
                        }
                        if (out[i] < 0x80) {
                                enc[0] = (utf8proc_uint8_t)out[i];
                                e = 1;
                        } else {
                                e = utf8proc_encode_char(out[i], enc);
                        }
                        arena_put(h, (const char *)enc, (size_t)e);
                        t->len += (size_t)e;
                        t->end = pos + 1;
                }
                /* nothing out (a soft hyphen): the word goes on */
                p += k;
                left -= (size_t)k;
                pos++;
        }
        arena_put(h, "", 0);
        h->arena[h->narena++] = '\0';
}

static const char *tok_str(const struct sink_hits *h, const struct sink_tok *t)
{
        return h->arena + t->off;
}

/* ---- the lexer and parser of one query ---- */

struct qp {
        const char *line; /* the whole line, for columns */
        const char *s;    /* the query */
        size_t n, pos;
        const char *origin;
        int lineno;
        const char *name;
        struct vl_err *err;
        int depth;
        bool dup_yes, dup_set;
        char *webhook; /* webhook: given */
        size_t vstart; /* where the last value started */
};

static int col_of(const struct qp *p, size_t pos)
{
        const char *q = p->line, *end = p->s + pos;
        int col = 1;

        while (q < end) {
                if (((unsigned char)*q & 0xc0) != 0x80)
                        col++;
                q++;
        }
        return col;
}

static enum vl_rc perr(struct qp *p, size_t pos, const char *fmt, ...)
        VL_PRINTF(3, 4);

/* "origin:line:col: watch 'name': " and the message. */
static enum vl_rc perr(struct qp *p, size_t pos, const char *fmt, ...)
{
        char what[320];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return vl_err_set(p->err, VL_REJECT, "%s:%d:%d: watch '%s': %s",
                          p->origin, p->lineno, col_of(p, pos), p->name,
                          what);
}

/* A quoted subject, cut to QUOTE_MAX bytes: "%.*s" and QN(s, n). */
#define QN(s, n) (int)((n) > QUOTE_MAX ? QUOTE_MAX : (n)), (s)
#define QS(s) QN(s, strlen(s))

static int is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void skip(struct qp *p)
{
        while (p->pos < p->n && is_blank(p->s[p->pos]))
                p->pos++;
}

/* A bare word ends at a blank, a parenthesis, a quote or a comma, and a
 * field's value also at '>'. */
static int word_end(char c, int value)
{
        return is_blank(c) || c == '(' || c == ')' || c == '"' || c == ',' ||
               (value && c == '>');
}

static int keyword(const struct qp *p, const char *kw)
{
        size_t k = strlen(kw);

        return p->pos + k <= p->n && memcmp(p->s + p->pos, kw, k) == 0 &&
               (p->pos + k == p->n || word_end(p->s[p->pos + k], 0));
}

static struct sink_node *node_new(enum sink_node_kind kind, int col)
{
        struct sink_node *n = vl_xcalloc(1, sizeof(*n));

        n->kind = kind;
        n->salience = -1;
        n->col = col;
        return n;
}

static void node_add(struct sink_node *n, struct sink_node *kid)
{
        n->kids = vl_xrealloc(n->kids, (size_t)(n->nkids + 1) *
                                               sizeof(*n->kids));
        n->kids[n->nkids++] = kid;
}

/* "Q965" or "q965" (no leading zero): a Wikidata item id. */
static int is_qid(const char *s, size_t n)
{
        size_t i;

        if (n < 2 || n > 20 || (s[0] != 'Q' && s[0] != 'q') || s[1] == '0')
                return 0;
        for (i = 1; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return 0;
        return 1;
}

/* A value: "quoted, with \" and \\" or a bare run. @returns new string, or
 * NULL (err set). */
static char *parse_value(struct qp *p, int *col)
{
        struct vl_buf b;
        size_t start = p->pos;

        *col = col_of(p, start);
        p->vstart = start;
        if (p->pos < p->n && p->s[p->pos] == '"') {
                vl_buf_init(&b, 0);
                p->pos++;
                for (;;) {
                        char c;

                        if (p->pos >= p->n) {
                                vl_buf_release(&b);
                                perr(p, start, "unterminated quote");
                                return NULL;
                        }
                        c = p->s[p->pos++];
                        if (c == '"')
                                break;
                        if (c == '\\' && p->pos < p->n &&
                            (p->s[p->pos] == '"' || p->s[p->pos] == '\\'))
                                c = p->s[p->pos++];
                        vl_buf_append(&b, &c, 1, NULL);
                }
                vl_buf_append(&b, "", 1, NULL);
                return vl_buf_take(&b, NULL);
        }
        while (p->pos < p->n && !word_end(p->s[p->pos], 1))
                p->pos++;
        if (p->pos == start) {
                perr(p, start, "expected a value");
                return NULL;
        }
        return vl_xstrndup(p->s + start, p->pos - start);
}

static struct sink_node *term_node(struct qp *p, char *v, int col,
                                   enum sink_where in)
{
        struct sink_hits h = { 0 };
        struct sink_toks t = { 0 };
        struct sink_node *n;
        int i;

        sink_tokenize(v, &h, &t);
        if (t.n == 0) {
                perr(p, p->vstart, "'%.*s' has no letter or digit",
                     QS(v));
                free(v);
                free(t.v);
                sink_hits_release(&h);
                return NULL;
        }
        n = node_new(SINK_N_TERM, col);
        n->text = v;
        n->in = in;
        n->toks = vl_xcalloc((size_t)t.n, sizeof(*n->toks));
        n->ntoks = t.n;
        for (i = 0; i < t.n; i++)
                n->toks[i] = vl_xstrdup(tok_str(&h, &t.v[i]));
        n->key = vl_xstrdup(n->toks[0]);
        free(t.v);
        sink_hits_release(&h);
        return n;
}

static void lower(char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char)(*s - 'A' + 'a');
}

static struct sink_node *entity_node(struct qp *p, char *v, int col)
{
        struct sink_node *n;
        char *f;

        if (is_qid(v, strlen(v))) {
                n = node_new(SINK_N_ENTITY, col);
                n->qid = true;
                n->key = vl_xstrdup(v);
                n->key[0] = 'Q';
                n->text = v;
                return n;
        }
        f = vl_text_fold(v, 0);
        if (!f[0]) {
                perr(p, p->vstart, "entity '%.*s' is empty once folded",
                     QS(v));
                free(f);
                free(v);
                return NULL;
        }
        n = node_new(SINK_N_ENTITY, col);
        n->key = f;
        n->text = v;
        return n;
}

/* "7d", "12h": @returns seconds, or -1. */
static long long parse_within(const char *v)
{
        char *end;
        long long x;

        if (v[0] < '0' || v[0] > '9')
                return -1;
        x = strtoll(v, &end, 10);
        if (x <= 0 || x > 100000 || end[0] == '\0' || end[1] != '\0')
                return -1;
        if (end[0] == 'd')
                return x * 86400;
        if (end[0] == 'h')
                return x * 3600;
        return -1;
}

static struct sink_node *parse_or(struct qp *p);

/* http:// or https://, then a host: the rest is checked by libcurl when the
 * webhook is called (http and https only, no private address unless
 * allowed). */
static int webhook_url_ok(const char *v)
{
        CURLU *u;
        char *host = NULL;
        int ok;

        if (strncasecmp(v, "http://", 7) != 0 &&
            strncasecmp(v, "https://", 8) != 0)
                return 0;
        u = curl_url();
        ok = u && !curl_url_set(u, CURLUPART_URL, v, 0) &&
             !curl_url_get(u, CURLUPART_HOST, &host, 0) && host && host[0];
        curl_free(host);
        curl_url_cleanup(u);
        return ok;
}

static const char *const fields[] = { "entity", "type",   "title",
                                      "text",   "lang",   "source",
                                      "site",   "within", "duplicates",
                                      "webhook", NULL };

/* field:value[,value...][>salience], at p->pos just past the ':'. */
static struct sink_node *parse_field(struct qp *p, const char *f, size_t at)
{
        struct sink_node *any = node_new(SINK_N_OR, col_of(p, at)), *n, *r;
        double sal = -1;
        int i, col;

        for (;;) {
                char *v = parse_value(p, &col);

                if (!v)
                        goto fail;
                n = NULL;
                if (strcmp(f, "entity") == 0) {
                        n = entity_node(p, v, col);
                } else if (strcmp(f, "title") == 0) {
                        n = term_node(p, v, col, SINK_IN_TITLE);
                } else if (strcmp(f, "text") == 0) {
                        n = term_node(p, v, col, SINK_IN_TEXT);
                } else if (strcmp(f, "within") == 0) {
                        long long s = parse_within(v);

                        if (s < 0) {
                                perr(p, at, "within:%.*s: expected a number of "
                                     "days or hours (7d, 12h)", QS(v));
                                free(v);
                                goto fail;
                        }
                        n = node_new(SINK_N_WITHIN, col);
                        n->within = s;
                        n->text = v;
                } else if (strcmp(f, "duplicates") == 0) {
                        if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
                                perr(p, at, "duplicates:%.*s: expected yes or "
                                     "no", QS(v));
                                free(v);
                                goto fail;
                        }
                        p->dup_set = true;
                        p->dup_yes = strcmp(v, "yes") == 0;
                        n = node_new(SINK_N_TRUE, col_of(p, at));
                        n->text = v;
                        n->key = vl_xstrdup("duplicates");
                } else if (strcmp(f, "webhook") == 0) {
                        if (!webhook_url_ok(v)) {
                                perr(p, p->vstart, "webhook:%.*s: expected an "
                                     "http:// or https:// URL with a host",
                                     QS(v));
                                free(v);
                                goto fail;
                        }
                        if (p->webhook) {
                                perr(p, at, "webhook: given twice");
                                free(v);
                                goto fail;
                        }
                        p->webhook = vl_xstrdup(v);
                        n = node_new(SINK_N_TRUE, col_of(p, at));
                        n->text = v;
                        n->key = vl_xstrdup("webhook");
                } else {
                        enum sink_node_kind k =
                                strcmp(f, "type") == 0   ? SINK_N_TYPE
                                : strcmp(f, "lang") == 0 ? SINK_N_LANG
                                : strcmp(f, "site") == 0 ? SINK_N_SITE
                                                         : SINK_N_SOURCE;

                        n = node_new(k, col);
                        n->text = v;
                        n->key = vl_xstrdup(v);
                        if (k == SINK_N_TYPE) {
                                for (i = 0; n->key[i]; i++)
                                        if (n->key[i] >= 'a' &&
                                            n->key[i] <= 'z')
                                                n->key[i] = (char)(n->key[i] -
                                                                   'a' + 'A');
                        } else if (k != SINK_N_SOURCE) {
                                lower(n->key);
                        }
                }
                if (!n)
                        goto fail;
                node_add(any, n);
                if (p->pos < p->n && p->s[p->pos] == ',') {
                        p->pos++;
                        skip(p);
                        continue;
                }
                break;
        }
        if (p->pos < p->n && p->s[p->pos] == '>') {
                char *end;
                size_t gt = p->pos;

                if (strcmp(f, "entity") != 0 && strcmp(f, "type") != 0) {
                        perr(p, gt, "'>' (a salience) only follows entity: "
                             "or type:");
                        goto fail;
                }
                p->pos++;
                sal = strtod(p->s + p->pos, &end);
                if (end == p->s + p->pos || !(sal >= 0 && sal < 1) ||
                    (end < p->s + p->n && !word_end(*end, 0))) {
                        perr(p, gt, "expected a salience from 0 to 1 after "
                             "'>'");
                        goto fail;
                }
                p->pos = (size_t)(end - p->s);
                for (i = 0; i < any->nkids; i++)
                        any->kids[i]->salience = sal;
        }
        if ((strcmp(f, "within") == 0 || strcmp(f, "duplicates") == 0 ||
             strcmp(f, "webhook") == 0) &&
            any->nkids > 1) {
                perr(p, at, "%s: takes one value", f);
                goto fail;
        }
        if (any->nkids == 1) {
                r = any->kids[0];
                any->nkids = 0;
                node_destroy(any);
                return r;
        }
        return any;
fail:
        node_destroy(any);
        return NULL;
}

static struct sink_node *parse_unary(struct qp *p)
{
        size_t at;
        struct sink_node *n;
        int col;

        skip(p);
        at = p->pos;
        if (p->pos >= p->n)
                return perr(p, at, "expected a condition at the end"),
                       NULL;
        if (++p->depth > DEPTH_MAX) {
                perr(p, at, "more than %d levels of NOT and parentheses",
                     DEPTH_MAX);
                return NULL;
        }
        if (keyword(p, "NOT")) {
                struct sink_node *kid;

                p->pos += 3;
                kid = parse_unary(p);
                if (!kid)
                        return NULL;
                n = node_new(SINK_N_NOT, col_of(p, at));
                node_add(n, kid);
        } else if (p->s[p->pos] == '(') {
                p->pos++;
                n = parse_or(p);
                if (!n)
                        return NULL;
                skip(p);
                if (p->pos >= p->n || p->s[p->pos] != ')') {
                        node_destroy(n);
                        perr(p, at, "'(' is never closed");
                        return NULL;
                }
                p->pos++;
        } else if (p->s[p->pos] == ')' || p->s[p->pos] == ',' ||
                   keyword(p, "AND") || keyword(p, "OR")) {
                size_t e = p->pos + 1;

                while (e < p->n && !word_end(p->s[e], 0))
                        e++;
                perr(p, at, "expected a condition before '%.*s'",
                     QN(p->s + p->pos, e - p->pos));
                return NULL;
        } else if (p->s[p->pos] == '"') {
                char *v = parse_value(p, &col);

                if (!v)
                        return NULL;
                n = term_node(p, v, col, SINK_IN_ANY);
        } else {
                size_t e = p->pos;
                int i;

                while (e < p->n && p->s[e] >= 'a' && p->s[e] <= 'z')
                        e++;
                if (e < p->n && p->s[e] == ':' && e > p->pos) {
                        char f[16];

                        snprintf(f, sizeof(f), "%.*s", (int)(e - p->pos),
                                 p->s + p->pos);
                        for (i = 0; fields[i]; i++)
                                if (e - p->pos == strlen(fields[i]) &&
                                    strcmp(f, fields[i]) == 0)
                                        break;
                        if (!fields[i]) {
                                perr(p, at, "unknown field '%.*s:' (entity, "
                                     "type, title, text, lang, source, site, "
                                     "within, duplicates, webhook)",
                                     QN(p->s + p->pos, e - p->pos));
                                return NULL;
                        }
                        p->pos = e + 1;
                        n = parse_field(p, fields[i], at);
                } else {
                        char *v = parse_value(p, &col);

                        if (!v)
                                return NULL;
                        n = term_node(p, v, col, SINK_IN_ANY);
                }
        }
        p->depth--;
        return n;
}

/* a [AND] b [AND] c ... (AND may be left out). */
static struct sink_node *parse_and(struct qp *p)
{
        struct sink_node *first, *all = NULL, *kid;

        first = parse_unary(p);
        if (!first)
                return NULL;
        for (;;) {
                skip(p);
                if (p->pos >= p->n || p->s[p->pos] == ')' ||
                    keyword(p, "OR"))
                        break;
                if (keyword(p, "AND"))
                        p->pos += 3;
                kid = parse_unary(p);
                if (!kid) {
                        node_destroy(all ? all : first);
                        return NULL;
                }
                if (!all) {
                        all = node_new(SINK_N_AND, first->col);
                        node_add(all, first);
                }
                node_add(all, kid);
        }
        return all ? all : first;
}

/* a OR b OR c ... */
static struct sink_node *parse_or(struct qp *p)
{
        struct sink_node *first, *any = NULL, *kid;

        first = parse_and(p);
        if (!first)
                return NULL;
        for (;;) {
                skip(p);
                if (!keyword(p, "OR"))
                        break;
                p->pos += 2;
                kid = parse_and(p);
                if (!kid) {
                        node_destroy(any ? any : first);
                        return NULL;
                }
                if (!any) {
                        any = node_new(SINK_N_OR, first->col);
                        node_add(any, first);
                }
                node_add(any, kid);
        }
        return any ? any : first;
}

/* Options (duplicates:) stand at the top: alone or ANDed with the query. */
static const struct sink_node *misplaced_option(const struct sink_node *n,
                                                int top)
{
        const struct sink_node *bad;
        int i;

        if (n->kind == SINK_N_TRUE)
                return top ? NULL : n;
        for (i = 0; i < n->nkids; i++) {
                bad = misplaced_option(n->kids[i],
                                       top && n->kind == SINK_N_AND);
                if (bad)
                        return bad;
        }
        return NULL;
}

static int only_options(const struct sink_node *n)
{
        int i;

        if (n->kind == SINK_N_TRUE)
                return 1;
        if (n->kind != SINK_N_AND)
                return 0;
        for (i = 0; i < n->nkids; i++)
                if (!only_options(n->kids[i]))
                        return 0;
        return 1;
}

static enum vl_rc parse_query(struct qp *p, struct sink_watch *w)
{
        const struct sink_node *bad;

        w->root = parse_or(p);
        if (!w->root)
                return VL_REJECT;
        skip(p);
        if (p->pos < p->n)
                return perr(p, p->pos, "unexpected '%c'", p->s[p->pos]);
        bad = misplaced_option(w->root, 1);
        if (bad)
                return vl_err_set(p->err, VL_REJECT,
                                  "%s:%d:%d: watch '%s': %s: is an "
                                  "option of the watch, not a condition "
                                  "(write it beside the query, not inside "
                                  "OR, NOT or parentheses)",
                                  p->origin, p->lineno, bad->col, w->name,
                                  bad->key);
        if (only_options(w->root))
                return perr(p, 0, "no condition, only options");
        if (p->dup_set)
                w->suppress_duplicates = !p->dup_yes;
        w->webhook = p->webhook;
        p->webhook = NULL;
        return VL_OK;
}

/* ---- the first form: "name: Term, Term, Q965" ---- */

static int first_form(const char *s, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                char c = s[i];

                if (c == '"' || c == '(' || c == ')' || c == ':')
                        return 0;
                if ((i == 0 || is_blank(s[i - 1]) || s[i - 1] == ',') &&
                    ((i + 3 <= n && (memcmp(s + i, "AND", 3) == 0 ||
                                     memcmp(s + i, "NOT", 3) == 0) &&
                      (i + 3 == n || is_blank(s[i + 3]))) ||
                     (i + 2 <= n && memcmp(s + i, "OR", 2) == 0 &&
                      (i + 2 == n || is_blank(s[i + 2])))))
                        return 0;
        }
        return 1;
}

static void trim(const char **s, size_t *n)
{
        while (*n > 0 && is_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
}

static enum vl_rc parse_list(struct qp *p, struct sink_watch *w)
{
        struct sink_node *any = node_new(SINK_N_OR, 1);
        const char *end = p->s + p->n, *q = p->s;
        int i;

        for (;;) {
                const char *comma = memchr(q, ',', (size_t)(end - q));
                const char *t = q;
                size_t tn = (size_t)((comma ? comma : end) - q);
                struct sink_node *n;
                int dup = 0;

                trim(&t, &tn);
                p->pos = (size_t)(t - p->s);
                p->vstart = p->pos;
                if (tn == 0) {
                        node_destroy(any);
                        return perr(p, p->pos, "empty term");
                }
                n = entity_node(p, vl_xstrndup(t, tn), col_of(p, p->pos));
                if (!n) {
                        node_destroy(any);
                        return VL_REJECT;
                }
                for (i = 0; i < any->nkids; i++) /* "Russia, RUSSIA": once */
                        if (any->kids[i]->qid == n->qid &&
                            strcmp(any->kids[i]->key, n->key) == 0)
                                dup = 1;
                if (dup)
                        node_destroy(n);
                else
                        node_add(any, n);
                if (!comma)
                        break;
                q = comma + 1;
        }
        w->root = any;
        return VL_OK;
}

/* Cut a '#' comment that is outside quotes. */
static size_t strip_comment(const char *s, size_t n)
{
        size_t i;
        int quoted = 0;

        for (i = 0; i < n; i++) {
                if (quoted && s[i] == '\\' && i + 1 < n) {
                        i++;
                        continue;
                }
                if (s[i] == '"')
                        quoted = !quoted;
                else if (s[i] == '#' && !quoted)
                        return i;
        }
        return n;
}

static int valid_name(const char *s, size_t n)
{
        size_t i;

        if (n == 0 || n > SINK_WATCH_NAME_MAX)
                return 0;
        for (i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

/* One line of the file, without its "\n". */
static enum vl_rc parse_line(struct sink_watchset *ws, const char *s,
                             size_t n, int lineno, struct vl_err *err)
{
        struct sink_watch w = { 0 };
        struct qp p = { 0 };
        const char *line = s, *colon, *name, *body;
        size_t namelen, bodylen, i;
        enum vl_rc rc = VL_OK;
        int prev;

        if (memchr(s, '\0', n))
                return vl_err_set(err, VL_REJECT, "%s:%d: NUL byte in line",
                                  ws->origin, lineno);
        for (i = 0; i < n;) {
                size_t k = vl_utf8_seq(s + i, n - i);

                if (!k) {
                        p.line = line;
                        p.s = line;
                        p.origin = ws->origin;
                        p.lineno = lineno;
                        return vl_err_set(err, VL_REJECT,
                                          "%s:%d:%d: not valid UTF-8",
                                          ws->origin, lineno, col_of(&p, i));
                }
                i += k;
        }
        n = strip_comment(s, n);
        trim(&s, &n);
        if (n == 0)
                return VL_OK;
        colon = memchr(s, ':', n);
        p.line = line;
        p.s = s;
        p.origin = ws->origin;
        p.lineno = lineno;
        p.err = err;
        if (!colon)
                return vl_err_set(err, VL_REJECT,
                                  "%s:%d:%d: missing ':' (expected 'name: "
                                  "query')",
                                  ws->origin, lineno, col_of(&p, n));
        name = s;
        namelen = (size_t)(colon - s);
        trim(&name, &namelen);
        if (!valid_name(name, namelen))
                return vl_err_set(err, VL_REJECT,
                                  "%s:%d:%d: invalid watch name '%.*s' (1 to "
                                  "%d of a-z, 0-9, '_' and '-')",
                                  ws->origin, lineno, col_of(&p, 0),
                                  (int)(namelen > QUOTE_MAX ? QUOTE_MAX
                                                            : namelen),
                                  name, SINK_WATCH_NAME_MAX);
        w.name = vl_xstrndup(name, namelen);
        w.line = lineno;
        w.suppress_duplicates = true;
        p.name = w.name;
        prev = sink_watchset_find(ws, w.name);
        if (prev >= 0) {
                rc = vl_err_set(err, VL_REJECT,
                                "%s:%d:%d: duplicate watch '%s' (first "
                                "defined on line %d)",
                                ws->origin, lineno, col_of(&p, 0), w.name,
                                ws->w[prev].line);
                goto out;
        }
        body = colon + 1;
        bodylen = (size_t)(s + n - body);
        while (bodylen > 0 && is_blank(*body)) {
                body++;
                bodylen--;
        }
        p.s = body;
        p.n = bodylen;
        if (bodylen == 0) {
                rc = perr(&p, 0, "no query");
                goto out;
        }
        rc = first_form(body, bodylen) ? parse_list(&p, &w)
                                       : parse_query(&p, &w);
        w.query = vl_xstrndup(body, bodylen);
        if (rc)
                goto out;
        if (w.webhook) { /* a match record may quote the query: not its URL,
                          * which often holds a token */
                char *at = strstr(w.query, w.webhook), *q;

                if (at) {
                        q = vl_xasprintf("%.*s...%s", (int)(at - w.query),
                                         w.query, at + strlen(w.webhook));
                        free(w.query);
                        w.query = q;
                }
        }
        ws->w = vl_xrealloc(ws->w, (size_t)(ws->n + 1) * sizeof(*ws->w));
        ws->w[ws->n++] = w;
        memset(&w, 0, sizeof(w));
out:
        free(p.webhook);
        watch_release(&w);
        return rc;
}

/* ---- the index ---- */

static uint64_t hash(char kind, const char *s, size_t n)
{
        uint64_t h = 1469598103934665603ull;
        size_t i;

        h = (h ^ (unsigned char)kind) * 1099511628211ull;
        for (i = 0; i < n; i++)
                h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
        return h;
}

static struct sink_key *slot(const struct sink_watchset *ws, char kind,
                             const char *s, size_t n)
{
        size_t m = ws->ntab - 1, i = (size_t)hash(kind, s, n) & m;

        for (;; i = (i + 1) & m) {
                struct sink_key *k = &ws->tab[i];

                if (!k->key || (k->key[0] == kind && strlen(k->key + 1) == n &&
                                memcmp(k->key + 1, s, n) == 0))
                        return k;
        }
}

static void index_add(struct sink_watchset *ws, const char *key, int watch)
{
        struct sink_key *k;

        if ((ws->nkeys + 1) * 2 > ws->ntab) { /* keep it half empty */
                struct sink_key *old = ws->tab;
                size_t nold = ws->ntab, i;

                ws->ntab = ws->ntab ? 2 * ws->ntab : 64;
                ws->tab = vl_xcalloc(ws->ntab, sizeof(*ws->tab));
                for (i = 0; i < nold; i++)
                        if (old[i].key)
                                *slot(ws, old[i].key[0], old[i].key + 1,
                                      strlen(old[i].key + 1)) = old[i];
                free(old);
        }
        k = slot(ws, key[0], key + 1, strlen(key + 1));
        if (!k->key) {
                k->key = vl_xstrdup(key);
                ws->nkeys++;
        }
        if (k->n > 0 && k->w[k->n - 1] == watch)
                return;
        k->w = vl_xrealloc(k->w, (size_t)(k->n + 1) * sizeof(*k->w));
        k->w[k->n++] = watch;
}

struct keys {
        char **v;
        int n;
};

static void keys_clear(struct keys *k)
{
        int i;

        for (i = 0; i < k->n; i++)
                free(k->v[i]);
        free(k->v);
        k->v = NULL;
        k->n = 0;
}

static void keys_add(struct keys *k, char kind, const char *s)
{
        k->v = vl_xrealloc(k->v, (size_t)(k->n + 1) * sizeof(*k->v));
        k->v[k->n++] = vl_xasprintf("%c%s", kind, s);
}

/* The primary language subtag: "fr-CA" -> "fr". */
static char *lang_key(const char *s)
{
        size_t n = strcspn(s, "-_");
        char *k = vl_xstrndup(s, n);

        lower(k);
        return k;
}

/* Fill @p out with keys one of which an event must carry for @p n to hold.
 * @returns how selective they are (0 best), or -1 when there is no such
 * set (out left empty). */
static int need(const struct sink_node *n, struct keys *out)
{
        struct keys best = { 0 }, k = { 0 };
        int i, c, bc = -1, worst = 0;
        size_t j;

        switch (n->kind) {
        case SINK_N_ENTITY:
                keys_add(out, n->qid ? 'q' : 'e', n->key);
                return 0;
        case SINK_N_TERM: {
                const char *longest = n->toks[0];

                for (i = 1; i < n->ntoks; i++)
                        if (strlen(n->toks[i]) > strlen(longest))
                                longest = n->toks[i];
                keys_add(out, 'w', longest);
                return 1;
        }
        case SINK_N_SOURCE:
                keys_add(out, 's', n->key);
                return 2;
        case SINK_N_SITE:
                keys_add(out, 'd', n->key);
                return 2;
        case SINK_N_TYPE:
                keys_add(out, 't', n->key);
                return 3;
        case SINK_N_LANG: {
                char *l = lang_key(n->key);

                keys_add(out, 'l', l);
                free(l);
                return 4;
        }
        case SINK_N_AND:
                for (i = 0; i < n->nkids; i++) {
                        c = need(n->kids[i], &k);
                        if (c >= 0 && (bc < 0 || c < bc)) {
                                keys_clear(&best);
                                best = k;
                                bc = c;
                                k.v = NULL;
                                k.n = 0;
                        }
                        keys_clear(&k);
                }
                for (i = 0; i < best.n; i++) {
                        keys_add(out, best.v[i][0], best.v[i] + 1);
                }
                keys_clear(&best);
                return bc;
        case SINK_N_OR:
                for (i = 0; i < n->nkids; i++) {
                        c = need(n->kids[i], &k);
                        if (c < 0) {
                                keys_clear(&k);
                                keys_clear(&best);
                                return -1;
                        }
                        if (c > worst)
                                worst = c;
                        for (j = 0; j < (size_t)k.n; j++)
                                keys_add(&best, k.v[j][0], k.v[j] + 1);
                        keys_clear(&k);
                }
                for (i = 0; i < best.n; i++)
                        keys_add(out, best.v[i][0], best.v[i] + 1);
                keys_clear(&best);
                return worst;
        default: /* NOT, TRUE, WITHIN */
                return -1;
        }
}

static int has_terms(const struct sink_node *n)
{
        int i;

        if (n->kind == SINK_N_TERM)
                return 1;
        for (i = 0; i < n->nkids; i++)
                if (has_terms(n->kids[i]))
                        return 1;
        return 0;
}

static void build_index(struct sink_watchset *ws)
{
        int i, j;

        ws->stamp = vl_xcalloc((size_t)ws->n + 1, sizeof(*ws->stamp));
        for (i = 0; i < ws->n; i++) {
                struct keys k = { 0 };

                if (has_terms(ws->w[i].root))
                        ws->words = true;
                if (need(ws->w[i].root, &k) < 0) {
                        ws->always = vl_xrealloc(ws->always,
                                                 (size_t)(ws->nalways + 1) *
                                                         sizeof(int));
                        ws->always[ws->nalways++] = i;
                }
                for (j = 0; j < k.n; j++)
                        index_add(ws, k.v[j], i);
                keys_clear(&k);
        }
}

struct sink_watchset *sink_watchset_parse(const char *text, size_t len,
                                          const char *origin,
                                          struct vl_err *err)
{
        struct sink_watchset *ws = sink_watchset_new(origin);
        const char *p = text, *end = text + len;
        int lineno = 0;

        if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                p += 3; /* a byte order mark some editors write */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *eol = nl ? nl : end;

                lineno++;
                if (parse_line(ws, p, (size_t)(eol - p), lineno, err)) {
                        sink_watchset_destroy(ws);
                        return NULL;
                }
                p = nl ? nl + 1 : end;
        }
        build_index(ws);
        return ws;
}

struct sink_watchset *sink_watchset_load(const char *path, struct vl_err *err)
{
        struct sink_watchset *ws = NULL;
        struct vl_buf b;
        struct vl_err rerr = { 0 };

        vl_buf_init(&b, SINK_WATCHES_MAX_BYTES);
        if (vl_buf_read_file(&b, path, &rerr)) {
                vl_err_set(err, VL_REJECT, "cannot read watches: %s",
                           rerr.msg);
                goto out;
        }
        ws = sink_watchset_parse(b.data ? b.data : "", b.len, path, err);
out:
        vl_buf_release(&b);
        return ws;
}

/* ---- matching ---- */

struct ev {
        const char *lang, *source, *site;
        long long published; /* -1: unknown */
        long long now;
};

static void hits_push(struct sink_hits *h, int watch,
                      const struct sink_node *leaf, int entity,
                      enum sink_where in, int start, int end)
{
        struct sink_hit *x;

        if (h->n == h->cap) {
                h->cap = h->cap ? 2 * h->cap : 16;
                h->v = vl_xrealloc(h->v, (size_t)h->cap * sizeof(*h->v));
        }
        x = &h->v[h->n++];
        x->watch = watch;
        x->leaf = leaf;
        x->entity = entity;
        x->in = in;
        x->start = start;
        x->end = end;
}

static void reset_event(struct sink_hits *h)
{
        int i, j;

        for (i = 0; i < h->nents; i++) {
                free(h->ents[i].name);
                for (j = 0; j < h->ents[i].nments; j++)
                        free(h->ents[i].ments[j]);
                free(h->ents[i].ments);
        }
        h->nents = 0;
        h->narena = 0;
        h->title.n = 0;
        h->text.n = 0;
        h->n = 0;
        h->ncand = 0;
}

static void prepare_entities(struct sink_hits *h, const struct sink_event *ev)
{
        int i, j;

        for (i = 0; i < ev->nents; i++) {
                const struct sink_eent *e = &ev->ents[i];
                struct sink_ent *x;

                if (h->nents == h->capents) {
                        h->capents = h->capents ? 2 * h->capents : 16;
                        h->ents = vl_xrealloc(h->ents, (size_t)h->capents *
                                                               sizeof(*h->ents));
                }
                x = &h->ents[h->nents++];
                memset(x, 0, sizeof(*x));
                x->salience = -1;
                if (e->jt != SINK_J_OBJECT)
                        continue;
                x->type = e->type;
                x->name = e->name ? vl_text_fold(e->name, 0) : NULL;
                x->qid = e->qid && is_qid(e->qid, strlen(e->qid)) &&
                                 e->qid[0] == 'Q'
                                 ? e->qid
                                 : NULL;
                if (e->has_salience)
                        x->salience = e->salience;
                for (j = e->ment0; j < e->ment0 + e->nments; j++) {
                        const char *t = ev->ments[j].text;
                        char *f;
                        int k, seen = 0;

                        if (!t)
                                continue;
                        f = vl_text_fold(t, 0);
                        for (k = 0; k < x->nments && !seen; k++)
                                seen = strcmp(x->ments[k], f) == 0;
                        if (seen || !f[0] ||
                            (x->name && strcmp(x->name, f) == 0)) {
                                free(f);
                                continue;
                        }
                        x->ments = vl_xrealloc(x->ments,
                                               (size_t)(x->nments + 1) *
                                                       sizeof(*x->ments));
                        x->ments[x->nments++] = f;
                }
        }
}

static int site_is(const char *site, const char *key)
{
        size_t n = strlen(site), k = strlen(key);

        if (n == k)
                return strcasecmp(site, key) == 0;
        return n > k && site[n - k - 1] == '.' &&
               strcasecmp(site + n - k, key) == 0;
}

static int lang_is(const char *lang, const char *key)
{
        size_t k = strlen(key);

        return strncasecmp(lang, key, k) == 0 &&
               (lang[k] == '\0' || lang[k] == '-' || lang[k] == '_');
}

static int ent_is(const struct sink_ent *e, const struct sink_node *n)
{
        int i;

        if (n->salience >= 0 && !(e->salience > n->salience))
                return 0;
        if (n->kind == SINK_N_TYPE)
                return e->type && strcasecmp(e->type, n->key) == 0;
        if (n->qid)
                return e->qid && strcmp(e->qid, n->key) == 0;
        if (e->name && strcmp(e->name, n->key) == 0)
                return 1;
        for (i = 0; i < e->nments; i++)
                if (strcmp(e->ments[i], n->key) == 0)
                        return 1;
        return 0;
}

/* Token @p id of the event: title tokens first, then the text's. */
static const struct sink_tok *tok_at(const struct sink_hits *h, int id,
                                     enum sink_where *in, int *first, int *n)
{
        if (id < h->title.n) {
                *in = SINK_IN_TITLE;
                *first = 0;
                *n = h->title.n;
                return &h->title.v[id];
        }
        *in = SINK_IN_TEXT;
        *first = h->title.n;
        *n = h->title.n + h->text.n;
        return &h->text.v[id - h->title.n];
}

static int word_slot(const struct sink_hits *h, const char *w, size_t n)
{
        size_t m = h->nwtab - 1, i = (size_t)hash('w', w, n) & m;

        for (;; i = (i + 1) & m) {
                const struct sink_wslot *sl = &h->wtab[i];
                enum sink_where in;
                int first, last;
                const struct sink_tok *t;

                if (sl->head < 0)
                        return (int)i;
                t = tok_at(h, sl->head, &in, &first, &last);
                if (t->len == n && memcmp(tok_str(h, t), w, n) == 0)
                        return (int)i;
        }
}

/* Every occurrence of the phrase of @p n where @p n looks (up to OCCUR_MAX
 * in each of title and text), from the word table. @returns found. */
static int find_phrase(struct sink_hits *h, const struct sink_node *n,
                       int watch)
{
        int id, found[2] = { 0, 0 };

        if (!h->nwtab)
                return 0;
        id = h->wtab[word_slot(h, n->toks[0], strlen(n->toks[0]))].head;
        for (; id >= 0; id = h->wnext[id]) {
                enum sink_where in;
                int first, end, j;
                const struct sink_tok *t = tok_at(h, id, &in, &first, &end);

                if ((n->in != SINK_IN_ANY && n->in != in) ||
                    found[in == SINK_IN_TEXT] >= OCCUR_MAX ||
                    id + n->ntoks > end)
                        continue;
                for (j = 1; j < n->ntoks; j++) {
                        enum sink_where in2;
                        int f2, e2;
                        const struct sink_tok *u =
                                tok_at(h, id + j, &in2, &f2, &e2);

                        if (strcmp(tok_str(h, u), n->toks[j]) != 0)
                                break;
                }
                if (j < n->ntoks)
                        continue;
                hits_push(h, watch, n, -1, in, t->start,
                          tok_at(h, id + n->ntoks - 1, &in, &first, &end)
                                  ->end);
                found[in == SINK_IN_TEXT]++;
        }
        return found[0] + found[1];
}

static int eval(struct sink_hits *h, const struct ev *ev,
                const struct sink_node *n, int watch)
{
        int mark = h->n, r = 0, i;

        switch (n->kind) {
        case SINK_N_AND:
                r = 1;
                for (i = 0; i < n->nkids && r; i++)
                        r = eval(h, ev, n->kids[i], watch);
                break;
        case SINK_N_OR:
                for (i = 0; i < n->nkids; i++) /* all: every hit is told */
                        if (eval(h, ev, n->kids[i], watch))
                                r = 1;
                break;
        case SINK_N_NOT:
                r = !eval(h, ev, n->kids[0], watch);
                h->n = mark;
                return r;
        case SINK_N_TRUE:
                return 1;
        case SINK_N_ENTITY:
        case SINK_N_TYPE:
                for (i = 0; i < h->nents; i++)
                        if (ent_is(&h->ents[i], n)) {
                                hits_push(h, watch, n, i, SINK_IN_ANY, 0, 0);
                                r = 1;
                        }
                break;
        case SINK_N_TERM:
                r = find_phrase(h, n, watch) > 0;
                break;
        case SINK_N_LANG:
                r = ev->lang && lang_is(ev->lang, n->key);
                break;
        case SINK_N_SOURCE:
                r = ev->source && strcmp(ev->source, n->key) == 0;
                break;
        case SINK_N_SITE:
                r = ev->site && site_is(ev->site, n->key);
                break;
        case SINK_N_WITHIN:
                r = ev->published >= 0 && ev->now - ev->published <= n->within &&
                    ev->published - ev->now <= 86400; /* a day of clock skew */
                break;
        }
        if (r && n->kind >= SINK_N_LANG) /* told, with no place to show */
                hits_push(h, watch, n, -1, SINK_IN_ANY, 0, 0);
        if (!r)
                h->n = mark;
        return r;
}

static void candidate(struct sink_watchset *ws, struct sink_hits *h,
                      char kind, const char *s, size_t n)
{
        const struct sink_key *k;
        int i;

        if (!ws->ntab)
                return;
        k = slot(ws, kind, s, n);
        for (i = 0; k->key && i < k->n; i++) {
                int w = k->w[i];

                if (ws->stamp[w] == ws->epoch)
                        continue;
                ws->stamp[w] = ws->epoch;
                if (h->ncand == h->capcand) {
                        h->capcand = h->capcand ? 2 * h->capcand : 16;
                        h->cand = vl_xrealloc(h->cand, (size_t)h->capcand *
                                                               sizeof(int));
                }
                h->cand[h->ncand++] = w;
        }
}

static void candidate_str(struct sink_watchset *ws, struct sink_hits *h,
                          char kind, const char *s)
{
        if (s)
                candidate(ws, h, kind, s, strlen(s));
}

/* The word table of the event, and each distinct word looked up once. */
static void index_words(struct sink_watchset *ws, struct sink_hits *h)
{
        int n = h->title.n + h->text.n, id;
        size_t want = 16;

        while (want < 2 * (size_t)n)
                want *= 2;
        if (want != h->nwtab) {
                free(h->wtab);
                h->wtab = vl_xmalloc(want * sizeof(*h->wtab));
                h->nwtab = want;
        }
        memset(h->wtab, 0xff, want * sizeof(*h->wtab)); /* head = tail = -1 */
        if (n > h->capwnext) {
                h->capwnext = n;
                h->wnext = vl_xrealloc(h->wnext, (size_t)n * sizeof(int));
        }
        for (id = 0; id < n; id++) {
                enum sink_where in;
                int first, end;
                const struct sink_tok *t = tok_at(h, id, &in, &first, &end);
                struct sink_wslot *sl =
                        &h->wtab[word_slot(h, tok_str(h, t), t->len)];

                h->wnext[id] = -1;
                if (sl->head < 0) {
                        sl->head = sl->tail = id;
                        candidate(ws, h, 'w', tok_str(h, t), t->len);
                } else {
                        h->wnext[sl->tail] = id;
                        sl->tail = id;
                }
        }
}

static int int_cmp(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

void sink_watchset_match(struct sink_watchset *ws, const json_t *evj,
                         long long now, struct sink_hits *hits)
{
        struct sink_event ev = { 0 };

        sink_event_from_json(&ev, evj);
        sink_watchset_match_event(ws, &ev, now, hits);
        sink_event_release(&ev);
}

void sink_watchset_match_event(struct sink_watchset *ws,
                               const struct sink_event *evt, long long now,
                               struct sink_hits *hits)
{
        struct vl_date dt;
        struct ev ev = { 0 };
        int dup, i, j;

        reset_event(hits);
        if (ws->n == 0 || !evt->object)
                return;
        if (++ws->epoch == 0) { /* wrapped: forget old marks */
                memset(ws->stamp, 0, (size_t)ws->n * sizeof(*ws->stamp));
                ws->epoch = 1;
        }
        dup = evt->dup == SINK_J_STRING;
        ev.now = now;
        ev.lang = evt->lang;
        ev.site = evt->site;
        ev.source = evt->source;
        ev.published = evt->published_at &&
                                       vl_date_parse(evt->published_at, 0, &dt,
                                                     NULL) == VL_OK
                               ? (long long)vl_date_epoch(&dt)
                               : -1;
        prepare_entities(hits, evt);
        if (ws->words) {
                if (evt->title)
                        sink_tokenize(evt->title, hits, &hits->title);
                if (evt->text)
                        sink_tokenize(evt->text, hits, &hits->text);
        }
        /* the keys of the event */
        for (i = 0; i < hits->nents; i++) {
                const struct sink_ent *e = &hits->ents[i];

                candidate_str(ws, hits, 'q', e->qid);
                candidate_str(ws, hits, 'e', e->name);
                for (j = 0; j < e->nments; j++)
                        candidate_str(ws, hits, 'e', e->ments[j]);
                if (e->type) {
                        char t[16];

                        snprintf(t, sizeof(t), "%s", e->type);
                        for (j = 0; t[j]; j++)
                                if (t[j] >= 'a' && t[j] <= 'z')
                                        t[j] = (char)(t[j] - 'a' + 'A');
                        candidate_str(ws, hits, 't', t);
                }
        }
        if (ws->words)
                index_words(ws, hits);
        if (ev.lang) {
                char *l = lang_key(ev.lang);

                candidate_str(ws, hits, 'l', l);
                free(l);
        }
        candidate_str(ws, hits, 's', ev.source);
        if (ev.site) {
                char *d = vl_xstrdup(ev.site), *p = d;

                lower(d);
                while (p) { /* news.example.com, example.com, com */
                        candidate_str(ws, hits, 'd', p);
                        p = strchr(p, '.');
                        if (p)
                                p++;
                }
                free(d);
        }
        for (i = 0; i < ws->nalways; i++) {
                int w = ws->always[i];

                if (ws->stamp[w] == ws->epoch)
                        continue;
                ws->stamp[w] = ws->epoch;
                if (hits->ncand == hits->capcand) {
                        hits->capcand = hits->capcand ? 2 * hits->capcand : 16;
                        hits->cand = vl_xrealloc(hits->cand,
                                                 (size_t)hits->capcand *
                                                         sizeof(int));
                }
                hits->cand[hits->ncand++] = w;
        }
        if (hits->ncand > 1)
                qsort(hits->cand, (size_t)hits->ncand, sizeof(int), int_cmp);
        for (i = 0; i < hits->ncand; i++) {
                const struct sink_watch *w = &ws->w[hits->cand[i]];
                int mark = hits->n;

                if (dup && w->suppress_duplicates)
                        continue;
                if (eval(hits, &ev, w->root, hits->cand[i]) &&
                    hits->n == mark)
                        hits_push(hits, hits->cand[i], NULL, -1, SINK_IN_ANY,
                                  0, 0);
        }
}

void sink_hits_release(struct sink_hits *hits)
{
        reset_event(hits);
        free(hits->v);
        free(hits->ents);
        free(hits->arena);
        free(hits->title.v);
        free(hits->text.v);
        free(hits->cand);
        free(hits->wtab);
        free(hits->wnext);
        memset(hits, 0, sizeof(*hits));
}
