/* Feed titles and summaries to plain UTF-8 text. Feeds carry escaped HTML
 * in RSS titles and descriptions and in Atom type="html" constructs; the
 * events carry plain text (the page itself goes whole in body_b64). What is
 * not feed-specific (collapsing, UTF-8 repair, character references) is
 * lib's vl_text. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/buf.h"
#include "veille/text.h"
#include "fetcher.h"

char *fetcher_text_clean(const char *s, size_t max)
{
        char *r = vl_text_collapse(s);
        size_t n = strlen(r);

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

static void put(struct vl_buf *b, const char *p, size_t n)
{
        vl_buf_append(b, p, n, NULL);
}

/* Tags are dropped by hand rather than through libxml2's HTML parser: feed
 * titles are not HTML documents, and "a<b" or "5 < 6" in a title is text
 * that an HTML parser would read as a tag. Entities go through libxml2's
 * table (vl_text_charref). */
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
                        char u[VL_TEXT_CHARREF_MAX];
                        size_t k = vl_text_charref(p, u);

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
