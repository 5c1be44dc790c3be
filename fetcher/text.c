/* Feed titles and summaries to plain UTF-8 text. Feeds carry escaped HTML
 * in RSS titles and descriptions and in Atom type="html" constructs; the
 * events carry plain text (the page itself goes whole in body_b64). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "fetcher.h"

#define REPLACEMENT 0xfffdu

/* HTML maps these C1 code points to windows-1252 (numeric references from
 * old feeds: &#150; is an en dash); 0 keeps the code point. */
static const unsigned short cp1252[32] = {
        0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
        0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
        0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
        0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

static size_t utf8_put(unsigned cp, char out[8])
{
        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                cp = REPLACEMENT;
        if (cp >= 0x80 && cp <= 0x9f && cp1252[cp - 0x80])
                cp = cp1252[cp - 0x80];
        if (cp < 0x80) {
                out[0] = (char)cp;
                out[1] = '\0';
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                out[2] = '\0';
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                out[3] = '\0';
                return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        out[4] = '\0';
        return 4;
}

/* Length of the valid UTF-8 sequence at @p s (NUL-terminated), 0 if none. */
static size_t utf8_seq(const unsigned char *s)
{
        unsigned c = s[0];

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
                        return 0; /* overlong, surrogate */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
                    (s[3] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
                        return 0;
                return 4;
        }
        return 0;
}

size_t fetcher_text_entity(const char *s, char out[8])
{
        const char *p = s + 1;
        unsigned long cp = 0;
        char name[33];
        size_t n = 0;

        if (s[0] != '&')
                return 0;
        if (*p == '#') {
                int hex = p[1] == 'x' || p[1] == 'X';
                const char *d = p + 1 + hex;
                const char *q = d;

                for (; hex ? isxdigit((unsigned char)*q)
                           : isdigit((unsigned char)*q);
                     q++) {
                        int v = isdigit((unsigned char)*q)
                                        ? *q - '0'
                                        : tolower((unsigned char)*q) - 'a' + 10;

                        cp = cp * (hex ? 16 : 10) + (unsigned long)v;
                        if (cp > 0x10ffff)
                                cp = 0x110000; /* stays invalid */
                }
                if (q == d)
                        return 0;
                if (*q == ';')
                        q++;
                utf8_put((unsigned)cp, out);
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
        if (!strcmp(name, "apos")) {
                cp = '\'';
        } else {
                const htmlEntityDesc *ed =
                        htmlEntityLookup((const xmlChar *)name);

                if (!ed)
                        return 0;
                cp = ed->value;
        }
        utf8_put((unsigned)cp, out);
        return n + 2;
}

static bool is_ws(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
               c == '\v';
}

static void put(struct vl_buf *b, const char *p, size_t n)
{
        vl_buf_append(b, p, n, NULL);
}

char *fetcher_text_clean(const char *s, size_t max)
{
        const unsigned char *p = (const unsigned char *)(s ? s : "");
        struct vl_buf b;
        bool space = false;
        char *r;
        size_t n;

        vl_buf_init(&b, 0);
        while (*p) {
                size_t k = utf8_seq(p);

                if (is_ws(*p) || (k == 2 && p[0] == 0xc2 && p[1] == 0xa0)) {
                        space = b.len > 0;
                        p += k ? k : 1;
                        continue;
                }
                if (space)
                        put(&b, " ", 1);
                space = false;
                if (k == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
                        /* a C1 control: text from windows-1252 mislabelled
                         * as latin-1 (or &#150;); never text of its own */
                        char u[8];
                        unsigned cp = cp1252[p[1] - 0x80];

                        if (cp)
                                put(&b, u, utf8_put(cp, u));
                        p += 2;
                        continue;
                }
                if (k == 0 || (*p < 0x20)) {
                        if (k == 0) {
                                char rep[8];

                                put(&b, rep, utf8_put(REPLACEMENT, rep));
                        }
                        p += k ? k : 1; /* control characters dropped */
                        continue;
                }
                put(&b, (const char *)p, k);
                p += k;
        }
        r = vl_buf_take(&b, &n);
        if (!r)
                return vl_xstrdup("");
        if (max && n > max) {
                n = max;
                while (n > 0 && ((unsigned char)r[n] & 0xc0) == 0x80)
                        n--;
                while (n > 0 && r[n - 1] == ' ')
                        n--;
                r[n] = '\0';
        }
        return r;
}

char *fetcher_text_utf8(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        struct vl_buf b;
        char *r;

        if (!s)
                return NULL;
        vl_buf_init(&b, 0);
        while (*p) {
                size_t k = utf8_seq(p);

                if (k) {
                        put(&b, (const char *)p, k);
                        p += k;
                } else {
                        char rep[8];

                        put(&b, rep, utf8_put(REPLACEMENT, rep));
                        p++;
                }
        }
        r = vl_buf_take(&b, NULL);
        return r ? r : vl_xstrdup("");
}

static const char *const block_tags[] = {
        "address", "article", "aside", "blockquote", "br", "dd", "div",
        "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "ul", NULL,
};

static bool is_block(const char *name)
{
        int i;

        for (i = 0; block_tags[i]; i++)
                if (!strcmp(block_tags[i], name))
                        return true;
        return false;
}

/* End of the tag that starts at @p p ('<'), quotes respected; NULL if the
 * tag is not closed. */
static const char *tag_end(const char *p)
{
        char q = 0;

        for (p++; *p; p++) {
                if (q) {
                        if (*p == q)
                                q = 0;
                } else if (*p == '"' || *p == '\'') {
                        q = *p;
                } else if (*p == '>') {
                        return p;
                }
        }
        return NULL;
}

/* Skip past "</name ...>" (case-insensitive); the end if there is none. */
static const char *skip_element(const char *p, const char *name)
{
        size_t n = strlen(name);

        for (; *p; p++) {
                if (p[0] == '<' && p[1] == '/' &&
                    !strncasecmp(p + 2, name, n)) {
                        const char *e = tag_end(p);

                        return e ? e + 1 : p + strlen(p);
                }
        }
        return p;
}

char *fetcher_text_from_html(const char *s, size_t max)
{
        const char *p = s ? s : "";
        struct vl_buf b;
        char *r;

        vl_buf_init(&b, 0);
        while (*p) {
                if (*p == '&') {
                        char u[8];
                        size_t k = fetcher_text_entity(p, u);

                        if (k) {
                                put(&b, u, strlen(u));
                                p += k;
                                continue;
                        }
                } else if (*p == '<' && !strncmp(p, "<!--", 4)) {
                        const char *e = strstr(p + 4, "-->");

                        p = e ? e + 3 : p + strlen(p);
                        continue;
                } else if (*p == '<' && (isalpha((unsigned char)p[1]) ||
                                         p[1] == '/' || p[1] == '!' ||
                                         p[1] == '?')) {
                        const char *e = tag_end(p);
                        const char *q = p + 1 + (p[1] == '/');
                        char name[16];
                        size_t n = 0;

                        if (e) {
                                while (n < sizeof(name) - 1 &&
                                       isalnum((unsigned char)q[n])) {
                                        name[n] = (char)tolower(
                                                (unsigned char)q[n]);
                                        n++;
                                }
                                name[n] = '\0';
                                if (p[1] != '/' && (!strcmp(name, "script") ||
                                                    !strcmp(name, "style"))) {
                                        p = skip_element(e + 1, name);
                                        put(&b, " ", 1);
                                        continue;
                                }
                                if (is_block(name))
                                        put(&b, " ", 1);
                                p = e + 1;
                                continue;
                        }
                }
                put(&b, p, 1);
                p++;
        }
        r = fetcher_text_clean(b.data, max);
        vl_buf_release(&b);
        return r;
}
