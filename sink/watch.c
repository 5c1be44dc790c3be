/* Watches: the watches file, and matching the entities of an event.
 *
 * First rule form, one watch per line:
 *
 *     sahel-russia: Russia, Wagner Group, Q159
 *
 * A watch matches an event when any of its terms names one of the event's
 * entities. Matching goes through a sorted index of every (term, watch)
 * pair, so its cost follows the number of entity names of the event, not
 * the number of watches. */
#include <stdlib.h>
#include <string.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "veille/text.h"
#include "sink.h"

#define QUOTE_MAX 64 /* how much of a bad name or term a message quotes */

struct sink_watchset *sink_watchset_new(const char *origin)
{
        struct sink_watchset *ws = vl_xcalloc(1, sizeof(*ws));

        ws->origin = vl_xstrdup(origin ? origin : "-");
        return ws;
}

static void watch_release(struct sink_watch *w)
{
        int i;

        for (i = 0; i < w->nterms; i++) {
                free(w->terms[i].text);
                free(w->terms[i].folded);
        }
        free(w->terms);
        free(w->name);
}

void sink_watchset_destroy(struct sink_watchset *ws)
{
        int i;

        if (!ws)
                return;
        for (i = 0; i < ws->n; i++)
                watch_release(&ws->w[i]);
        free(ws->w);
        free(ws->idx);
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

static int is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim blanks from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
        while (*n > 0 && is_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
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

/* "Q965" or "q965" (no leading zero): a Wikidata item id. */
static int is_qid(const char *s, size_t n)
{
        size_t i;

        if (n < 2 || (s[0] != 'Q' && s[0] != 'q') || s[1] == '0')
                return 0;
        for (i = 1; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return 0;
        return 1;
}

/* The form a qid is compared in: "Q" and the digits. */
static char *qid_key(const char *s, size_t n)
{
        char *k = vl_xstrndup(s, n);

        k[0] = 'Q';
        return k;
}

static int has_term(const struct sink_watch *w, enum sink_term_kind kind,
                    const char *folded)
{
        int i;

        for (i = 0; i < w->nterms; i++)
                if (w->terms[i].kind == kind &&
                    strcmp(w->terms[i].folded, folded) == 0)
                        return 1;
        return 0;
}

static enum vl_rc add_term(struct sink_watch *w, const char *s, size_t n,
                           const char *origin, int lineno,
                           struct vl_err *err)
{
        struct sink_term t;

        if (n == 0)
                return vl_err_set(err, VL_REJECT,
                                  "%s:%d: empty term in watch '%s'", origin,
                                  lineno, w->name);
        if (is_qid(s, n)) {
                t.kind = SINK_TERM_QID;
                t.folded = qid_key(s, n);
        } else {
                char *text;

                t.kind = SINK_TERM_TEXT;
                if (!vl_utf8_valid(s, n))
                        return vl_err_set(err, VL_REJECT,
                                          "%s:%d: term '%.*s' of watch '%s' "
                                          "is not valid UTF-8",
                                          origin, lineno,
                                          (int)(n > QUOTE_MAX ? QUOTE_MAX : n),
                                          s, w->name);
                text = vl_xstrndup(s, n);
                t.folded = vl_text_fold(text, 0);
                free(text);
                if (!t.folded[0]) {
                        free(t.folded);
                        return vl_err_set(err, VL_REJECT,
                                          "%s:%d: term '%.*s' of watch '%s' "
                                          "is empty once folded",
                                          origin, lineno,
                                          (int)(n > QUOTE_MAX ? QUOTE_MAX : n),
                                          s, w->name);
                }
        }
        if (has_term(w, t.kind, t.folded)) { /* "Russia, RUSSIA": once */
                free(t.folded);
                return VL_OK;
        }
        t.text = vl_xstrndup(s, n);
        w->terms = vl_xrealloc(w->terms, (size_t)(w->nterms + 1) *
                                                 sizeof(*w->terms));
        w->terms[w->nterms++] = t;
        return VL_OK;
}

/* One line of the file, without its "\n". */
static enum vl_rc parse_line(struct sink_watchset *ws, const char *s,
                             size_t n, int lineno, struct vl_err *err)
{
        struct sink_watch w = { 0 };
        const char *colon, *hash, *name, *p, *end;
        size_t namelen;
        enum vl_rc rc = VL_OK;
        int prev;

        if (memchr(s, '\0', n))
                return vl_err_set(err, VL_REJECT, "%s:%d: NUL byte in line",
                                  ws->origin, lineno);
        hash = memchr(s, '#', n);
        if (hash)
                n = (size_t)(hash - s);
        trim(&s, &n);
        if (n == 0)
                return VL_OK;
        colon = memchr(s, ':', n);
        if (!colon)
                return vl_err_set(err, VL_REJECT,
                                  "%s:%d: missing ':' (expected 'name: term, "
                                  "term, ...')",
                                  ws->origin, lineno);
        name = s;
        namelen = (size_t)(colon - s);
        trim(&name, &namelen);
        if (!valid_name(name, namelen))
                return vl_err_set(err, VL_REJECT,
                                  "%s:%d: invalid watch name '%.*s' (1 to %d "
                                  "of a-z, 0-9, '_' and '-')",
                                  ws->origin, lineno,
                                  (int)(namelen > QUOTE_MAX ? QUOTE_MAX
                                                            : namelen),
                                  name, SINK_WATCH_NAME_MAX);
        w.name = vl_xstrndup(name, namelen);
        w.line = lineno;
        w.suppress_duplicates = true;
        prev = sink_watchset_find(ws, w.name);
        if (prev >= 0) {
                rc = vl_err_set(err, VL_REJECT,
                                "%s:%d: duplicate watch '%s' (first defined "
                                "on line %d)",
                                ws->origin, lineno, w.name, ws->w[prev].line);
                goto out;
        }
        p = colon + 1;
        end = s + n;
        for (;;) {
                const char *comma = memchr(p, ',', (size_t)(end - p));
                const char *t = p;
                size_t tn = (size_t)((comma ? comma : end) - p);

                trim(&t, &tn);
                if (tn == 0 && !comma && w.nterms == 0 && p == colon + 1)
                        break; /* "name:" alone, reported below */
                rc = add_term(&w, t, tn, ws->origin, lineno, err);
                if (rc)
                        goto out;
                if (!comma)
                        break;
                p = comma + 1;
        }
        if (w.nterms == 0) {
                rc = vl_err_set(err, VL_REJECT,
                                "%s:%d: watch '%s' has no terms", ws->origin,
                                lineno, w.name);
                goto out;
        }
        ws->w = vl_xrealloc(ws->w, (size_t)(ws->n + 1) * sizeof(*ws->w));
        ws->w[ws->n++] = w;
        memset(&w, 0, sizeof(w));
out:
        watch_release(&w);
        return rc;
}

static int posting_cmp(const void *a, const void *b)
{
        const struct sink_posting *x = a, *y = b;
        int c;

        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        c = strcmp(x->folded, y->folded);
        if (c)
                return c;
        if (x->watch != y->watch)
                return x->watch < y->watch ? -1 : 1;
        return (x->term > y->term) - (x->term < y->term);
}

static void build_index(struct sink_watchset *ws)
{
        int i, j, k = 0;

        for (i = 0; i < ws->n; i++)
                k += ws->w[i].nterms;
        free(ws->idx);
        ws->idx = k ? vl_xcalloc((size_t)k, sizeof(*ws->idx)) : NULL;
        ws->nidx = k;
        k = 0;
        for (i = 0; i < ws->n; i++)
                for (j = 0; j < ws->w[i].nterms; j++) {
                        ws->idx[k].folded = ws->w[i].terms[j].folded;
                        ws->idx[k].kind = ws->w[i].terms[j].kind;
                        ws->idx[k].watch = i;
                        ws->idx[k].term = j;
                        k++;
                }
        if (k > 1)
                qsort(ws->idx, (size_t)k, sizeof(*ws->idx), posting_cmp);
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

static void hits_push(struct sink_hits *hits, int watch, int term, int entity)
{
        if (hits->n == hits->cap) {
                hits->cap = hits->cap ? 2 * hits->cap : 16;
                hits->v = vl_xrealloc(hits->v,
                                      (size_t)hits->cap * sizeof(*hits->v));
        }
        hits->v[hits->n].watch = watch;
        hits->v[hits->n].term = term;
        hits->v[hits->n].entity = entity;
        hits->n++;
}

/* Every posting equal to (kind, key) becomes a hit on @p entity. */
static void lookup(const struct sink_watchset *ws, enum sink_term_kind kind,
                   const char *key, int entity, struct sink_hits *hits)
{
        int lo = 0, hi = ws->nidx;

        while (lo < hi) { /* first posting >= (kind, key) */
                int mid = lo + (hi - lo) / 2;
                const struct sink_posting *p = &ws->idx[mid];
                int c = p->kind != kind ? (p->kind < kind ? -1 : 1)
                                        : strcmp(p->folded, key);

                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < ws->nidx; lo++) {
                const struct sink_posting *p = &ws->idx[lo];

                if (p->kind != kind || strcmp(p->folded, key) != 0)
                        break;
                hits_push(hits, p->watch, p->term, entity);
        }
}

static void lookup_text(const struct sink_watchset *ws, const char *s,
                        int entity, struct sink_hits *hits)
{
        char *folded = vl_text_fold(s, 0);

        if (folded[0])
                lookup(ws, SINK_TERM_TEXT, folded, entity, hits);
        free(folded);
}

static int hit_cmp(const void *a, const void *b)
{
        const struct sink_hit *x = a, *y = b;

        if (x->watch != y->watch)
                return x->watch < y->watch ? -1 : 1;
        if (x->term != y->term)
                return x->term < y->term ? -1 : 1;
        return (x->entity > y->entity) - (x->entity < y->entity);
}

void sink_watchset_match(const struct sink_watchset *ws,
                         const json_t *entities, struct sink_hits *hits)
{
        size_t i, j;
        int k, u;

        hits->n = 0;
        if (!ws->nidx || !json_is_array(entities))
                return;
        for (i = 0; i < json_array_size(entities); i++) {
                const json_t *ent = json_array_get(entities, i);
                const char *name, *qid, *prev;
                const json_t *mentions;
                int e = (int)i;

                if (!json_is_object(ent))
                        continue;
                name = json_string_value(json_object_get(ent, "name"));
                qid = json_string_value(json_object_get(ent, "qid"));
                if (name)
                        lookup_text(ws, name, e, hits);
                if (qid && is_qid(qid, strlen(qid))) {
                        char *key = qid_key(qid, strlen(qid));

                        lookup(ws, SINK_TERM_QID, key, e, hits);
                        free(key);
                }
                mentions = json_object_get(ent, "mentions");
                prev = name;
                for (j = 0; j < json_array_size(mentions); j++) {
                        const char *text = json_string_value(json_object_get(
                                json_array_get(mentions, j), "text"));

                        /* most mentions repeat the name or the one before */
                        if (!text || (prev && strcmp(text, prev) == 0) ||
                            (name && strcmp(text, name) == 0))
                                continue;
                        lookup_text(ws, text, e, hits);
                        prev = text;
                }
        }
        if (hits->n < 2)
                return;
        qsort(hits->v, (size_t)hits->n, sizeof(*hits->v), hit_cmp);
        for (k = 1, u = 1; k < hits->n; k++)
                if (hit_cmp(&hits->v[k], &hits->v[u - 1]) != 0)
                        hits->v[u++] = hits->v[k];
        hits->n = u;
}

void sink_hits_release(struct sink_hits *hits)
{
        free(hits->v);
        memset(hits, 0, sizeof(*hits));
}
