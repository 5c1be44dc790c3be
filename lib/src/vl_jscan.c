/* JSON checked and split into top-level members without a tree (jscan.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "veille/jscan.h"
#include "veille/mem.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

struct scan {
        const unsigned char *p, *end, *start;
        const char *why; /* the first error */
        bool escaped;    /* the last string had an escape */
};

/* 0: plain byte inside a string; 1: '"' or '\\'; 2: control; 3: >= 0x80 */
static const uint8_t str_class[256] = {
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
        3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static bool fail(struct scan *sc, const char *why)
{
        if (!sc->why)
                sc->why = why;
        return false;
}

static void skip_ws(struct scan *sc)
{
        while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' ||
                                   *sc->p == '\r' || *sc->p == '\t'))
                sc->p++;
}

static int hex4(const unsigned char *p)
{
        int v = 0;

        for (int i = 0; i < 4; i++) {
                int c = p[i], d;

                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -1;
                v = v * 16 + d;
        }
        return v;
}

/* One UTF-8 sequence at sc->p (a byte >= 0x80): well-formed, shortest
 * form, no surrogate, at most U+10FFFF. */
static bool utf8_seq(struct scan *sc)
{
        const unsigned char *p = sc->p;
        size_t left = (size_t)(sc->end - p), n;
        uint32_t cp;

        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                n = 2;
                cp = p[0] & 0x1fu;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                n = 3;
                cp = p[0] & 0x0fu;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                n = 4;
                cp = p[0] & 0x07u;
        } else {
                return fail(sc, "invalid UTF-8");
        }
        if (left < n)
                return fail(sc, "invalid UTF-8");
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return fail(sc, "invalid UTF-8");
                cp = cp << 6 | (p[i] & 0x3fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(sc, "invalid UTF-8");
        sc->p += n;
        return true;
}

/* A string at sc->p (the opening quote). */
static bool string(struct scan *sc)
{
        sc->p++;
        sc->escaped = false;
        for (;;) {
                while (sc->p < sc->end && !str_class[*sc->p])
                        sc->p++;
                if (sc->p >= sc->end)
                        return fail(sc, "unterminated string");
                switch (str_class[*sc->p]) {
                case 1:
                        if (*sc->p == '"') {
                                sc->p++;
                                return true;
                        }
                        sc->escaped = true;
                        if (sc->end - sc->p < 2)
                                return fail(sc, "unterminated string");
                        switch (sc->p[1]) {
                        case '"': case '\\': case '/': case 'b': case 'f':
                        case 'n': case 'r': case 't':
                                sc->p += 2;
                                break;
                        case 'u': {
                                int u;

                                if (sc->end - sc->p < 6 ||
                                    (u = hex4(sc->p + 2)) < 0)
                                        return fail(sc, "invalid \\u escape");
                                if (u == 0)
                                        return fail(sc, "\\u0000 is not "
                                                        "allowed");
                                sc->p += 6;
                                if (u >= 0xdc00 && u <= 0xdfff)
                                        return fail(sc, "invalid Unicode "
                                                        "surrogate");
                                if (u >= 0xd800 && u <= 0xdbff) {
                                        int lo;

                                        if (sc->end - sc->p < 6 ||
                                            sc->p[0] != '\\' ||
                                            sc->p[1] != 'u' ||
                                            (lo = hex4(sc->p + 2)) < 0xdc00 ||
                                            lo > 0xdfff)
                                                return fail(sc,
                                                            "invalid Unicode "
                                                            "surrogate");
                                        sc->p += 6;
                                }
                                break;
                        }
                        default:
                                return fail(sc, "invalid escape");
                        }
                        break;
                case 2:
                        return fail(sc, "control character in a string");
                default:
                        if (!utf8_seq(sc))
                                return false;
                        break;
                }
        }
}

static bool digits(struct scan *sc)
{
        const unsigned char *b = sc->p;

        while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
                sc->p++;
        return sc->p > b;
}

static bool number(struct scan *sc)
{
        if (*sc->p == '-')
                sc->p++;
        if (sc->p < sc->end && *sc->p == '0')
                sc->p++;
        else if (sc->p >= sc->end || *sc->p < '1' || *sc->p > '9' ||
                 !digits(sc))
                return fail(sc, "invalid number");
        if (sc->p < sc->end && *sc->p == '.') {
                sc->p++;
                if (!digits(sc))
                        return fail(sc, "invalid number");
        }
        if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
                sc->p++;
                if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
                        sc->p++;
                if (!digits(sc))
                        return fail(sc, "invalid number");
        }
        return true;
}

static bool literal(struct scan *sc, const char *w, size_t n)
{
        if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, w, n) != 0)
                return fail(sc, "invalid token");
        sc->p += n;
        return true;
}

static bool value(struct scan *sc, int depth);

/* An object or array at sc->p, its members checked; @p o (may be NULL)
 * receives an object's members. */
static bool container(struct scan *sc, int depth, struct vl_jobj *o)
{
        int obj = *sc->p == '{';
        char close = obj ? '}' : ']';

        if (depth >= MAX_DEPTH)
                return fail(sc, "maximum depth exceeded");
        sc->p++;
        skip_ws(sc);
        if (sc->p < sc->end && *sc->p == close) {
                sc->p++;
                return true;
        }
        for (;;) {
                const unsigned char *k0 = sc->p, *k1 = sc->p, *v0;

                if (obj) {
                        if (sc->p >= sc->end || *sc->p != '"')
                                return fail(sc, "string or '}' expected");
                        if (!string(sc))
                                return false;
                        k1 = sc->p - 1; /* the closing quote */
                        skip_ws(sc);
                        if (sc->p >= sc->end || *sc->p != ':')
                                return fail(sc, "':' expected");
                        sc->p++;
                        skip_ws(sc);
                }
                v0 = sc->p;
                if (!value(sc, depth + 1))
                        return false;
                if (o) {
                        struct vl_jmember *m;

                        if (o->n == o->cap) {
                                o->cap = o->cap ? o->cap * 2 : 32;
                                o->m = vl_xrealloc(o->m,
                                                   o->cap * sizeof(*o->m));
                        }
                        m = &o->m[o->n++];
                        m->key = (const char *)k0 + 1;
                        m->klen = (size_t)(k1 - k0 - 1);
                        m->val = (const char *)v0;
                        m->vlen = (size_t)(sc->p - v0);
                        m->raw = (const char *)k0;
                        m->rawlen = (size_t)(sc->p - k0);
                        m->escaped = *v0 == '"' && sc->escaped;
                }
                skip_ws(sc);
                if (sc->p < sc->end && *sc->p == ',') {
                        sc->p++;
                        skip_ws(sc);
                        continue;
                }
                if (sc->p < sc->end && *sc->p == close) {
                        sc->p++;
                        return true;
                }
                return fail(sc, obj ? "',' or '}' expected"
                                    : "',' or ']' expected");
        }
}

static bool value(struct scan *sc, int depth)
{
        if (sc->p >= sc->end)
                return fail(sc, "unexpected end of input");
        switch (*sc->p) {
        case '{': case '[':
                return container(sc, depth, NULL);
        case '"':
                return string(sc);
        case 't':
                return literal(sc, "true", 4);
        case 'f':
                return literal(sc, "false", 5);
        case 'n':
                return literal(sc, "null", 4);
        default:
                if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
                        return number(sc);
                return fail(sc, "invalid token");
        }
}

enum vl_rc vl_jscan_object(const char *s, size_t n, struct vl_jobj *o,
                           struct vl_err *err)
{
        struct scan sc = {(const unsigned char *)s,
                          (const unsigned char *)s + n,
                          (const unsigned char *)s, NULL, false};

        o->n = 0;
        skip_ws(&sc);
        if (sc.p >= sc.end || *sc.p != '{') {
                fail(&sc, "not a JSON object");
        } else if (container(&sc, 0, o)) {
                skip_ws(&sc);
                if (sc.p < sc.end)
                        fail(&sc, "end of input expected");
        }
        /* duplicate keys: jansson's JSON_REJECT_DUPLICATES, top level */
        for (size_t i = 0; !sc.why && i < o->n; i++)
                for (size_t j = 0; j < i; j++)
                        if (o->m[i].klen == o->m[j].klen &&
                            memcmp(o->m[i].key, o->m[j].key, o->m[i].klen) ==
                                    0) {
                                sc.p = (const unsigned char *)o->m[i].raw;
                                fail(&sc, "duplicate object key");
                                break;
                        }
        if (sc.why) {
                o->n = 0;
                return vl_err_set(err, VL_REJECT, "%s at byte %zu", sc.why,
                                  (size_t)(sc.p - sc.start));
        }
        return VL_OK;
}

void vl_jobj_release(struct vl_jobj *o)
{
        free(o->m);
        memset(o, 0, sizeof(*o));
}

const struct vl_jmember *vl_jobj_get(const struct vl_jobj *o, const char *key)
{
        size_t kl = strlen(key);

        for (size_t i = 0; i < o->n; i++)
                if (o->m[i].klen == kl && memcmp(o->m[i].key, key, kl) == 0)
                        return &o->m[i];
        return NULL;
}

static void put_utf8(struct vl_buf *b, uint32_t cp)
{
        char u[4];
        size_t n;

        if (cp < 0x80) {
                u[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char)(0xc0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (char)(0xe0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char)(0x80 | (cp & 0x3f));
                n = 3;
        } else {
                u[0] = (char)(0xf0 | cp >> 18);
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char)(0x80 | (cp & 0x3f));
                n = 4;
        }
        vl_buf_append(b, u, n, NULL);
}

const char *vl_jmember_string(const struct vl_jmember *m,
                              struct vl_buf *scratch, size_t *len)
{
        const unsigned char *p = (const unsigned char *)m->val + 1,
                            *end = (const unsigned char *)m->val + m->vlen - 1;

        if (!m->escaped) {
                *len = m->vlen - 2;
                return (const char *)p;
        }
        vl_buf_reset(scratch);
        while (p < end) {
                const unsigned char *q = p;
                uint32_t u;

                while (q < end && *q != '\\')
                        q++;
                vl_buf_append(scratch, p, (size_t)(q - p), NULL);
                if (q >= end)
                        break;
                switch (q[1]) {
                case 'b': vl_buf_append(scratch, "\b", 1, NULL); break;
                case 'f': vl_buf_append(scratch, "\f", 1, NULL); break;
                case 'n': vl_buf_append(scratch, "\n", 1, NULL); break;
                case 'r': vl_buf_append(scratch, "\r", 1, NULL); break;
                case 't': vl_buf_append(scratch, "\t", 1, NULL); break;
                case 'u':
                        u = (uint32_t)hex4(q + 2);
                        if (u >= 0xd800 && u <= 0xdbff) {
                                u = 0x10000 + ((u - 0xd800) << 10) +
                                    ((uint32_t)hex4(q + 8) - 0xdc00);
                                q += 6;
                        }
                        put_utf8(scratch, u);
                        p = q + 6;
                        continue;
                default: /* '"', '\\', '/' */
                        vl_buf_append(scratch, q + 1, 1, NULL);
                        break;
                }
                p = q + 2;
        }
        if (!scratch->data)
                vl_buf_append(scratch, "", 0, NULL);
        *len = scratch->len;
        return scratch->data;
}

void vl_json_put_string(struct vl_buf *b, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)s, *end = p + n;

        vl_buf_append(b, "\"", 1, NULL);
        while (p < end) {
                const unsigned char *q = p;
                char e[6];

                while (q < end && str_class[*q] != 1 && str_class[*q] != 2)
                        q++;
                vl_buf_append(b, p, (size_t)(q - p), NULL);
                if (q >= end)
                        break;
                e[0] = '\\';
                switch (*q) {
                case '"': case '\\': e[1] = (char)*q; break;
                case '\n': e[1] = 'n'; break;
                case '\r': e[1] = 'r'; break;
                case '\t': e[1] = 't'; break;
                case '\b': e[1] = 'b'; break;
                case '\f': e[1] = 'f'; break;
                default:
                        e[1] = 'u';
                        e[2] = '0';
                        e[3] = '0';
                        e[4] = hex[*q >> 4];
                        e[5] = hex[*q & 15];
                        vl_buf_append(b, e, 6, NULL);
                        p = q + 1;
                        continue;
                }
                vl_buf_append(b, e, 2, NULL);
                p = q + 1;
        }
        vl_buf_append(b, "\"", 1, NULL);
}
