/* Text shared by the daemons: UTF-8 validity and repair, white-space
 * collapsing, folding for comparisons, HTML character references, JSON
 * strings. utf8proc knows Unicode, libxml2 the HTML entity names; what is
 * here is only the policy the daemons agree on (docs/internals/TEXT.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <libxml/HTMLparser.h>
#include "veille/mem.h"
#include "veille/text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/* ------------------------------------------------------------------ UTF-8 */

size_t vl_utf8_seq(const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;
        unsigned char c = u[0];

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return n >= 2 && (u[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (n < 3 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xe0 && u[1] < 0xa0)
                        return 0; /* overlong */
                if (c == 0xed && u[1] >= 0xa0)
                        return 0; /* surrogate */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (n < 4 || (u[1] & 0xc0) != 0x80 ||
                    (u[2] & 0xc0) != 0x80 || (u[3] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xf0 && u[1] < 0x90)
                        return 0; /* overlong */
                if (c == 0xf4 && u[1] >= 0x90)
                        return 0; /* past U+10FFFF */
                return 4;
        }
        return 0;
}

/* The code point of a valid sequence of length @p len. */
static int32_t seq_cp(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *)s;

        switch (len) {
        case 1:
                return u[0];
        case 2:
                return ((u[0] & 0x1f) << 6) | (u[1] & 0x3f);
        case 3:
                return ((u[0] & 0x0f) << 12) | ((u[1] & 0x3f) << 6) |
                       (u[2] & 0x3f);
        default:
                return ((u[0] & 0x07) << 18) | ((u[1] & 0x3f) << 12) |
                       ((u[2] & 0x3f) << 6) | (u[3] & 0x3f);
        }
}

bool vl_utf8_valid(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n) {
                size_t l = vl_utf8_seq(s + i, n - i);

                if (!l)
                        return false;
                i += l;
        }
        return true;
}

void vl_utf8_scan(const char *s, size_t n, size_t *multi, size_t *bad)
{
        size_t i = 0, m = 0, b = 0;

        while (i < n) {
                size_t l = vl_utf8_seq(s + i, n - i);

                if (!l) {
                        b++;
                        i++;
                        continue;
                }
                if (l > 1)
                        m++;
                i += l;
        }
        if (multi)
                *multi = m;
        if (bad)
                *bad = b;
}

char *vl_utf8_repair(const char *s, size_t n, size_t *outlen)
{
        char *out = vl_xmalloc(n * 3 + 1); /* one bad byte -> 3 bytes */
        size_t i = 0, o = 0;

        while (i < n) {
                size_t l = vl_utf8_seq(s + i, n - i);
                unsigned char c = (unsigned char)s[i];

                if (!l) {
                        memcpy(out + o, REPLACEMENT, 3);
                        o += 3;
                        i++;
                        continue;
                }
                if (l == 1 && c < 0x20 && c != '\t' && c != '\n' &&
                    c != '\r' && c != '\f') {
                        if (c)
                                out[o++] = ' ';
                        i++;
                        continue;
                }
                memcpy(out + o, s + i, l);
                o += l;
                i += l;
        }
        out[o] = '\0';
        if (outlen)
                *outlen = o;
        return out;
}

/* windows-1252 0x80-0x9f; the five holes map to the C1 code points, as in
 * WHATWG's index. */
static const uint16_t cp1252_hi[32] = {
        0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
        0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
        0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
        0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

uint32_t vl_cp1252(unsigned char c)
{
        return c >= 0x80 && c <= 0x9f ? cp1252_hi[c - 0x80] : c;
}

/* ------------------------------------------------- white-space collapsing */

enum ws_class { WS_NONE, WS_SPACE, WS_DROP, WS_C1 };

/* Classify the valid sequence at @p s of length @p l. */
static enum ws_class ws_class(const char *s, size_t l)
{
        int32_t cp;

        if (l == 1) {
                if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
                        return WS_SPACE;
                if ((unsigned char)s[0] < 0x20 || s[0] == 0x7f)
                        return WS_DROP;
                return WS_NONE;
        }
        cp = seq_cp(s, l);
        switch (cp) {
        case 0x00a0: /* no-break space */
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202f: /* narrow no-break space (French typography) */
        case 0x205f:
        case 0x3000:
                return WS_SPACE;
        case 0x00ad: /* soft hyphen */
        case 0x200b: /* zero width space */
        case 0x200c:
        case 0x200d:
        case 0x2060:
        case 0xfeff:
        case 0xfffe:
                return WS_DROP;
        default:
                break;
        }
        if (cp >= 0x2000 && cp <= 0x200a)
                return WS_SPACE;
        if (cp >= 0x80 && cp <= 0x9f)
                return WS_C1;
        return WS_NONE;
}

void vl_text_init(struct vl_text *t)
{
        vl_buf_init(&t->b, 0);
        t->space = false;
}

/* Append one character that is not part of a run: the pending space first. */
static void put_char(struct vl_text *t, const char *u, size_t n)
{
        if (t->space && t->b.len)
                vl_buf_append(&t->b, " ", 1, NULL);
        t->space = false;
        vl_buf_append(&t->b, u, n, NULL);
}

void vl_text_add(struct vl_text *t, const char *s, size_t n)
{
        size_t i = 0, run = 0; /* start of a run of plain characters */

        while (i < n) {
                size_t l = vl_utf8_seq(s + i, n - i);
                enum ws_class c;

                if (!l) {
                        if (i > run)
                                vl_buf_append(&t->b, s + run, i - run, NULL);
                        put_char(t, REPLACEMENT, 3);
                        i++;
                        run = i;
                        continue;
                }
                c = ws_class(s + i, l);
                if (c == WS_NONE) {
                        if (t->space && i == run) {
                                if (t->b.len)
                                        vl_buf_append(&t->b, " ", 1, NULL);
                                t->space = false;
                        }
                        i += l;
                        continue;
                }
                if (i > run)
                        vl_buf_append(&t->b, s + run, i - run, NULL);
                if (c == WS_SPACE) {
                        t->space = true;
                } else if (c == WS_C1) {
                        uint32_t cp = vl_cp1252((unsigned char)s[i + 1]);
                        utf8proc_uint8_t u[4];

                        if (cp > 0x9f)
                                put_char(t, (const char *)u,
                                         (size_t)utf8proc_encode_char(
                                                 (utf8proc_int32_t)cp, u));
                }
                i += l;
                run = i;
        }
        if (i > run)
                vl_buf_append(&t->b, s + run, i - run, NULL);
}

void vl_text_space(struct vl_text *t)
{
        t->space = true;
}

void vl_text_raw(struct vl_text *t, const char *s)
{
        vl_buf_append(&t->b, s, strlen(s), NULL);
        t->space = false;
}

void vl_text_reset(struct vl_text *t)
{
        vl_buf_reset(&t->b);
        t->space = false;
}

char *vl_text_take(struct vl_text *t)
{
        char *s = vl_buf_take(&t->b, NULL);

        t->space = false;
        return s ? s : vl_xstrdup("");
}

void vl_text_release(struct vl_text *t)
{
        vl_buf_release(&t->b);
}

char *vl_text_collapse(const char *s)
{
        struct vl_text t;

        vl_text_init(&t);
        if (s)
                vl_text_add(&t, s, strlen(s));
        return vl_text_take(&t);
}

/* ---------------------------------------------------------------- folding */

#define FOLD_OPTS                                                              \
        ((utf8proc_option_t)(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |            \
                             UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |          \
                             UTF8PROC_IGNORE | UTF8PROC_LUMP))

/* Does UTF8PROC_LUMP leave @p cp and all it decomposes or case folds into
 * alone? It does for the letters, digits and marks without a compatibility
 * mapping, whose canonical decompositions and case folds hold only letters,
 * digits and marks. They are most of any text and all the enricher folds;
 * skipping LUMP's thirty comparisons for them saves it 15% of its
 * instructions on Cyrillic text. test_text.c checks every code point. */
static bool lump_free(int32_t cp)
{
        const utf8proc_property_t *pr = utf8proc_get_property(cp);

        if (pr->decomp_type)
                return false;
        switch (pr->category) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
                return true;
        default:
                return false;
        }
}

size_t vl_text_fold_cp(int32_t cp, int32_t out[VL_TEXT_FOLD_CP_MAX])
{
        utf8proc_option_t opts = FOLD_OPTS;
        utf8proc_ssize_t n;
        int last = 0;

        if (cp < 0x80) {
                out[0] = cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
                return 1;
        }
        switch (cp) { /* Latin letters Unicode does not decompose */
        case 0x0152: case 0x0153:
                out[0] = 'o';
                out[1] = 'e';
                return 2;
        case 0x00c6: case 0x00e6:
                out[0] = 'a';
                out[1] = 'e';
                return 2;
        case 0x00d8: case 0x00f8:
                out[0] = 'o';
                return 1;
        case 0x0141: case 0x0142:
                out[0] = 'l';
                return 1;
        case 0x0110: case 0x0111:
                out[0] = 'd';
                return 1;
        default:
                break;
        }
        if (lump_free(cp))
                opts = (utf8proc_option_t)(opts ^ UTF8PROC_LUMP);
        n = utf8proc_decompose_char(cp, out, VL_TEXT_FOLD_CP_MAX, opts, &last);
        if (n < 0 || n > VL_TEXT_FOLD_CP_MAX) { /* unassigned: keep as is */
                out[0] = cp;
                return 1;
        }
        return (size_t)n;
}

static bool is_alnum_cp(int32_t cp)
{
        utf8proc_category_t c = utf8proc_category(cp);

        return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
               (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* White space (true), or dropped: controls and format characters (*drop). */
static bool fold_space(int32_t cp, bool *drop)
{
        utf8proc_category_t c;

        *drop = false;
        if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85)
                return true;
        if (cp >= 0x21 && cp < 0x7f)
                return false;
        c = utf8proc_category(cp);
        if (c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
            c == UTF8PROC_CATEGORY_ZP)
                return true;
        *drop = c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF;
        return false;
}

char *vl_text_fold(const char *s, enum vl_fold_flags flags)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s ? s : "");
        size_t len = strlen((const char *)p);
        int32_t *v = NULL; /* the folded code points */
        size_t n = 0, cap = 0;
        bool space = false, drop;
        int32_t dec[VL_TEXT_FOLD_CP_MAX];
        utf8proc_ssize_t olen;

        while (len) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t l = utf8proc_iterate(
                        p, len > 4 ? 4 : (utf8proc_ssize_t)len, &cp);
                size_t k;

                if (l <= 0) { /* invalid byte */
                        p++;
                        len--;
                        continue;
                }
                p += l;
                len -= (size_t)l;
                if (fold_space(cp, &drop)) {
                        space = true;
                        continue;
                }
                if (drop)
                        continue;
                k = vl_text_fold_cp(cp, dec);
                if (n + k + 2 > cap) {
                        cap = cap ? cap * 2 : 64;
                        while (cap < n + k + 2)
                                cap *= 2;
                        v = vl_xrealloc(v, cap * sizeof(*v));
                }
                for (size_t j = 0; j < k; j++) {
                        if (flags & VL_FOLD_ALNUM) {
                                if (!is_alnum_cp(dec[j]))
                                        continue;
                        } else if (fold_space(dec[j], &drop)) {
                                space = true;
                                continue;
                        } else if (drop) {
                                continue;
                        }
                        if (space && n && !(flags & VL_FOLD_ALNUM))
                                v[n++] = ' ';
                        space = false;
                        v[n++] = dec[j];
                }
        }
        if (!n) {
                free(v);
                return vl_xstrdup("");
        }
        /* NFC again (Hangul syllables), then UTF-8 in place: 4 bytes a code
         * point at most, and the NUL fits in the spare slot */
        olen = utf8proc_reencode(v, (utf8proc_ssize_t)n,
                                 (utf8proc_option_t)(UTF8PROC_STABLE |
                                                     UTF8PROC_COMPOSE));
        if (olen < 0) { /* cannot happen: only assigned code points */
                free(v);
                return vl_xstrdup("");
        }
        return vl_xrealloc(v, (size_t)olen + 1);
}

/* ---------------------------------------------------- character references */

static void put_ref(uint32_t cp, char out[VL_TEXT_CHARREF_MAX])
{
        utf8proc_ssize_t n;

        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                cp = 0xfffd;
        if (cp >= 0x80 && cp <= 0x9f)
                cp = vl_cp1252((unsigned char)cp);
        n = utf8proc_encode_char((utf8proc_int32_t)cp,
                                 (utf8proc_uint8_t *)out);
        out[n] = '\0';
}

size_t vl_text_charref(const char *s, char out[VL_TEXT_CHARREF_MAX])
{
        const char *p = s + 1;
        const htmlEntityDesc *ed;
        char name[33];
        size_t n = 0;

        if (s[0] != '&')
                return 0;
        if (*p == '#') {
                bool hex = p[1] == 'x' || p[1] == 'X';
                const char *d = p + 1 + hex;
                const char *q = d;
                uint32_t cp = 0;

                for (; hex ? isxdigit((unsigned char)*q)
                           : isdigit((unsigned char)*q);
                     q++) {
                        int c = tolower((unsigned char)*q);
                        uint32_t dv = (uint32_t)(c <= '9' ? c - '0'
                                                          : c - 'a' + 10);

                        cp = cp * (hex ? 16u : 10u) + dv;
                        if (cp > 0x10ffff)
                                cp = 0x110000; /* stays invalid */
                }
                if (q == d)
                        return 0;
                if (*q == ';')
                        q++;
                put_ref(cp, out);
                return (size_t)(q - s);
        }
        if (!isalpha((unsigned char)*p))
                return 0;
        while (n < sizeof(name) - 1 && isalnum((unsigned char)p[n])) {
                name[n] = p[n];
                n++;
        }
        name[n] = '\0';
        if (p[n] != ';')
                return 0;
        ed = htmlEntityLookup((const xmlChar *)name);
        if (!ed)
                return 0;
        put_ref(ed->value, out);
        return n + 2;
}

/* ------------------------------------------------------------------- JSON */

json_t *vl_json_str(const char *s)
{
        json_t *j;
        char *r;

        if (!s)
                return json_null();
        j = json_string(s);
        if (j)
                return j;
        r = vl_utf8_repair(s, strlen(s), NULL); /* invalid UTF-8 */
        j = json_string(r);
        free(r);
        return j ? j : json_null();
}
