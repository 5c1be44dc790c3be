/* libxml2's HTML parser and the small DOM helpers the other modules share.
 * Walks are iterative: libxml2 caps nesting at 256 levels, but nothing here
 * relies on it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <libxml/parserInternals.h>
#include "parser.h"

/* No network, no entity loading, errors recovered and never printed; the
 * body is UTF-8 already, so the document's own charset claims are ignored.
 * HTML_PARSE_HUGE is left out on purpose: libxml2 keeps its depth limit. */
#define PARSER_HTML_OPTS                                                       \
        (HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |        \
         HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT)

#define SNIFF_BYTES 1024

struct magic {
        size_t off;
        const char *sig;
        size_t len;
        const char *what;
};

static const struct magic magics[] = {
        { 0, "%PDF-", 5, "pdf document" },
        { 0, "\x89PNG", 4, "png image" },
        { 0, "GIF8", 4, "gif image" },
        { 0, "\xff\xd8\xff", 3, "jpeg image" },
        { 0, "RIFF", 4, "riff media" },
        { 8, "WEBP", 4, "webp image" },
        { 4, "ftyp", 4, "mp4 media" },
        { 0, "OggS", 4, "ogg media" },
        { 0, "ID3", 3, "mp3 audio" },
        { 0, "fLaC", 4, "flac audio" },
        { 0, "PK\x03\x04", 4, "zip archive" },
        { 0, "\x1f\x8b", 2, "gzip data" },
        { 0, "BZh", 3, "bzip2 data" },
        { 0, "\xfd" "7zXZ", 5, "xz data" },
        { 0, "\x28\xb5\x2f\xfd", 4, "zstd data" },
        { 0, "7z\xbc\xaf", 4, "7z archive" },
        { 0, "Rar!", 4, "rar archive" },
        { 0, "\x7f" "ELF", 4, "executable" },
        { 0, "wOFF", 4, "font" },
        { 0, "wOF2", 4, "font" },
        { 0, "\xd0\xcf\x11\xe0", 4, "office document" },
        { 0, "{\\rtf", 5, "rtf document" },
        { 0, NULL, 0, NULL },
};

static const char *const feed_roots[] = {
        "rss", "feed", "rdf:rdf", "urlset", "sitemapindex", NULL,
};

enum vl_rc parser_html_sniff(const unsigned char *p, size_t n,
                             struct vl_err *err)
{
        size_t m = n < SNIFF_BYTES ? n : SNIFF_BYTES, nul = 0, odd_nul = 0;
        size_t ctl = 0, i;
        bool utf16;

        for (const struct magic *g = magics; g->sig; g++)
                if (n >= g->off + g->len &&
                    memcmp(p + g->off, g->sig, g->len) == 0)
                        return vl_err_set(err, VL_REJECT, "not html: %s",
                                          g->what);
        utf16 = n >= 2 && (memcmp(p, "\xff\xfe", 2) == 0 ||
                           memcmp(p, "\xfe\xff", 2) == 0);
        for (i = 0; i < m; i++) {
                if (p[i] == 0) {
                        nul++;
                        odd_nul += i & 1;
                } else if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
                           p[i] != '\r' && p[i] != '\f' && p[i] != 0x1b) {
                        ctl++;
                }
        }
        /* UTF-16 text without a BOM has a NUL in every other byte */
        if (nul && !utf16 && !(nul * 10 >= m * 4 &&
                               (odd_nul * 10 >= nul * 9 ||
                                odd_nul * 10 <= nul)))
                return vl_err_set(err, VL_REJECT,
                                  "not html: binary content (%zu NUL bytes)",
                                  nul);
        if (ctl * 100 > m * 2)
                return vl_err_set(err, VL_REJECT,
                                  "not html: binary content (%zu control "
                                  "bytes)", ctl);
        if (utf16 || nul)
                return VL_OK;
        /* the first element: a feed or sitemap is not a page */
        for (i = 0; i < m;) {
                const unsigned char *lt = memchr(p + i, '<', m - i);
                size_t l = 0;

                if (!lt)
                        break;
                i = (size_t)(lt - p) + 1;
                if (i < m && (p[i] == '?' || p[i] == '!'))
                        continue;
                while (i + l < m && p[i + l] != ' ' && p[i + l] != '>' &&
                       p[i + l] != '\n' && p[i + l] != '\t' &&
                       p[i + l] != '\r' && p[i + l] != '/')
                        l++;
                for (const char *const *f = feed_roots; *f; f++)
                        if (strlen(*f) == l &&
                            strncasecmp((const char *)p + i, *f, l) == 0)
                                return vl_err_set(err, VL_REJECT,
                                                  "not html: a '%s' feed "
                                                  "document", *f);
                break;
        }
        for (i = 0; i < m && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
                              p[i] == '\t' || p[i] == 0xef || p[i] == 0xbb ||
                              p[i] == 0xbf); i++)
                ;
        if (i < m && (p[i] == '{' || p[i] == '[') && !memchr(p, '<', m))
                return vl_err_set(err, VL_REJECT, "not html: json document");
        return VL_OK;
}

/* Broken markup ("<html xmogo.jpg" ...>") can leave libxml2 with several
 * top-level elements, the first one empty: move everything under the
 * first, so that the rest of the parser sees one tree. */
static void merge_roots(htmlDocPtr doc)
{
        xmlNode *root = xmlDocGetRootElement(doc), *sib, *next;

        for (sib = root ? root->next : NULL; sib; sib = next) {
                xmlNode *c, *cn;

                next = sib->next;
                if (sib->type != XML_ELEMENT_NODE)
                        continue;
                for (c = sib->children; c; c = cn) {
                        cn = c->next;
                        xmlUnlinkNode(c);
                        if (!xmlAddChild(root, c))
                                xmlFreeNode(c);
                }
                xmlUnlinkNode(sib);
                xmlFreeNode(sib);
        }
}

/* parser_html_parse(); @p own, when not NULL, holds @p html (malloc'd),
 * freed once libxml2 has its copy. */
static htmlDocPtr parse(const char *html, size_t len, char **own,
                        const char *url, struct vl_err *err)
{
        htmlParserCtxtPtr ctxt = NULL;
        htmlDocPtr doc = NULL;
        xmlParserInputBufferPtr buf;
        xmlParserInputPtr in;

        if (len > INT_MAX) {
                vl_err_set(err, VL_REJECT, "oversized page (%zu bytes)", len);
                goto out;
        }
        if (!memchr(html, '<', len)) {
                vl_err_set(err, VL_REJECT, "not html: no markup");
                goto out;
        }
        ctxt = htmlNewParserCtxt();
        if (!ctxt) {
                vl_err_set(err, VL_FATAL, "cannot allocate html parser");
                goto out;
        }
        /* htmlCtxtReadMemory() told "UTF-8" would convert libxml2's copy
         * of the page into a third one (UTF-8 to UTF-8): 20 MB more for a
         * 10 MB page. Our @p html is valid UTF-8 without BOM: the context
         * is told so and reads it as it is (HTML_PARSE_IGNORE_ENC keeps the
         * page's own charset claims out). */
        buf = xmlParserInputBufferCreateMem(html, (int)len,
                                            XML_CHAR_ENCODING_NONE);
        in = buf ? xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE) :
                   NULL;
        if (!in) {
                if (buf)
                        xmlFreeParserInputBuffer(buf);
                vl_err_set(err, VL_FATAL, "cannot allocate html input");
                goto out;
        }
        if (url)
                in->filename = (char *)xmlStrdup((const xmlChar *)url);
        inputPush(ctxt, in);
        if (own) {
                /* libxml2 parses its copy: ours would only add to the peak
                 * of a large page */
                free(*own);
                *own = NULL;
        }
        htmlCtxtUseOptions(ctxt, PARSER_HTML_OPTS);
        ctxt->charset = XML_CHAR_ENCODING_UTF8;
        htmlParseDocument(ctxt);
        doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
        if (!doc || !xmlDocGetRootElement(doc)) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);

                vl_err_set(err, VL_REJECT, "malformed html: %s",
                           e && e->message ? e->message : "no document");
                xmlFreeDoc(doc);
                doc = NULL;
        }
        if (doc)
                merge_roots(doc);
out:
        if (ctxt)
                htmlFreeParserCtxt(ctxt);
        return doc;
}

htmlDocPtr parser_html_parse(const char *html, size_t len, const char *url,
                             struct vl_err *err)
{
        return parse(html, len, NULL, url, err);
}

htmlDocPtr parser_html_parse_take(char **html, size_t len, const char *url,
                                  struct vl_err *err)
{
        return parse(*html, len, html, url, err);
}

const char *parser_html_name(const xmlNode *n)
{
        if (!n || n->type != XML_ELEMENT_NODE || !n->name)
                return "";
        return (const char *)n->name;
}

bool parser_html_is(const xmlNode *n, const char *tag)
{
        return n && n->type == XML_ELEMENT_NODE && n->name &&
               strcmp((const char *)n->name, tag) == 0;
}

const char *parser_html_attr(const xmlNode *n, const char *name)
{
        if (!n || n->type != XML_ELEMENT_NODE)
                return NULL;
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                if (!a->name ||
                    strcasecmp((const char *)a->name, name) != 0)
                        continue;
                if (!a->children)
                        return "";
                if (a->children->type == XML_TEXT_NODE && !a->children->next)
                        return a->children->content ?
                               (const char *)a->children->content : "";
                return NULL;
        }
        return NULL;
}

bool parser_html_has_token(const char *list, const char *tok)
{
        size_t tl = strlen(tok);

        if (!list)
                return false;
        for (const char *s = list; *s;) {
                size_t l;

                while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
                       *s == '\f')
                        s++;
                l = strcspn(s, " \t\n\r\f");
                if (l == tl && strncasecmp(s, tok, l) == 0)
                        return true;
                s += l;
        }
        return false;
}

xmlNode *parser_html_next(xmlNode *n, const xmlNode *root,
                          bool skip_children)
{
        if (!skip_children && n->type == XML_ELEMENT_NODE && n->children)
                return n->children;
        while (n && n != root) {
                if (n->next)
                        return n->next;
                n = n->parent;
        }
        return NULL;
}

/* sorted for bsearch */
static const char *const blocks[] = {
        "address", "article", "aside", "blockquote", "body", "caption",
        "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend",
        "li", "main", "menu", "nav", "noscript", "ol", "option", "output",
        "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul",
};

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool parser_html_is_block(const xmlNode *n)
{
        const char *name = parser_html_name(n);

        if (!*name)
                return false;
        return bsearch(&name, blocks, sizeof(blocks) / sizeof(blocks[0]),
                       sizeof(blocks[0]), cmp_name) != NULL;
}

static bool skipped(const xmlNode *n)
{
        const char *name = parser_html_name(n);

        return strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
               strcmp(name, "template") == 0 || strcmp(name, "svg") == 0 ||
               strcmp(name, "math") == 0;
}

char *parser_html_text(xmlNode *n)
{
        return parser_html_text_filter(n, NULL);
}

char *parser_html_text_filter(xmlNode *n, bool (*skip)(const xmlNode *))
{
        struct vl_text tb;
        xmlNode *c;

        vl_text_init(&tb);
        if (!n)
                return vl_text_take(&tb);
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
                if (n->content)
                        vl_text_add(&tb, (const char *)n->content,
                                    strlen((const char *)n->content));
                return vl_text_take(&tb);
        }
        c = n->children;
        while (c) {
                bool descend = false;

                if (c->type == XML_TEXT_NODE ||
                    c->type == XML_CDATA_SECTION_NODE) {
                        if (c->content)
                                vl_text_add(&tb, (const char *)c->content,
                                            strlen((const char *)c->content));
                } else if (c->type == XML_ELEMENT_NODE && !skipped(c) &&
                           !(skip && skip(c))) {
                        if (parser_html_is_block(c) || parser_html_is(c, "br"))
                                vl_text_space(&tb);
                        descend = c->children != NULL;
                }
                if (descend) {
                        c = c->children;
                        continue;
                }
                /* climb: leaving a block element is a word boundary too */
                while (c && c != n) {
                        if (parser_html_is_block(c))
                                vl_text_space(&tb);
                        if (c->next) {
                                c = c->next;
                                break;
                        }
                        c = c->parent;
                }
                if (c == n)
                        break;
        }
        return vl_text_take(&tb);
}
