/* libxml2's HTML parser and the small DOM helpers the other modules share.
 * Walks are iterative: libxml2 caps nesting at 256 levels, but nothing here
 * relies on it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <malloc.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
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

/*
 * Pruning at parse time (parser_opts.no_prune turns it off). libxml2 builds
 * its tree through SAX callbacks; the ones below wrap its own (xmlSAX2*) and
 * leave out what no module of the parser ever reads, before it costs a node:
 *
 * - every attribute not in keep_attrs[] (an xmlAttr is a node, a text child
 *   and two strings: on pages of dense markup, data-*, srcset, onclick,
 *   width, aria-* are a large part of the tree);
 * - comments;
 * - white space that separates nothing (idle_space());
 * - the text of <style>, and of <script> unless its type says JSON (the
 *   JSON-LD that jsonld.c reads): the extraction skips that text, and on
 *   real pages it is often most of the bytes.
 *
 * The output is the same with and without: veille-parser-eval --no-prune
 * compares (bench/parser/README.md, Memory).
 *
 * THE ONE LIST of the attributes the parser reads. A module that starts
 * reading another attribute (parser_html_attr(n, "...")), or an attribute
 * on other elements than listed, adds it here, or it will never see it.
 */
struct keep_attr {
        const char *name;
        const char *const *on; /* only on these elements; NULL: on any */
};

static const char *const on_link_base[] = { "link", "base", NULL };
static const char *const on_meta[] = { "meta", NULL };
static const char *const on_script[] = { "script", NULL };

static const struct keep_attr keep_attrs[] = {
        { "aria-hidden", NULL },  /* extract.c: hidden chrome */
        { "class", NULL },        /* extract.c, meta.c: class words */
        { "content", NULL },      /* meta.c: <meta>, itemprop dates */
        { "datetime", NULL },     /* meta.c: <time datetime> */
        { "hidden", NULL },       /* extract.c */
        { "href", on_link_base }, /* meta.c: canonical, image_src, base */
        { "http-equiv", on_meta },
        { "id", NULL },           /* extract.c, meta.c: id words */
        { "itemprop", NULL },     /* meta.c: microdata */
        { "lang", NULL },         /* meta.c: <html lang> */
        { "name", on_meta },      /* meta.c */
        { "property", on_meta },  /* meta.c: OpenGraph */
        { "pubdate", NULL },      /* meta.c: <time pubdate> */
        { "rel", NULL },          /* meta.c: canonical, rel=author */
        { "role", NULL },         /* extract.c: role=navigation... */
        { "style", NULL },        /* extract.c: display:none */
        { "type", on_script },    /* jsonld.c: application/ld+json */
        { "xml:lang", NULL },     /* meta.c */
        { NULL, NULL },
};

/* attribute and element names come lowercased from libxml2's HTML parser */
static bool keep_attr(const xmlChar *el, const xmlChar *name)
{
        for (const struct keep_attr *k = keep_attrs; k->name; k++) {
                if (k->name[0] != (char)name[0] ||
                    strcmp(k->name + 1, (const char *)name + 1) != 0)
                        continue;
                if (!k->on)
                        return true;
                for (const char *const *e = k->on; *e; e++)
                        if (strcmp(*e, (const char *)el) == 0)
                                return true;
                return false;
        }
        return false;
}

#define PRUNE_MAX_ATTRS 64 /* kept attributes of one element (pairs) */

static void prune_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
        const xmlChar *kept[2 * PRUNE_MAX_ATTRS + 1];
        int n = 0;

        if (atts) {
                for (int i = 0; atts[i] && n < 2 * PRUNE_MAX_ATTRS; i += 2) {
                        if (!keep_attr(name, atts[i]))
                                continue;
                        kept[n++] = atts[i];
                        kept[n++] = atts[i + 1];
                }
                kept[n] = NULL;
        }
        xmlSAX2StartElement(ctx, name, n ? kept : NULL);
}

/* the text of the current element is code the parser never reads */
static bool raw_code(htmlParserCtxtPtr ctxt)
{
        const xmlNode *n = ctxt->node;
        const char *type;

        if (!n || n->type != XML_ELEMENT_NODE || !n->name)
                return false;
        if (strcmp((const char *)n->name, "style") == 0)
                return true;
        if (strcmp((const char *)n->name, "script") != 0)
                return false;
        type = parser_html_attr(n, "type");
        for (; type && *type; type++)
                if (strncasecmp(type, "json", 4) == 0)
                        return false;
        return true;
}

static void prune_cdata(void *ctx, const xmlChar *value, int len)
{
        if (!raw_code(ctx))
                xmlSAX2CDataBlock(ctx, value, len);
}

/* White space that separates nothing: right after a block element, or
 * first in one (leaving or entering a block is a word boundary already),
 * outside <pre>. Most text nodes of real pages are these indentations. */
static bool idle_space(htmlParserCtxtPtr ctxt, const xmlChar *s, int len)
{
        const xmlNode *n = ctxt->node, *last;

        if (!n)
                return false;
        for (int i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
                    s[i] != '\r' && s[i] != '\f')
                        return false;
        last = n->last;
        if (last ? !(last->type == XML_ELEMENT_NODE &&
                     parser_html_is_block(last)) :
                   !parser_html_is_block(n))
                return false;
        for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
                if (strcmp((const char *)n->name, "pre") == 0)
                        return false;
        return true;
}

static void prune_characters(void *ctx, const xmlChar *value, int len)
{
        if (!raw_code(ctx) && !idle_space(ctx, value, len))
                xmlSAX2Characters(ctx, value, len);
}

static void prune_comment(void *ctx, const xmlChar *value)
{
        (void)ctx;
        (void)value;
}

/* Checked before wrapping: a libxml2 whose HTML defaults are not these
 * parses unpruned rather than wrongly. */
static void prune_setup(htmlParserCtxtPtr ctxt)
{
        xmlSAXHandler *sax = ctxt->sax;

        if (!sax || sax->startElement != xmlSAX2StartElement ||
            sax->characters != xmlSAX2Characters ||
            sax->cdataBlock != xmlSAX2CDataBlock)
                return;
        sax->startElement = prune_start;
        sax->characters = prune_characters;
        sax->cdataBlock = prune_cdata;
        sax->comment = prune_comment;
}

/* parser_html_parse(); @p own, when not NULL, holds @p html (malloc'd),
 * freed once libxml2 has its copy. */
static htmlDocPtr parse(const char *html, size_t len, char **own,
                        const char *url, bool prune, struct vl_err *err)
{
        htmlParserCtxtPtr ctxt = NULL;
        htmlDocPtr doc = NULL;
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
        /* libxml2 reads our text where it is: an input stream without an
         * input buffer (xmlParserInputBufferCreateMem() would copy the
         * page into a buffer grown by doubling: 16 MiB for a 10 MB page,
         * and the copying). Our @p html is valid UTF-8 without BOM or NUL
         * and NUL-terminated, so the context is told UTF-8 and nothing is
         * converted or switched (HTML_PARSE_IGNORE_ENC keeps the page's
         * own charset claims out); libxml2 never frees it (in->free is
         * NULL), the caller does, after the parse. */
        in = xmlNewInputStream(ctxt);
        if (!in) {
                vl_err_set(err, VL_FATAL, "cannot allocate html input");
                goto out;
        }
        in->base = in->cur = (const xmlChar *)html;
        in->end = in->base + len;
        in->length = (int)len;
        if (url)
                in->filename = (char *)xmlStrdup((const xmlChar *)url);
        inputPush(ctxt, in);
        htmlCtxtUseOptions(ctxt, PARSER_HTML_OPTS);
        if (prune)
                prune_setup(ctxt);
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
        if (own) {
                free(*own);
                *own = NULL;
        }
        return doc;
}

htmlDocPtr parser_html_parse(const char *html, size_t len, const char *url,
                             struct vl_err *err)
{
        return parse(html, len, NULL, url, true, err);
}

htmlDocPtr parser_html_parse_take(char **html, size_t len, const char *url,
                                  bool prune, struct vl_err *err)
{
        return parse(*html, len, html, url, prune, err);
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
                /* the first byte, case folded, rules most out cheaply */
                if (!a->name ||
                    (a->name[0] | 0x20) != ((unsigned char)name[0] | 0x20) ||
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

void parser_html_free(htmlDocPtr doc, size_t page_len)
{
        xmlFreeDoc(doc);
        /* the tree of a large page is tens of MB of small blocks in the
         * heap: given back to the system now, not held resident under
         * what the article's text and JSON take next */
        if (page_len >= PARSER_HTML_TRIM_BYTES)
                malloc_trim(0);
}
