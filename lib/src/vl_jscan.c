/* JSON checked and split into top-level members without a tree (jscan.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "veille/jscan.h"
#include "veille/mem.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

struct skey {
        const unsigned char *k;
        size_t n;
};

struct scan {
        const unsigned char *p, *end, *start;
        const char *why; /* the first error */
        bool escaped;    /* the last string had an escape */
        /* vl_jscan_object_deep(): keys of the open nested objects, and
         * whether all is plain (see jscan.h) */
        bool deep, plain;
        struct skey *keys;
        size_t nkeys, capkeys;
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
        const unsigned char *i0, *e0 = NULL;
        bool real = false;

        if (*sc->p == '-')
                sc->p++;
        i0 = sc->p;
        if (sc->p < sc->end && *sc->p == '0')
                sc->p++;
        else if (sc->p >= sc->end || *sc->p < '1' || *sc->p > '9' ||
                 !digits(sc))
                return fail(sc, "invalid number");
        if (sc->p < sc->end && *sc->p == '.') {
                sc->p++;
                real = true;
                if (!digits(sc))
                        return fail(sc, "invalid number");
        }
        if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
                sc->p++;
                real = true;
                if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
                        sc->p++;
                e0 = sc->p;
                if (!digits(sc))
                        return fail(sc, "invalid number");
        }
        /* within jansson's range for sure: an integer of at most 18
         * digits (a long long), a real below 1e300 */
        if (sc->deep &&
            (real ? (e0 && sc->p - e0 > 2) || sc->p - i0 > 280
                  : sc->p - i0 > 18))
                sc->plain = false;
        return true;
}

/* Deep mode: key [k, k + n) of a nested object whose keys start at
 * sc->keys[base]; a key with an escape or seen before is not plain. */
static void nested_key(struct scan *sc, size_t base, const unsigned char *k,
                       size_t n)
{
        if (sc->escaped) {
                sc->plain = false;
                return;
        }
        for (size_t i = base; i < sc->nkeys; i++)
                if (sc->keys[i].n == n && memcmp(sc->keys[i].k, k, n) == 0) {
                        sc->plain = false;
                        return;
                }
        if (sc->nkeys == sc->capkeys) {
                sc->capkeys = sc->capkeys ? sc->capkeys * 2 : 64;
                sc->keys = vl_xrealloc(sc->keys,
                                       sc->capkeys * sizeof(*sc->keys));
        }
        sc->keys[sc->nkeys++] = (struct skey){k, n};
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
        size_t base = sc->nkeys;

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
                        if (sc->deep && depth > 0)
                                nested_key(sc, base, k0 + 1,
                                           (size_t)(k1 - k0 - 1));
                        else if (sc->deep && sc->escaped)
                                sc->plain = false;
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
                        m->key = obj ? (const char *)k0 + 1 : NULL;
                        m->klen = obj ? (size_t)(k1 - k0 - 1) : 0;
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
                        sc->nkeys = base;
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

static enum vl_rc scan_object(struct scan *sc, struct vl_jobj *o,
                              struct vl_err *err);

enum vl_rc vl_jscan_object(const char *s, size_t n, struct vl_jobj *o,
                           struct vl_err *err)
{
        struct scan sc = {(const unsigned char *)s,
                          (const unsigned char *)s + n,
                          (const unsigned char *)s, NULL, false, false,
                          false, NULL, 0, 0};

        return scan_object(&sc, o, err);
}

enum vl_rc vl_jscan_object_deep(const char *s, size_t n, struct vl_jobj *o,
                                bool *plain, struct vl_err *err)
{
        struct scan sc = {(const unsigned char *)s,
                          (const unsigned char *)s + n,
                          (const unsigned char *)s, NULL, false, true,
                          true, NULL, 0, 0};
        enum vl_rc rc = scan_object(&sc, o, err);

        free(sc.keys);
        *plain = sc.plain;
        return rc;
}

/* Past the string at @p p (its opening quote) of a checked input. */
static const unsigned char *skip_string(const unsigned char *p, bool *esc)
{
        for (p++;; p++) {
                while (str_class[*p] != 1)
                        p++;
                if (*p == '"')
                        return p + 1;
                *esc = true;
                p++; /* the escaped byte: never the end of the string */
        }
}

/* Past the value at @p p of a checked input (that ends at @p end). */
static const unsigned char *skip_value(const unsigned char *p,
                                       const unsigned char *end, bool *esc)
{
        int depth = 0;
        bool e2;

        if (*p == '"')
                return skip_string(p, esc);
        if (*p != '{' && *p != '[') {
                while (p < end && *p != ',' && *p != '}' && *p != ']' &&
                       *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
                        p++;
                return p;
        }
        for (;;) {
                switch (*p) {
                case '"':
                        p = skip_string(p, &e2);
                        continue;
                case '{': case '[':
                        depth++;
                        break;
                case '}': case ']':
                        if (--depth == 0)
                                return p + 1;
                        break;
                default:
                        break;
                }
                p++;
        }
}

size_t vl_jscan_items(const char *val, size_t vlen, struct vl_jobj *o)
{
        const unsigned char *p = (const unsigned char *)val,
                            *end = p + vlen;
        struct scan sc = {p + 1, end, p, NULL, false, false, false, NULL, 0,
                          0};
        bool obj;

        o->n = 0;
        if (vlen < 2 || (*p != '{' && *p != '['))
                return 0;
        obj = *p == '{';
        skip_ws(&sc);
        while (sc.p < end && *sc.p != '}' && *sc.p != ']') {
                const unsigned char *k0 = sc.p, *k1 = sc.p, *v0;
                struct vl_jmember *m;
                bool esc = false;

                if (obj) {
                        sc.p = skip_string(sc.p, &esc);
                        k1 = sc.p - 1;
                        skip_ws(&sc);
                        sc.p++; /* ':' */
                        skip_ws(&sc);
                }
                v0 = sc.p;
                esc = false;
                sc.p = skip_value(sc.p, end, &esc);
                if (o->n == o->cap) {
                        o->cap = o->cap ? o->cap * 2 : 32;
                        o->m = vl_xrealloc(o->m, o->cap * sizeof(*o->m));
                }
                m = &o->m[o->n++];
                m->key = obj ? (const char *)k0 + 1 : NULL;
                m->klen = obj ? (size_t)(k1 - k0 - 1) : 0;
                m->val = (const char *)v0;
                m->vlen = (size_t)(sc.p - v0);
                m->raw = (const char *)k0;
                m->rawlen = (size_t)(sc.p - k0);
                m->escaped = *v0 == '"' && esc;
                skip_ws(&sc);
                if (sc.p < end && *sc.p == ',') {
                        sc.p++;
                        skip_ws(&sc);
                }
        }
        return o->n;
}

static enum vl_rc scan_object(struct scan *scp, struct vl_jobj *o,
                              struct vl_err *err)
{
        struct scan sc = *scp;

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
                scp->keys = sc.keys;
                return vl_err_set(err, VL_REJECT, "%s at byte %zu", sc.why,
                                  (size_t)(sc.p - sc.start));
        }
        scp->keys = sc.keys;
        scp->plain = sc.plain;
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

static size_t put_utf8(char *u, uint32_t cp)
{
        if (cp < 0x80) {
                u[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                u[0] = (char)(0xc0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                u[0] = (char)(0xe0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/* The escape at @p q (a backslash of a checked string) decoded into @p u
 * (@p *n bytes). @returns the bytes it takes in the input. */
static size_t unescape(const unsigned char *q, char u[4], size_t *n)
{
        uint32_t cp;
        size_t adv = 6;

        *n = 1;
        switch (q[1]) {
        case 'b': u[0] = '\b'; return 2;
        case 'f': u[0] = '\f'; return 2;
        case 'n': u[0] = '\n'; return 2;
        case 'r': u[0] = '\r'; return 2;
        case 't': u[0] = '\t'; return 2;
        case 'u':
                cp = (uint32_t)hex4(q + 2);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) +
                             ((uint32_t)hex4(q + 8) - 0xdc00);
                        adv = 12;
                }
                *n = put_utf8(u, cp);
                return adv;
        default: /* '"', '\\', '/' */
                u[0] = (char)q[1];
                return 2;
        }
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
                char u[4];
                size_t n;

                while (q < end && *q != '\\')
                        q++;
                vl_buf_append(scratch, p, (size_t)(q - p), NULL);
                if (q >= end)
                        break;
                p = q + unescape(q, u, &n);
                vl_buf_append(scratch, u, n, NULL);
        }
        if (!scratch->data)
                vl_buf_append(scratch, "", 0, NULL);
        *len = scratch->len;
        return scratch->data;
}

char *vl_jstring_inplace(char *val, size_t vlen, size_t *len)
{
        unsigned char *end = (unsigned char *)val + vlen - 1,
                      *p = memchr(val + 1, '\\', vlen - 2), *w = p;

        if (!p) {
                *end = '\0';
                *len = vlen - 2;
                return val + 1;
        }
        while (p < end) {
                char u[4];
                size_t n;

                if (*p != '\\') {
                        *w++ = *p++;
                        continue;
                }
                p += unescape(p, u, &n);
                memcpy(w, u, n);
                w += n;
        }
        *w = '\0';
        *len = (size_t)(w - (unsigned char *)val - 1);
        return val + 1;
}

/* The escape of byte @p c inside a JSON string, as jansson writes it
 * (JSON_COMPACT, UTF-8 kept, '/' not escaped); @returns its length, 0 when
 * @p c stands as it is. */
static size_t escape(unsigned char c, char e[6])
{
        static const char hex[] = "0123456789ABCDEF";

        if (str_class[c] != 1 && str_class[c] != 2)
                return 0;
        e[0] = '\\';
        switch (c) {
        case '"': case '\\': e[1] = (char)c; return 2;
        case '\n': e[1] = 'n'; return 2;
        case '\r': e[1] = 'r'; return 2;
        case '\t': e[1] = 't'; return 2;
        case '\b': e[1] = 'b'; return 2;
        case '\f': e[1] = 'f'; return 2;
        default:
                memcpy(e + 1, "u00", 3);
                e[4] = hex[c >> 4];
                e[5] = hex[c & 15];
                return 6;
        }
}

size_t vl_json_quoted_len(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + n;
        size_t len = n + 2;
        char e[6];

        for (; p < end; p++)
                if (str_class[*p] == 1 || str_class[*p] == 2)
                        len += escape(*p, e) - 1;
        return len;
}

char *vl_json_put_quoted(char *d, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + n;

        *d++ = '"';
        while (p < end) {
                const unsigned char *q = p;
                size_t k;

                while (q < end && str_class[*q] != 1 && str_class[*q] != 2)
                        q++;
                memcpy(d, p, (size_t)(q - p));
                d += q - p;
                if (q >= end)
                        break;
                k = escape(*q, d);
                d += k;
                p = q + 1;
        }
        *d++ = '"';
        return d;
}

void vl_json_put_string(struct vl_buf *b, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + n;

        vl_buf_append(b, "\"", 1, NULL);
        while (p < end) {
                const unsigned char *q = p;
                char e[6];
                size_t k;

                while (q < end && str_class[*q] != 1 && str_class[*q] != 2)
                        q++;
                vl_buf_append(b, p, (size_t)(q - p), NULL);
                if (q >= end)
                        break;
                k = escape(*q, e);
                vl_buf_append(b, e, k, NULL);
                p = q + 1;
        }
        vl_buf_append(b, "\"", 1, NULL);
}
