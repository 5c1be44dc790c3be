/* Text helpers: UTF-8 validation and repair, white-space collapsing, folding
 * for comparisons, word counts, character references. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <libxml/HTMLparser.h>
#include "veille/mem.h"
#include "parser.h"

/* ------------------------------------------------------------ string list */

void parser_strv_add(struct parser_strv *sv, const char *s)
{
        if (!s)
                return;
        if (sv->n == sv->cap) {
                sv->cap = sv->cap ? sv->cap * 2 : 4;
                sv->v = vl_xrealloc(sv->v, (size_t)sv->cap * sizeof(*sv->v));
        }
        sv->v[sv->n++] = vl_xstrdup(s);
}

int parser_strv_find(const struct parser_strv *sv, const char *s)
{
        char *f = parser_text_fold(s, true);
        int found = -1;

        for (int i = 0; i < sv->n && found < 0; i++) {
                char *g = parser_text_fold(sv->v[i], true);

                if (strcmp(f, g) == 0)
                        found = i;
                free(g);
        }
        free(f);
        return found;
}

bool parser_strv_add_unique(struct parser_strv *sv, const char *s)
{
        if (!s || !*s || parser_strv_find(sv, s) >= 0)
                return false;
        parser_strv_add(sv, s);
        return true;
}

void parser_strv_clear(struct parser_strv *sv)
{
        for (int i = 0; i < sv->n; i++)
                free(sv->v[i]);
        sv->n = 0;
}

void parser_strv_release(struct parser_strv *sv)
{
        parser_strv_clear(sv);
        free(sv->v);
        sv->v = NULL;
        sv->cap = 0;
}

/* ------------------------------------------------------------------ UTF-8 */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t u8_seq(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xe0 && s[1] < 0xa0)
                        return 0; /* overlong */
                if (c == 0xed && s[1] >= 0xa0)
                        return 0; /* surrogate */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (n < 4 || (s[1] & 0xc0) != 0x80 ||
                    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xf0 && s[1] < 0x90)
                        return 0;
                if (c == 0xf4 && s[1] >= 0x90)
                        return 0;
                return 4;
        }
        return 0;
}

/* Decode the code point of a valid sequence of length len. */
static int32_t u8_cp(const unsigned char *s, size_t len)
{
        switch (len) {
        case 1:
                return s[0];
        case 2:
                return ((s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        case 3:
                return ((s[0] & 0x0f) << 12) | ((s[1] & 0x3f) << 6) |
                       (s[2] & 0x3f);
        default:
                return ((s[0] & 0x07) << 18) | ((s[1] & 0x3f) << 12) |
                       ((s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        }
}

bool parser_text_utf8_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;

        while (i < n) {
                size_t l = u8_seq(p + i, n - i);

                if (!l)
                        return false;
                i += l;
        }
        return true;
}

void parser_text_utf8_scan(const unsigned char *s, size_t n, size_t *multi,
                           size_t *bad)
{
        size_t i = 0, m = 0, b = 0;

        while (i < n) {
                size_t l = u8_seq(s + i, n - i);

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

char *parser_text_utf8_repair(const char *s, size_t n, size_t *outlen)
{
        const unsigned char *p = (const unsigned char *)s;
        char *out = vl_xmalloc(n * 3 + 1); /* one bad byte -> 3 bytes */
        size_t i = 0, o = 0;

        while (i < n) {
                size_t l = u8_seq(p + i, n - i);

                if (!l) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                        continue;
                }
                if (l == 1 && p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
                    p[i] != '\r' && p[i] != '\f') {
                        if (p[i])
                                out[o++] = ' ';
                        i++;
                        continue;
                }
                memcpy(out + o, p + i, l);
                o += l;
                i += l;
        }
        out[o] = '\0';
        if (outlen)
                *outlen = o;
        return out;
}

size_t parser_text_chars(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        n++;
        return n;
}

/* -------------------------------------------------------- collapsing text */

enum ws_class { WS_NONE, WS_SPACE, WS_DROP };

/* Classify the (valid) sequence at s of length l. */
static enum ws_class ws_class(const unsigned char *s, size_t l)
{
        int32_t cp;

        if (l == 1) {
                if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
                        return WS_SPACE;
                if (s[0] < 0x20 || s[0] == 0x7f)
                        return WS_DROP;
                return WS_NONE;
        }
        cp = u8_cp(s, l);
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
                return WS_DROP; /* C1 controls */
        return WS_NONE;
}

void parser_tb_init(struct parser_tb *tb)
{
        vl_buf_init(&tb->b, 0);
        tb->space = false;
}

void parser_tb_add(struct parser_tb *tb, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, run = 0; /* start of a run of plain characters */

        while (i < n) {
                size_t l = u8_seq(p + i, n - i);
                enum ws_class c;

                if (!l) {
                        /* never expected (input is repaired), but stay safe */
                        if (i > run)
                                vl_buf_append(&tb->b, p + run, i - run, NULL);
                        if (tb->space && tb->b.len)
                                vl_buf_append(&tb->b, " ", 1, NULL);
                        tb->space = false;
                        vl_buf_append(&tb->b, "\xef\xbf\xbd", 3, NULL);
                        i++;
                        run = i;
                        continue;
                }
                c = ws_class(p + i, l);
                if (c == WS_NONE) {
                        if (tb->space && i == run) {
                                if (tb->b.len)
                                        vl_buf_append(&tb->b, " ", 1, NULL);
                                tb->space = false;
                        }
                        i += l;
                        continue;
                }
                if (i > run)
                        vl_buf_append(&tb->b, p + run, i - run, NULL);
                if (c == WS_SPACE)
                        tb->space = true;
                i += l;
                run = i;
        }
        if (i > run)
                vl_buf_append(&tb->b, p + run, i - run, NULL);
}

void parser_tb_space(struct parser_tb *tb)
{
        tb->space = true;
}

void parser_tb_raw(struct parser_tb *tb, const char *s)
{
        vl_buf_append(&tb->b, s, strlen(s), NULL);
        tb->space = false;
}

void parser_tb_reset(struct parser_tb *tb)
{
        vl_buf_reset(&tb->b);
        tb->space = false;
}

char *parser_tb_take(struct parser_tb *tb)
{
        char *s = vl_buf_take(&tb->b, NULL);

        tb->space = false;
        return s ? s : vl_xstrdup("");
}

void parser_tb_release(struct parser_tb *tb)
{
        vl_buf_release(&tb->b);
}

char *parser_text_collapse(const char *s)
{
        struct parser_tb tb;

        parser_tb_init(&tb);
        if (s)
                parser_tb_add(&tb, s, strlen(s));
        return parser_tb_take(&tb);
}

/* ---------------------------------------------------------------- folding */

static bool is_alnum_cp(int32_t cp)
{
        utf8proc_category_t c = utf8proc_category(cp);

        return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
               (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

char *parser_text_fold(const char *s, bool alnum_only)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(s ? s : "");
        size_t n = strlen((const char *)p);
        struct vl_buf b;
        bool space = false;
        utf8proc_int32_t cp, dec[8];
        utf8proc_uint8_t enc[4];

        vl_buf_init(&b, 0);
        while (n) {
                utf8proc_ssize_t l = utf8proc_iterate(p, (utf8proc_ssize_t)n,
                                                      &cp);
                utf8proc_ssize_t k;
                int last = 0;

                if (l <= 0) {
                        p++;
                        n--;
                        continue;
                }
                p += l;
                n -= (size_t)l;
                k = utf8proc_decompose_char(cp, dec, 8, (utf8proc_option_t)(
                        UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                        UTF8PROC_STRIPMARK | UTF8PROC_COMPAT), &last);
                if (k < 0 || k > 8) {
                        dec[0] = cp;
                        k = 1;
                }
                for (utf8proc_ssize_t j = 0; j < k; j++) {
                        utf8proc_ssize_t m;

                        if (!is_alnum_cp(dec[j])) {
                                utf8proc_category_t c =
                                        utf8proc_category(dec[j]);

                                if (alnum_only)
                                        continue;
                                if (c == UTF8PROC_CATEGORY_ZS ||
                                    dec[j] == ' ' ||
                                    (dec[j] >= '\t' && dec[j] <= '\r')) {
                                        space = true;
                                        continue;
                                }
                                if (c == UTF8PROC_CATEGORY_MN ||
                                    c == UTF8PROC_CATEGORY_CC ||
                                    c == UTF8PROC_CATEGORY_CF)
                                        continue;
                        }
                        if (space && b.len)
                                vl_buf_append(&b, " ", 1, NULL);
                        space = false;
                        m = utf8proc_encode_char(dec[j], enc);
                        vl_buf_append(&b, enc, (size_t)m, NULL);
                }
        }
        if (!b.data)
                return vl_xstrdup("");
        return vl_buf_take(&b, NULL);
}

bool parser_text_starts_word(const char *folded, const char *prefix)
{
        size_t l = strlen(prefix);
        unsigned char c;

        if (strncmp(folded, prefix, l) != 0)
                return false;
        c = (unsigned char)folded[l];
        return !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c < 0x80;
}

/* ------------------------------------------------------------------ words */

int parser_text_word_count(const char *s)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        size_t n = strlen(s);
        int words = 0;
        bool in_word = false, has_alnum = false;
        utf8proc_int32_t cp;

        while (n) {
                utf8proc_ssize_t l = utf8proc_iterate(p, (utf8proc_ssize_t)n,
                                                      &cp);
                bool sp;

                if (l <= 0) {
                        l = 1;
                        cp = 0xfffd;
                }
                p += l;
                n -= (size_t)l;
                sp = cp == ' ' || (cp >= '\t' && cp <= '\r') ||
                     utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
                if (sp) {
                        if (in_word && has_alnum)
                                words++;
                        in_word = has_alnum = false;
                        continue;
                }
                in_word = true;
                if (is_alnum_cp(cp))
                        has_alnum = true;
        }
        if (in_word && has_alnum)
                words++;
        return words;
}

/* ------------------------------------------------- character references */

static size_t put_cp(char *out, long cp)
{
        if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                cp = 0xfffd;
        return (size_t)utf8proc_encode_char((utf8proc_int32_t)cp,
                                            (utf8proc_uint8_t *)out);
}

char *parser_text_unescape(const char *s)
{
        size_t n = strlen(s);
        char *out = vl_xmalloc(n + 1); /* a reference is never shorter */
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                const char *semi;
                size_t rl;

                if (s[i] != '&') {
                        out[o++] = s[i++];
                        continue;
                }
                semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
                rl = semi ? (size_t)(semi - (s + i)) : 0;
                if (rl >= 3 && s[i + 1] == '#') {
                        char *end = NULL;
                        long cp;

                        if (s[i + 2] == 'x' || s[i + 2] == 'X')
                                cp = strtol(s + i + 3, &end, 16);
                        else
                                cp = strtol(s + i + 2, &end, 10);
                        if (end == semi) {
                                o += put_cp(out + o, cp);
                                i += rl + 1;
                                continue;
                        }
                } else if (rl >= 2 && rl <= 10) {
                        char name[12];
                        const htmlEntityDesc *e;

                        memcpy(name, s + i + 1, rl - 1);
                        name[rl - 1] = '\0';
                        e = htmlEntityLookup((const xmlChar *)name);
                        if (e) {
                                o += put_cp(out + o, (long)e->value);
                                i += rl + 1;
                                continue;
                        }
                }
                out[o++] = s[i++];
        }
        out[o] = '\0';
        return out;
}

/* ------------------------------------------------------------------- json */

json_t *parser_json_str(const char *s)
{
        json_t *j;
        char *r;

        if (!s)
                return json_null();
        j = json_string(s);
        if (j)
                return j;
        r = parser_text_utf8_repair(s, strlen(s), NULL);
        j = json_string(r);
        free(r);
        return j ? j : json_null();
}
