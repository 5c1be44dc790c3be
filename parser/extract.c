/*
 * Main content extraction.
 *
 * 1. Statistics per element: text bytes, link text bytes, whether it holds
 *    the page's h1 or <main> ("key").
 * 2. Hints: an itemprop=articleBody element, or the element whose text the
 *    JSON-LD articleBody starts with. The hint and its ancestors are never
 *    removed.
 * 3. Cleaning: scripts and such always go; chrome (nav, header, footer,
 *    aside, form, hidden elements, ARIA landmarks, and classes or ids that
 *    say menu, share, related, comment, cookie, ad, newsletter, lire-aussi,
 *    ...) goes unless it holds most of the page's text (ASP.NET wraps pages
 *    in <form>, themes put "has-sidebar" on the page wrapper).
 * 4. The content root: the hint if it holds enough text, else an <article>
 *    with most of the text, else the best candidate by a Readability-like
 *    score (paragraph length and commas credited to ancestors, link density
 *    penalised) plus its siblings that score close to it.
 * 5. Blocks: paragraphs, headings, list items, quotes, tables and pre cut
 *    from the root; teasers, chrome lines, bylines, link-dense lines and the
 *    title repeated are left out, and so are the lists of teasers under
 *    their heading ("Also in World News": teaser_lists()).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "veille/log.h"
#include "veille/mem.h"
#include "parser.h"

#define MIN_PARA_CHARS 25
#define MIN_CANDIDATE_BYTES 100 /* text of a content root candidate */
#define MAX_EMIT_DEPTH 512
#define HINT_MATCH_BYTES 60
#define HINT_MAX_PARAS 400
#define AB_FOLD_BYTES 20000
#define MAX_ROOTS 64
#define RETRY_BELOW_CHARS 500 /* gentler cleaning below this much text */
/* A sibling of the content root joins it when it scores this much (or a
 * fifth of the root's score, if more): about three paragraphs of prose.
 * Readability's 10 let in the boxes beside the story ("Related", a list
 * of teasers with a line of text each). */
#define MIN_SIBLING_SCORE 30

/* What an element's tag says, looked up once per page (attach()) so that
 * the walks test bits instead of comparing names. */
enum {
        TF_DROP = 1 << 0,     /* drop_tags: never content */
        TF_RAWWRAP = 1 << 1,  /* a <style>/<script> holding elements */
        TF_RAW = 1 << 2,      /* <style> or <script>: its text is code */
        TF_KEY = 1 << 3,      /* <h1> or <main> */
        TF_A = 1 << 4,        /* <a> */
        TF_BLOCK = 1 << 5,    /* parser_html_is_block() */
        TF_SKIPEMIT = 1 << 6, /* skip_emit: left out of the blocks */
        TF_CHROME = 1 << 7,   /* chrome_tags */
        TF_BR = 1 << 8,       /* <br> */
};

/* What the collapsed text of a subtree (live_text()) would measure, built
 * bottom-up without building the text: code points that are not white
 * space, the gaps between them (one space each once collapsed), commas, and
 * whether white space (or a block boundary) leads or trails. */
struct tsum {
        size_t cps, gaps, commas;
        bool lead, trail; /* when cps > 0 */
        bool ws;          /* when cps == 0: some white space */
};

struct ninfo {
        struct tsum ts; /* of the live subtree */
        double score;
        size_t text; /* non-space text bytes in the subtree */
        size_t link; /* of which inside <a> */
        size_t text0, link0; /* the same before any cleaning */
        unsigned flags;      /* TF_* */
        bool key0;
        bool scored;
        bool key;     /* holds the h1 or <main> */
        bool protect; /* the content hint or one of its ancestors */
        bool dropped; /* boilerplate: left out of everything */
};

struct ctx {
        xmlNode *body;
        struct ninfo *info;
        size_t ninfo;
        size_t total; /* body text */
        size_t total0; /* before cleaning */
        xmlNode *hint; /* itemprop=articleBody or JSON-LD match, or NULL */
        char *title_f; /* folded title and h1, for duplicates */
        char *h1_f;
        struct parser_strv authors_f; /* folded author names */
        struct parser_strv bylines_f;
};

static struct ninfo *NI(const xmlNode *n)
{
        return (struct ninfo *)n->_private;
}

/* Cleaning marks elements instead of removing them, so that a second
 * attempt with gentler rules can run on the same tree. */
static bool dropped(const xmlNode *n)
{
        return n->type == XML_ELEMENT_NODE && n->_private && NI(n)->dropped;
}

/* parser_html_next() that never enters nor returns a dropped element. */
static xmlNode *live_next(xmlNode *n, const xmlNode *root, bool skip)
{
        n = parser_html_next(n, root, skip || dropped(n));
        while (n && dropped(n))
                n = parser_html_next(n, root, true);
        return n;
}

static char *live_text(xmlNode *n)
{
        return parser_html_text_filter(n, dropped);
}

/* -------------------------------------------------------------- tag sets */

/* parser_html_is() with the first letter compared inline: most tests
 * fail there, without a call. */
static inline bool is(const xmlNode *n, const char *tag)
{
        return n->type == XML_ELEMENT_NODE && n->name &&
               n->name[0] == (xmlChar)tag[0] &&
               strcmp((const char *)n->name, tag) == 0;
}

static bool name_in(const xmlNode *n, const char *const *list)
{
        const char *name = parser_html_name(n);

        for (; *list; list++)
                if ((*list)[0] == name[0] && strcmp(*list, name) == 0)
                        return true;
        return false;
}

/* never content */
/* A <style> or <script> that holds elements is libxml2's recovery from
 * broken markup (an unclosed <style> in the body swallows what follows):
 * its elements are the page's; only its own text is CSS or code. */
static bool raw_wrapper(const xmlNode *n)
{
        if (!is(n, "style") && !is(n, "script"))
                return false;
        for (const xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return true;
        return false;
}

/* Text that is CSS or code, not words: a text child of <style> or
 * <script> (a wrapper's included). */
static bool raw_text(const xmlNode *t)
{
        if (t->parent && t->parent->type == XML_ELEMENT_NODE &&
            t->parent->_private)
                return NI(t->parent)->flags & TF_RAW;
        return t->parent && (is(t->parent, "style") ||
                             is(t->parent, "script"));
}

static const char *const drop_tags[] = {
        "script", "style", "noscript", "iframe", "button", "template", "svg",
        "canvas", "object", "embed", "select", "input", "textarea", "link",
        "video", "audio", "map", "dialog", "frame", "frameset", "applet",
        "math", "source", "track", "picture", NULL,
};
static bool drop_tag(const xmlNode *n)
{
        if (n->_private)
                return (NI(n)->flags & (TF_DROP | TF_RAWWRAP)) == TF_DROP;
        return name_in(n, drop_tags) && !raw_wrapper(n);
}

/* chrome unless it holds the page */
static const char *const chrome_tags[] = {
        "nav", "header", "footer", "aside", "menu", NULL,
};
static const char *const chrome_roles[] = {
        "navigation", "banner", "contentinfo", "complementary", "menu",
        "menubar", "search", "dialog", "alertdialog", "toolbar", "tablist",
        NULL,
};
/* class/id substrings that condemn an element whatever else it says */
static const char *const strong_neg[] = {
        "comment", "cookie", "consent", "gdpr", "newsletter",
        "related", "lire-aussi", "lireaussi",
        "a-lire", "read-more", "readmore", "voir-aussi", "voiraussi",
        "see-also", "also-read", "promo", "sponsor",
        "outbrain", "taboola", "disqus",
        "recommend", "most-read", "mostread",
        "most-popular", "plus-lus", "trending",
        "adsbygoogle", "advert", "ad-slot", "adslot", "ad-container",
        "ad-wrapper", "ad-banner", "dfp-", "jp-relatedposts",
        "yarpp", "addtoany", "sharedaddy", NULL,
};
/* class/id substrings of things that are small when they are what they
 * say (a byline, share buttons, a tag list, a login box): an element so
 * named that holds paragraphs of text is a page whose template misnames
 * its content ("content_byline", "social-story") */
static const char *const small_neg[] = {
        "share", "sharing", "social", "breadcrumb", "popup", "modal",
        "signup", "login", "byline", "author-bio", "skip-link", "sr-only",
        "screen-reader", "visually-hidden", "tags", "taglist", "print-only",
        "profile", "postmetadata", "post-meta", "entry-meta", "author-info",
        "author-box", "about-author", "authorbox", NULL,
};
#define SMALL_CHROME_BYTES 800
/* class/id words that condemn an element unless a positive word saves it */
static const char *const weak_neg[] = {
        "nav", "navbar", "navigation", "menu", "menus", "mainmenu",
        "sidebar", "side", "banner", "footer", "header", "masthead", "ad",
        "ads", "adv", "pub", "publicite", "publicity", "widget", "widgets",
        "toolbar", "tools", "meta", "aside", "topbar", "subnav", "dropdown",
        "overlay", "hidden", "hide", "rss", "pagination", "pager", "teaser",
        "teasers", "offcanvas", "sidenav", "submenu", NULL,
};
static const char *const positive[] = {
        "article", "content", "main", "body", "story", "entry", "post",
        "text", "texte", "contenu", "corps", "chapo", "column", NULL,
};
/* Readability-like class weights */
static const char *const weight_pos[] = {
        "article", "body", "content", "entry", "hentry", "h-entry", "main",
        "page", "post", "text", "blog", "story", "texte", "contenu", "corps",
        "chapo", "paragraph", "detail", NULL,
};
static const char *const weight_neg[] = {
        "hidden", "banner", "combx", "comment", "com-", "contact", "foot",
        "footnote", "masthead", "media", "meta", "outbrain", "promo",
        "related", "scroll", "share", "shoutbox", "sidebar", "skyscraper",
        "sponsor", "shopping", "tags", "tool", "widget", "byline", "author",
        "caption", "lire", "aussi", "teaser", "rubrique", "profile", NULL,
};

/* Class names that name the post's categories, tags or author (WordPress
 * post_class(), Typepad): "category-social-media" says nothing of the
 * element itself. */
static const char *const taxonomy_prefixes[] = {
        "category-", "tag-", "entry-category-", "entry-tag-", "entry-author-",
        "post-category-", "post-tag-", "author-", "format-", "rubrique-",
        "section-", "topic-", NULL,
};

static bool taxonomy_class(const char *c, size_t l)
{
        for (const char *const *p = taxonomy_prefixes; *p; p++) {
                size_t pl = strlen(*p);

                if (l > pl && strncasecmp(c, *p, pl) == 0)
                        return true;
        }
        return false;
}

/* Lowercased class and id, non-alphanumerics as '-', bounded. */
static void class_key(const xmlNode *n, char *buf, size_t size)
{
        const char *attrs[] = { "class", "id" };
        size_t k = 0;

        for (int a = 0; a < 2; a++) {
                const char *v = parser_html_attr(n, attrs[a]);

                while (v && *v) {
                        size_t l;

                        while (*v == ' ' || *v == '\t' || *v == '\n' ||
                               *v == '\r' || *v == '\f')
                                v++;
                        l = strcspn(v, " \t\n\r\f");
                        if (!l)
                                break;
                        if (a == 0 && taxonomy_class(v, l)) {
                                v += l;
                                continue;
                        }
                        if (k && k + 1 < size)
                                buf[k++] = ' ';
                        for (size_t i = 0; i < l && k + 1 < size; i++) {
                                char c = v[i];

                                if (c >= 'A' && c <= 'Z')
                                        c = (char)(c - 'A' + 'a');
                                else if (!(c >= 'a' && c <= 'z') &&
                                         !(c >= '0' && c <= '9'))
                                        c = '-';
                                buf[k++] = c;
                        }
                        v += l;
                }
        }
        buf[k] = '\0';
}

static bool has_sub(const char *key, const char *const *list)
{
        for (; *list; list++)
                if (strstr(key, *list))
                        return true;
        return false;
}

/* Is one of @p list a whole word ('-' or ' ' separated) of @p key? */
static bool has_word(const char *key, const char *const *list)
{
        for (const char *p = key; *p;) {
                size_t l;

                while (*p == ' ' || *p == '-')
                        p++;
                l = strcspn(p, " -");
                if (!l)
                        break;
                for (const char *const *w = list; *w; w++)
                        if (strlen(*w) == l && strncmp(p, *w, l) == 0)
                                return true;
                p += l;
        }
        return false;
}

static double class_weight(const xmlNode *n)
{
        const char *attrs[] = { "class", "id" };
        double w = 0;

        for (int a = 0; a < 2; a++) {
                const char *v = parser_html_attr(n, attrs[a]);
                char key[256];
                size_t k = 0;

                if (!v || !*v)
                        continue;
                for (; *v && k + 1 < sizeof(key); v++)
                        key[k++] = (char)(*v >= 'A' && *v <= 'Z' ?
                                          *v - 'A' + 'a' : *v);
                key[k] = '\0';
                if (has_sub(key, weight_neg))
                        w -= 25;
                if (has_sub(key, weight_pos))
                        w += 25;
        }
        return w;
}

/* ----------------------------------------------------------- statistics */

static size_t nonspace(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
                        n++;
        return n;
}

static bool is_text(const xmlNode *n)
{
        return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

/* Append @p c to @p p, as the text of @p c follows that of @p p; a block
 * (@p boundary) is a word boundary on both sides. */
static void tsum_add(struct tsum *p, struct tsum c, bool boundary)
{
        if (boundary) {
                c.lead = c.trail = true;
                c.ws = true;
        }
        if (!c.cps) {
                if (!p->cps)
                        p->ws |= c.ws;
                else
                        p->trail |= c.ws;
                return;
        }
        if (!p->cps) {
                bool lead = c.lead || p->ws;

                *p = c;
                p->lead = lead;
                return;
        }
        p->gaps += c.gaps + (p->trail || c.lead ? 1 : 0);
        p->cps += c.cps;
        p->commas += c.commas;
        p->trail = c.trail;
}

/* What vl_text makes of a character: 0 a letter (or any other character),
 * 1 white space, 2 nothing (controls, soft hyphen, zero-width marks). */
static int cp_class(const unsigned char *u, size_t *len)
{
        unsigned char c = u[0];

        if (c < 0x80) {
                *len = 1;
                if (c == ' ' || (c >= '\t' && c <= '\r'))
                        return 1;
                return c < 0x20 || c == 0x7f ? 2 : 0;
        }
        if (c < 0xe0) {
                *len = u[1] ? 2 : 1;
                if (c == 0xc2 && u[1] == 0xa0)
                        return 1;
                if (c == 0xc2 && (u[1] == 0xad || (u[1] >= 0x80 &&
                                                   u[1] <= 0x9f)))
                        return 2;
                return 0;
        }
        if (c < 0xf0) {
                *len = u[1] && u[2] ? 3 : 1;
                if (*len == 1)
                        return 0;
                if (c == 0xe2 && u[1] == 0x80) {
                        if (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 ||
                            u[2] == 0xaf)
                                return 1;
                        if (u[2] >= 0x8b && u[2] <= 0x8d)
                                return 2;
                }
                if (c == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
                        return 1;
                if (c == 0xe2 && u[1] == 0x81 && u[2] == 0xa0)
                        return 2;
                if ((c == 0xe3 && u[1] == 0x80 && u[2] == 0x80) ||
                    (c == 0xe1 && u[1] == 0x9a && u[2] == 0x80))
                        return 1;
                if (c == 0xef && ((u[1] == 0xbb && u[2] == 0xbf) ||
                                  (u[1] == 0xbf && u[2] == 0xbe)))
                        return 2;
                return 0;
        }
        *len = u[1] && u[2] && u[3] ? 4 : 1;
        return 0;
}

static struct tsum tsum_text(const char *s)
{
        const unsigned char *u = (const unsigned char *)s;
        struct tsum t;
        bool pending = false;

        memset(&t, 0, sizeof(t));
        while (*u) {
                size_t l = 1;
                int k;

                if (*u < 0x80) /* the common case inline */
                        k = *u > ' ' && *u != 0x7f ? 0 :
                            *u == ' ' || (*u >= '\t' && *u <= '\r') ? 1 : 2;
                else
                        k = cp_class(u, &l);

                if (k == 1) {
                        pending = true;
                        t.ws = true;
                } else if (k == 0) {
                        if (!t.cps)
                                t.lead = pending;
                        else if (pending)
                                t.gaps++;
                        pending = false;
                        t.cps++;
                        if (*u == ',' || (u[0] == 0xd8 && u[1] == 0x8c) ||
                            (u[0] == 0xef && u[1] == 0xbc && u[2] == 0x8c))
                                t.commas++;
                }
                u += l;
        }
        t.trail = pending;
        return t;
}

/* Post-order without recursion: text and link bytes, key flags and, when
 * @p measure, what the text would measure (struct tsum). */
static void stats(struct ctx *c, bool measure)
{
        xmlNode *root = c->body, *n = root;

        while (n) {
                if (n->type == XML_ELEMENT_NODE) {
                        struct ninfo *i = NI(n);

                        i->text = i->link = 0;
                        i->key = (i->flags & TF_KEY) != 0;
                        memset(&i->ts, 0, sizeof(i->ts));
                        if (n->children && !i->dropped &&
                            (i->flags & (TF_DROP | TF_RAWWRAP)) != TF_DROP) {
                                n = n->children;
                                continue;
                        }
                } else if (is_text(n) && n->content && n->parent &&
                           n->parent->_private &&
                           !(NI(n->parent)->flags & TF_RAW)) {
                        NI(n->parent)->text +=
                                nonspace((const char *)n->content);
                        if (measure)
                                tsum_add(&NI(n->parent)->ts,
                                         tsum_text((const char *)n->content),
                                         false);
                }
                /* leave n and the ancestors it closes */
                while (n) {
                        if (n->type == XML_ELEMENT_NODE && n != root &&
                            n->parent && n->parent->_private &&
                            !NI(n)->dropped) {
                                struct ninfo *i = NI(n), *p = NI(n->parent);

                                if (i->flags & TF_A)
                                        i->link = i->text;
                                /* live_text() leaves out <style> and
                                 * <script>; a block or <br> separates */
                                if (measure && !(i->flags & TF_RAW))
                                        tsum_add(&p->ts, i->ts,
                                                 (i->flags & TF_BLOCK) ||
                                                 (i->flags & TF_BR));
                                p->text += i->text;
                                p->link += i->link;
                                p->key |= i->key;
                        }
                        if (n == root) {
                                n = NULL;
                                break;
                        }
                        if (n->next) {
                                n = n->next;
                                break;
                        }
                        n = n->parent;
                }
        }
        c->total = NI(root)->text;
}

static double link_density(const xmlNode *n)
{
        const struct ninfo *i = NI(n);

        return i->text ? (double)i->link / (double)i->text : 0;
}

/* ---------------------------------------------------------------- hints */

static xmlNode *prop_hint(xmlNode *body)
{
        for (xmlNode *n = body; n; n = parser_html_next(n, body, false)) {
                const char *ip = parser_html_attr(n, "itemprop");

                if (ip && parser_html_has_token(ip, "articleBody"))
                        return n;
        }
        return NULL;
}

/* The element holding the text the JSON-LD articleBody starts with. */
static xmlNode *ld_hint(struct ctx *c, const char *article_body)
{
        size_t abl = strlen(article_body);
        char *cut = vl_xstrndup(article_body, abl < AB_FOLD_BYTES ? abl :
                                AB_FOLD_BYTES);
        char *abf = vl_text_fold(cut, 0);
        size_t ab_text = nonspace(article_body);
        xmlNode *found = NULL;
        int paras = 0;

        free(cut);
        for (xmlNode *n = c->body; n && !found && paras < HINT_MAX_PARAS;
             n = parser_html_next(n, c->body, false)) {
                char *t, *f;

                if (!is(n, "p"))
                        continue;
                paras++;
                t = parser_html_text(n);
                f = vl_text_fold(t, 0);
                free(t);
                if (strlen(f) >= HINT_MATCH_BYTES) {
                        size_t l = HINT_MATCH_BYTES;

                        while (l && ((unsigned char)f[l] & 0xc0) == 0x80)
                                l--;
                        f[l] = '\0';
                        if (strstr(abf, f))
                                found = n;
                }
                free(f);
        }
        free(abf);
        while (found && found->parent && found->parent != c->body &&
               NI(found)->text * 10 < ab_text * 6)
                found = found->parent;
        return found;
}

static void protect(xmlNode *n)
{
        for (; n && n->_private; n = n->parent)
                NI(n)->protect = true;
}

/* ------------------------------------------------------------- cleaning */

static bool hidden(const xmlNode *n)
{
        const char *v;

        if (parser_html_attr(n, "hidden"))
                return true;
        v = parser_html_attr(n, "aria-hidden");
        if (v && strcasecmp(v, "true") == 0)
                return true;
        v = parser_html_attr(n, "style");
        if (v) {
                char s[256];
                size_t k = 0;

                for (; *v && k + 1 < sizeof(s); v++)
                        if (*v != ' ')
                                s[k++] = (char)(*v >= 'A' && *v <= 'Z' ?
                                                *v - 'A' + 'a' : *v);
                s[k] = '\0';
                if (strstr(s, "display:none") ||
                    strstr(s, "visibility:hidden"))
                        return true;
        }
        return false;
}

/* Holds the page: the hint, or most of its text with the h1 or <main>, or
 * nearly all of its text. */
static bool guarded(const struct ctx *c, const xmlNode *n)
{
        const struct ninfo *i = NI(n);

        if (i->protect)
                return true;
        if (c->total < 500)
                return false;
        return (i->key && i->text * 2 >= c->total) ||
               i->text * 5 >= c->total * 4;
}

/* How hard to clean: each attempt that leaves too little text is followed
 * by a gentler one (as Readability retries without its "unlikely" rules). */
enum clean_level {
        CLEAN_ALL = 0,    /* tags, roles, hidden, every class rule */
        CLEAN_STRONG = 1, /* tags, roles, hidden, strong class rules */
        CLEAN_TAGS = 2,   /* tags and hidden elements only */
        CLEAN_LEVELS = 3,
};

static bool chrome(const struct ctx *c, const xmlNode *n,
                   enum clean_level level)
{
        const char *role;
        char key[512];

        if (drop_tag(n))
                return true;
        /* a <head> is no content, unless an unclosed <title> made libxml2
         * put the page in it */
        if ((is(n, "head") || is(n, "title")) &&
            NI(n)->text < 500)
                return true;
        if (is(n, "body") || is(n, "html"))
                return false;
        if ((NI(n)->flags & TF_CHROME) || hidden(n))
                return !guarded(c, n);
        /* search boxes, logins and newsletters are small; a <form> with
         * text is a page wrapped in one (ASP.NET) */
        if (is(n, "form") && level < CLEAN_TAGS &&
            (NI(n)->text < 300 || link_density(n) > 0.5))
                return !guarded(c, n);
        if (level >= CLEAN_TAGS)
                return false;
        role = parser_html_attr(n, "role");
        if (role) {
                for (const char *const *r = chrome_roles; *r; r++)
                        if (parser_html_has_token(role, *r))
                                return !guarded(c, n);
        }
        if (is(n, "article") || is(n, "main"))
                return false;
        class_key(n, key, sizeof(key));
        if (!*key)
                return false;
        if (has_sub(key, strong_neg))
                return !guarded(c, n);
        if (has_sub(key, small_neg) &&
            (NI(n)->text < SMALL_CHROME_BYTES || link_density(n) > 0.5))
                return !guarded(c, n);
        /* a weak word on what holds most of the page's prose is the
         * template's name for its content ("widget Blog") */
        if (level == CLEAN_ALL && has_word(key, weak_neg) &&
            !has_sub(key, positive) &&
            !(NI(n)->text * 3 >= c->total && link_density(n) < 0.25))
                return !guarded(c, n);
        return false;
}

static void mark(struct ctx *c, enum clean_level level)
{
        xmlNode *n = c->body->children;

        while (n) {
                if (n->type != XML_ELEMENT_NODE || !chrome(c, n, level)) {
                        n = parser_html_next(n, c->body, false);
                        continue;
                }
                if (NI(n)->text >= 500)
                        VL_DEBUG("parser", "dropped <%s class='%.60s' "
                                 "id='%.40s'> with %zu of %zu text bytes",
                                 parser_html_name(n),
                                 parser_html_attr(n, "class") ?
                                 parser_html_attr(n, "class") : "",
                                 parser_html_attr(n, "id") ?
                                 parser_html_attr(n, "id") : "",
                                 NI(n)->text, c->total);
                NI(n)->dropped = true;
                n = parser_html_next(n, c->body, true);
        }
}

/* -------------------------------------------------------------- scoring */

static double tag_score(const xmlNode *n)
{
        static const char *const plus3[] = { "pre", "td", "blockquote",
                                             NULL };
        static const char *const minus3[] = { "address", "ol", "ul", "dl",
                                              "dd", "dt", "li", "form",
                                              NULL };
        static const char *const minus5[] = { "h1", "h2", "h3", "h4", "h5",
                                              "h6", "th", NULL };

        if (is(n, "article"))
                return 10;
        if (is(n, "div") || is(n, "section") ||
            is(n, "main"))
                return 5;
        if (name_in(n, plus3))
                return 3;
        if (name_in(n, minus3))
                return -3;
        if (name_in(n, minus5))
                return -5;
        return 0;
}

static bool has_block_child(const xmlNode *n)
{
        for (const xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && c->_private &&
                    (NI(c)->flags & TF_BLOCK) && !NI(c)->dropped)
                        return true;
        return false;
}

static bool paragraph_like(const xmlNode *n)
{
        if (is(n, "p") || is(n, "pre") ||
            is(n, "td"))
                return true;
        /* a <div> of text with no block inside is a paragraph too */
        return (is(n, "div") || is(n, "section")) &&
               !has_block_child(n);
}

static void credit(xmlNode *n, double s)
{
        xmlNode *a = n->parent;

        for (int level = 0; a && a->type == XML_ELEMENT_NODE && a->_private &&
                            level < 5; level++, a = a->parent) {
                struct ninfo *i = NI(a);

                if (!i->scored) {
                        i->scored = true;
                        i->score = tag_score(a) + class_weight(a);
                }
                i->score += s / (level == 0 ? 1 : level == 1 ? 2 : level * 3);
                if (is(a, "body"))
                        break;
        }
}

/* The best candidate, or NULL when no paragraph was long enough. */
static xmlNode *score(struct ctx *c)
{
        xmlNode *top = NULL;
        double best = 0;

        for (xmlNode *n = c->body; n; n = live_next(n, c->body, false)) {
                const struct tsum *t;
                size_t len;

                if (n->type != XML_ELEMENT_NODE || !paragraph_like(n))
                        continue;
                t = &NI(n)->ts;
                len = t->cps + t->gaps;
                if (len >= MIN_PARA_CHARS) {
                        double s = 1 + (double)t->commas +
                                   (len / 100 < 3 ? (double)(len / 100) : 3);

                        credit(n, s);
                }
        }
        for (xmlNode *n = c->body; n; n = live_next(n, c->body, false)) {
                struct ninfo *i;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                i = NI(n);
                if (!i->scored)
                        continue;
                i->score *= 1 - link_density(n);
                /* a line or two of text is no article, whatever its class
                 * says ("txt_content_small" beside the story) */
                if (i->text < MIN_CANDIDATE_BYTES && top &&
                    NI(top)->text >= MIN_CANDIDATE_BYTES)
                        continue;
                if (!top || i->score > best ||
                    (NI(top)->text < MIN_CANDIDATE_BYTES &&
                     i->text >= MIN_CANDIDATE_BYTES)) {
                        top = n;
                        best = i->score;
                }
        }
        /* an only child says nothing its parent does not */
        while (top && top->parent && top->parent != c->body &&
               top->parent->_private) {
                int kids = 0;

                for (xmlNode *k = top->parent->children; k; k = k->next)
                        if ((k->type == XML_ELEMENT_NODE && !dropped(k)) ||
                            (is_text(k) && k->content &&
                             nonspace((const char *)k->content)))
                                kids++;
                if (kids != 1)
                        break;
                NI(top->parent)->score = NI(top)->score;
                NI(top->parent)->scored = true;
                top = top->parent;
        }
        return top;
}

static bool ends_sentence(const char *t)
{
        size_t l = strlen(t);

        return strstr(t, ". ") || (l && (t[l - 1] == '.' || t[l - 1] == '!' ||
                                         t[l - 1] == '?'));
}

/* Siblings of @p top that belong with it, in document order (top included). */
static int gather(struct ctx *c, xmlNode *top, xmlNode **out, int max)
{
        double ts = NI(top)->score;
        double threshold = ts * 0.2 > MIN_SIBLING_SCORE ? ts * 0.2 :
                           MIN_SIBLING_SCORE;
        const char *tclass = parser_html_attr(top, "class");
        int n = 0;

        if (!top->parent || top == c->body) {
                out[0] = top;
                return 1;
        }
        for (xmlNode *s = top->parent->children; s && n < max; s = s->next) {
                bool take = s == top;

                if (s->type != XML_ELEMENT_NODE || dropped(s))
                        continue;
                if (!take && NI(s)->scored) {
                        double bonus = 0;
                        const char *sc = parser_html_attr(s, "class");

                        if (tclass && *tclass && sc && strcmp(sc, tclass) == 0)
                                bonus = ts * 0.2;
                        take = NI(s)->score + bonus >= threshold;
                }
                if (!take && is(s, "p")) {
                        size_t len = NI(s)->ts.cps + NI(s)->ts.gaps;
                        double ld = link_density(s);

                        take = len > 80 && ld < 0.25;
                        if (!take && len > 0 && len <= 80 && ld == 0) {
                                char *t = live_text(s);

                                take = ends_sentence(t);
                                free(t);
                        }
                }
                if (take)
                        out[n++] = s;
        }
        return n;
}

/* --------------------------------------------------------------- chrome */

/* Folded, with everything but letters and digits as a space, collapsed:
 * "► À lire aussi :" -> "a lire aussi". */
static char *line_key(const char *text)
{
        const unsigned char *u = (const unsigned char *)text;
        char *f, *c;

        while (*u && *u < 0x80)
                u++;
        if (!*u) { /* ASCII: lowercase letters and digits, one space */
                size_t o = 0;

                c = vl_xmalloc(strlen(text) + 1);
                for (u = (const unsigned char *)text; *u; u++) {
                        unsigned char ch = *u;

                        if (ch >= 'A' && ch <= 'Z')
                                ch = (unsigned char)(ch - 'A' + 'a');
                        if ((ch >= 'a' && ch <= 'z') ||
                            (ch >= '0' && ch <= '9')) {
                                c[o++] = (char)ch;
                        } else if (o && c[o - 1] != ' ') {
                                c[o++] = ' ';
                        }
                }
                if (o && c[o - 1] == ' ')
                        o--;
                c[o] = '\0';
                return c;
        }
        f = vl_text_fold(text, 0);
        utf8proc_uint8_t *p = (utf8proc_uint8_t *)f;
        size_t left = strlen(f);

        while (left) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t l = utf8proc_iterate(
                        p, (utf8proc_ssize_t)left, &cp);
                utf8proc_category_t cat;

                if (l <= 0)
                        break;
                cat = utf8proc_category(cp);
                if (!(cat >= UTF8PROC_CATEGORY_LU &&
                      cat <= UTF8PROC_CATEGORY_LO) &&
                    !(cat >= UTF8PROC_CATEGORY_ND &&
                      cat <= UTF8PROC_CATEGORY_NO))
                        memset(p, ' ', (size_t)l);
                p += l;
                left -= (size_t)l;
        }
        c = vl_text_collapse(f);
        free(f);
        return c;
}

/* The line's letters and digits only, folded: line_key() without its
 * spaces ("À lire, aussi" -> "alireaussi"), for the duplicate checks. */
static char *squeeze(char *key)
{
        size_t o = 0;

        for (size_t i = 0; key[i]; i++)
                if (key[i] != ' ')
                        key[o++] = key[i];
        key[o] = '\0';
        return key;
}

static char *alnum_key(const char *text)
{
        return squeeze(line_key(text));
}

/* "Related: ...", "À lire : ...": a lead word and a colon. */
static const char *const colon_leads[] = {
        "related", "lire aussi", "lire", "a lire", "voir aussi", "a voir",
        "read more", "read also", "see also", "also read", "en savoir plus",
        "sur le meme sujet", "a decouvrir", "recommended", "watch",
        "regarder", "video", "photo", "photos", "credit", "credits",
        "source", "sources", NULL,
};

static bool colon_lead(const char *text)
{
        char *f = vl_text_fold(text, 0);
        const char *p = f;
        bool yes = false;

        /* skip leading symbols ("► ", "» ", "- ") */
        while (*p && !(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
               (unsigned char)*p != 0xc3)
                p++;
        for (const char *const *l = colon_leads; *l && !yes; l++) {
                size_t n = strlen(*l);

                if (strncmp(p, *l, n) == 0) {
                        const char *q = p + n;

                        while (*q == ' ')
                                q++;
                        yes = *q == ':';
                }
        }
        free(f);
        return yes;
}

/* Teasers and chrome lines, whatever their length (up to a short
 * paragraph). */
static const char *const strong_lines[] = {
        "lire aussi", "a lire aussi", "lire egalement", "a lire egalement",
        "lire la suite", "lisez aussi", "lisez egalement", "voir aussi",
        "a voir aussi", "voir egalement", "sur le meme sujet",
        "dans la meme rubrique", "articles de la meme rubrique",
        "articles similaires", "articles lies", "articles recommandes",
        "read more", "read also", "also read", "read next", "see also",
        "related articles", "related stories", "related content",
        "related coverage", "more from", "more stories", "you may also like",
        "you might also like", "recommended for you", "continue reading",
        "vous aimerez aussi", "vous aimerez egalement", "les plus lus",
        "most read", "most popular", "abonnez vous a notre newsletter",
        "inscrivez vous a notre newsletter", "sign up for our newsletter",
        "subscribe to our newsletter", "laisser un commentaire",
        "leave a comment", "poster un commentaire", "ajouter un commentaire",
        "tous droits reserves", "all rights reserved", "follow us on",
        "suivez nous sur", "rejoignez nous sur", "share this article",
        "partagez cet article", "partager cet article", NULL,
};
/* The same only as a whole short line. */
static const char *const weak_lines[] = {
        "publicite", "advertisement", "advertising", "sponsored",
        "contenu sponsorise", "annonce", "partager", "partagez", "share",
        "share this", "imprimer", "print", "commentaires", "comments",
        "newsletter", "tags", "mots cles", "a decouvrir", "en savoir plus",
        "trending", "copyright", "credit photo", "photo credit",
        "cliquez ici", "click here", "sign up", "subscribe", "abonnez vous",
        "inscrivez vous", "suivez nous", "follow us", "telechargez",
        "download our app", "retour", "back to top", "haut de page",
        "retour en haut", "ecouter", "listen", "lecture", "video",
        "menu", "accueil", "home", "related", "other stories",
        "top stories", "latest stories", "latest news", "more news",
        "popular stories", "autres articles", "dernieres infos", NULL,
};
/* Phrases that make a short line chrome wherever they are. */
static const char *const chrome_phrases[] = {
        "utilise des cookies", "utilisons des cookies", "use cookies",
        "uses cookies", "accepter les cookies", "accept cookies",
        "accept all cookies", "politique de confidentialite",
        "privacy policy", "tous droits reserves", "all rights reserved",
        "javascript is disabled", "enable javascript", "activer javascript",
        "activez javascript", "your browser does not support",
        "votre navigateur ne supporte pas", "mot de passe oublie",
        "forgot your password",
        /* comment policies and forms */
        "report offensive", "offensive or inappropriate",
        "inappropriate content", "readers comments", "reader comments",
        "story comments", "commenters to register", "log in to comment",
        "login to comment", "signaler un abus", "signaler un contenu",
        "connectez vous pour commenter", "you may use these html tags",
        "some html allowed", "html tags allowed",
        "line and paragraph breaks are automatic",
        "your email address will not be published",
        "your email will not be published", "required fields are marked",
        "before posting your comment", "sign in to comment",
        "you can follow any responses to this entry",
        "letters and numbers you entered", "votre adresse e mail ne sera pas",
        "votre adresse de messagerie ne sera pas",
        "les champs obligatoires sont indiques",
        /* article tools and notices about the site, not the story */
        "printer friendly", "send this article to", "email this article",
        "e mail this article", "email this story", "e mail this story",
        "not responsible for the content of external",
        "trackback this entry", "trackback url",
        "comments above are from readers", "comments from the readers",
        "comment posters are responsible", "this feedback is now closed",
        "your comment will not be published",
        "search for more stories on this topic", NULL,
};
static const char *const social_words[] = {
        "facebook", "twitter", "x", "whatsapp", "linkedin", "email",
        "e mail", "mail", "telegram", "pinterest", "reddit", "messenger",
        "imprimer", "print", "partager", "partagez", "share", "copier",
        "copy", "link", "lien", "sms", "tweet", "tweeter", "google",
        "viber", "flipboard", "bluesky", "threads", "instagram", "youtube",
        "tiktok", "sur", "on", "le", "the", "e", NULL,
};

static bool starts_any(const char *key, const char *const *list)
{
        for (; *list; list++)
                if (parser_text_starts_word(key, *list))
                        return true;
        return false;
}

static bool all_social(const char *key)
{
        int words = 0;

        for (const char *p = key; *p;) {
                size_t l = strcspn(p, " ");
                bool found = false;

                for (const char *const *w = social_words; *w && !found; w++)
                        found = strlen(*w) == l && strncmp(*w, p, l) == 0;
                if (!found)
                        return false;
                words++;
                p += l;
                while (*p == ' ')
                        p++;
        }
        return words > 0;
}

#define CHROME_MAX_BYTES 400 /* longer lines are never chrome lines */

/* parser_extract_is_chrome() with the line's key (line_key()) at hand. */
static bool chrome_line(const char *text, size_t len, const char *key)
{
        bool yes = false;

        if (len > CHROME_MAX_BYTES)
                return false;
        /* "© 2024 Site", "(c) AFP" */
        if (strncmp(text, "\xc2\xa9", 2) == 0 && len <= 160)
                return true;
        if (!*key)
                yes = true;
        else if (starts_any(key, strong_lines) ||
                 ((strchr(text, ':') || strstr(text, "\xef\xbc\x9a")) &&
                  colon_lead(text)))
                yes = true;
        else if (strlen(key) <= 60 && starts_any(key, weak_lines) &&
                 parser_text_word_count(key) <= 5)
                yes = true;
        else if (len <= 200 && all_social(key))
                yes = true;
        for (const char *const *p = chrome_phrases; *p && !yes; p++)
                if (strstr(key, *p))
                        yes = true;
        return yes;
}

bool parser_extract_is_chrome(const char *text)
{
        size_t len = strlen(text);
        char *key;
        bool yes;

        if (len > CHROME_MAX_BYTES)
                return false;
        key = line_key(text);
        yes = chrome_line(text, len, key);
        free(key);
        return yes;
}

/* "Publié le 12 mars 2024 à 10h05", "Updated: March 12, 2024" */
static bool date_line(const char *key, size_t words)
{
        static const char *const leads[] = {
                "publie le", "publie", "mis a jour", "mise a jour",
                "published", "updated", "last updated", "posted on",
                "posted", "modifie le", "cree le", "le", "date", NULL,
        };

        if (words > 14 || !strpbrk(key, "0123456789"))
                return false;
        return starts_any(key, leads);
}

/* A line that is only a date: "2 September 2024", "· 14 août 2024". */
static bool only_date(const char *text, size_t words)
{
        char buf[PARSER_DATE_LEN];

        return words <= 8 && strlen(text) < 80 &&
               parser_date_parse(text, 0, buf);
}

/* ------------------------------------------------------------ emission */

struct emitter {
        struct ctx *c;
        struct parser_blocks *out;
        struct vl_text tb;
        size_t all;  /* text bytes of the pending block */
        size_t link; /* of which in links */
        int br;
        /* per block of out: its link density and whether a heading of
         * teasers ("Also in World News") came before it (teaser_lists()) */
        struct bnote {
                float ld;
                bool lead;   /* the block is such a heading */
                bool after;  /* such a heading, left out, came before it */
                bool link;   /* a line of links, left out, came before it */
        } *notes;
        int nnotes, capnotes;
        bool lead; /* a heading of teasers was just left out */
        bool linkline; /* a line of links was just left out */
};

static bool in_folded(const struct parser_strv *sv, const char *f)
{
        for (int i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], f) == 0)
                        return true;
        return false;
}

/* @p f is @p text folded (VL_FOLD_ALNUM), @p key its line_key(). */
static bool is_byline(struct ctx *c, size_t words, const char *f,
                      const char *key)
{
        bool yes = false;

        if (words > 30)
                return false;
        if (in_folded(&c->bylines_f, f) || in_folded(&c->authors_f, f))
                yes = true;
        /* "Par Jean Dupont, envoyé spécial", "By John Smith and ..." */
        if (!yes && (parser_text_starts_word(key, "par") ||
                     parser_text_starts_word(key, "by") ||
                     parser_text_starts_word(key, "de notre") ||
                     parser_text_starts_word(key, "written by") ||
                     parser_text_starts_word(key, "propos recueillis"))) {
                if (words <= 12)
                        yes = true;
                for (int i = 0; i < c->authors_f.n && !yes; i++)
                        yes = strstr(f, c->authors_f.v[i]) != NULL;
        }
        return yes;
}

/* A teaser cut short: "Director: Rajkumar Santoshi Cast: Ajay Devg ...",
 * a line of under 40 words that ends with an ellipsis after a space (a
 * word cut, not a sentence trailing off), or that has two of them. The
 * caller asks only of lines with a link: prose trails off too. */
static bool teaser(const char *text, size_t len, size_t words)
{
        static const char *const cuts[] = { " ...", " \xe2\x80\xa6", NULL };
        int n = 0;

        if (words >= 40)
                return false;
        for (const char *const *c = cuts; *c; c++) {
                size_t cl = strlen(*c);

                if (len >= cl && memcmp(text + len - cl, *c, cl) == 0)
                        return true;
                for (const char *p = strstr(text, *c); p;
                     p = strstr(p + cl, *c))
                        n++;
        }
        return n >= 2;
}

/* Could @p text (@p len bytes) fold to @p f (folded, VL_FOLD_ALNUM)?
 * Folding drops spaces and punctuation and changes a letter's bytes by a
 * few at most: a text more than twice as long plus a margin cannot. */
static bool may_fold_to(const char *f, size_t len)
{
        return f && len <= 2 * strlen(f) + 64;
}

/* The heading of a list of teasers or of a comment section: "Also in
 * World News", "More Manitoba headlines", "Don't miss", "Post a comment".
 * What follows it is the page's until prose ends the list. */
#define SECTION_LEAD_WORDS 8
static bool lead_key(const char *key)
{
        static const char *const leads[] = {
                "also in", "more in", "more from", "more on this story",
                "other news", "other stories", "related", "don t miss",
                "dont miss", "post a comment", "leave a reply",
                "leave a comment", "add a comment", "add your comment",
                "have your say", "you may also like", "you might also like",
                "recommended", "most popular", "most read", "most viewed",
                "latest news", "latest headlines", "top stories",
                "more stories", "more news", "more headlines",
                "external links", "see also", "laisser un commentaire",
                "a lire aussi", "lire aussi", "sur le meme sujet",
                "dans la meme rubrique", "les plus lus", "voir aussi",
                "a voir aussi", "vos commentaires", "reagissez", NULL,
        };
        static const char *const tails[] = { "headlines", "news",
                                             "stories", NULL };
        size_t words = (size_t)parser_text_word_count(key);
        size_t kl = strlen(key);
        bool yes;

        if (!words || words > SECTION_LEAD_WORDS)
                return false;
        yes = starts_any(key, leads);
        /* "More Manitoba headlines", "Other Sports News" */
        if (!yes && (parser_text_starts_word(key, "more") ||
                     parser_text_starts_word(key, "other")))
                for (const char *const *w = tails; *w && !yes; w++) {
                        size_t wl = strlen(*w);

                        yes = kl > wl && key[kl - wl - 1] == ' ' &&
                              strcmp(key + kl - wl, *w) == 0;
                }
        return yes;
}

/* lead_key() of a line whose key is not at hand: most lines are ruled out
 * before they are folded, by their length, their spaces or their first
 * letter (the leads start with one of these, or with an accent). */
#define SECTION_LEAD_BYTES 120
static bool section_lead(const char *text, size_t len)
{
        const unsigned char *u = (const unsigned char *)text;
        int spaces = 0;
        char *key;
        bool yes;

        if (len > SECTION_LEAD_BYTES)
                return false;
        for (const char *p = text; *p; p++)
                spaces += *p == ' ';
        if (spaces > 2 * SECTION_LEAD_WORDS)
                return false;
        while (*u && *u < 0x80 && !((*u | 0x20) >= 'a' && (*u | 0x20) <= 'z')
               && !(*u >= '0' && *u <= '9'))
                u++;
        if (!*u || (*u < 0x80 && !strchr("admoplrstyehv", *u | 0x20)))
                return false;
        key = line_key(text);
        yes = lead_key(key);
        free(key);
        return yes;
}

/* Is @p text a block of the article? @p lead says whether it is the
 * heading of a list of teasers (section_lead()), whatever the answer. */
static bool keep(struct ctx *c, enum parser_block_kind kind, const char *text,
                 double ld, bool *lead)
{
        char *key, *f;
        bool ok = true;
        size_t words, len;

        *lead = false;
        if (!*text)
                return false;
        if (kind == PARSER_BLOCK_PRE)
                return true;
        len = strlen(text);
        /* a small table of site links or a copyright line is chrome */
        if (kind == PARSER_BLOCK_TABLE)
                return len > CHROME_MAX_BYTES ||
                       !parser_extract_is_chrome(text);
        if (ld > 0.5) {
                *lead = section_lead(text, len);
                return false;
        }
        words = (size_t)parser_text_word_count(text);
        if (ld > 0 && teaser(text, len, words)) {
                *lead = section_lead(text, len);
                return false;
        }
        /* a paragraph of text is no chrome line, byline (30 words at most)
         * or date line: the folding below is for the short lines */
        if (len > CHROME_MAX_BYTES && words > 30 &&
            !may_fold_to(c->title_f, len) && !may_fold_to(c->h1_f, len))
                return true;
        key = line_key(text);
        *lead = len <= SECTION_LEAD_BYTES && lead_key(key);
        if (chrome_line(text, len, key)) {
                free(key);
                return false;
        }
        f = squeeze(vl_xstrdup(key));
        if (is_byline(c, words, f, key) || date_line(key, words) ||
            only_date(text, words) ||
            (c->title_f && strcmp(f, c->title_f) == 0) ||
            (c->h1_f && strcmp(f, c->h1_f) == 0))
                ok = false;
        free(f);
        free(key);
        return ok;
}


/* Lists of teasers under their heading: "Also in World News", "More
 * Manitoba headlines", "Don't miss", "Post a comment" followed by lines of
 * links, short lines and the few lines of a teaser between two links.
 * The list ends at the first paragraph of prose; the heading goes with the
 * list, which must have links (a headline and a byline after a "Related"
 * box at the top have none). */
#define TEASER_LINK_DENSITY 0.5
#define TEASER_SHORT_WORDS 8
#define TEASER_SNIPPET_WORDS 40
/* Notes for the blocks of out: the last one gets @p ld and what was left
 * out before it; those added without flush() (tables, pre) nothing. */
static void pad_notes(struct emitter *e)
{
        while (e->nnotes < e->out->n) {
                if (e->nnotes == e->capnotes) {
                        e->capnotes = e->capnotes ? e->capnotes * 2 : 32;
                        e->notes = vl_xrealloc(e->notes, (size_t)e->capnotes *
                                               sizeof(*e->notes));
                }
                memset(&e->notes[e->nnotes], 0, sizeof(*e->notes));
                e->nnotes++;
        }
}

static void note(struct emitter *e, float ld)
{
        pad_notes(e);
        if (e->nnotes) {
                struct bnote *n = &e->notes[e->nnotes - 1];

                n->ld = ld;
                n->after = e->lead;
                n->link = e->linkline;
                e->lead = e->linkline = false;
        }
}

static void flush(struct emitter *e, enum parser_block_kind kind)
{
        char *t = vl_text_take(&e->tb);
        double ld = e->all ? (double)e->link / (double)e->all : 0;
        size_t len;
        bool lead;

        /* without the slack of the growing buffer: the blocks of a large
         * article hold its text once, not up to twice */
        len = strlen(t);
        t = vl_xrealloc(t, len + 1);

        if (keep(e->c, kind, t, ld, &lead)) {
                parser_blocks_add_take(e->out, kind, t);
                note(e, (float)ld);
                e->notes[e->nnotes - 1].lead = lead;
        } else {
                free(t);
                e->lead |= lead;
                e->linkline |= len && ld > TEASER_LINK_DENSITY;
        }
        e->all = e->link = 0;
        e->br = 0;
}

static void add_text(struct emitter *e, const xmlNode *n, bool in_link)
{
        const char *s = (const char *)n->content;
        size_t ns;

        if (!s)
                return;
        ns = nonspace(s);
        vl_text_add(&e->tb, s, strlen(s));
        e->all += ns;
        if (in_link)
                e->link += ns;
        if (ns)
                e->br = 0;
}

/* A table of data (rows of cells), as opposed to page layout. */
static bool data_table(xmlNode *t)
{
        int cells = 0;

        for (xmlNode *n = t->children; n; n = live_next(n, t, false)) {
                if (dropped(n))
                        continue;
                if (is(n, "table") || is(n, "p") ||
                    is(n, "div") || is(n, "ul") ||
                    is(n, "ol") || is(n, "h1") ||
                    is(n, "h2") || is(n, "h3") ||
                    is(n, "blockquote"))
                        return false;
                if (is(n, "td") || is(n, "th"))
                        cells++;
        }
        return cells >= 2;
}

static void emit_table(struct emitter *e, xmlNode *t)
{
        struct vl_text tb;
        bool first_row = true;

        /* a table of links is navigation, whatever it looks like */
        if (link_density(t) > 0.5)
                return;
        vl_text_init(&tb);
        for (xmlNode *n = t->children; n; n = live_next(n, t, false)) {
                bool first_cell = true;

                if (dropped(n))
                        continue;
                if (is(n, "caption")) {
                        char *cap = live_text(n);

                        if (*cap) {
                                vl_text_add(&tb, cap, strlen(cap));
                                first_row = false;
                        }
                        free(cap);
                        continue;
                }
                if (!is(n, "tr"))
                        continue;
                for (xmlNode *cell = n->children; cell; cell = cell->next) {
                        char *ct;

                        if ((!is(cell, "td") &&
                             !is(cell, "th")) || dropped(cell))
                                continue;
                        ct = live_text(cell);
                        if (!*ct) {
                                free(ct);
                                continue;
                        }
                        if (first_cell && !first_row)
                                vl_text_raw(&tb, "\n");
                        else if (!first_cell)
                                vl_text_raw(&tb, " | ");
                        vl_text_add(&tb, ct, strlen(ct));
                        first_cell = false;
                        first_row = false;
                        free(ct);
                }
        }
        {
                char *s = vl_text_take(&tb);

                if (parser_text_word_count(s) > 0)
                        parser_blocks_add_take(e->out, PARSER_BLOCK_TABLE, s);
                else
                        free(s);
        }
        vl_text_release(&tb);
}

static void emit_pre(struct emitter *e, xmlNode *pre)
{
        struct vl_buf b;
        const char *s;
        size_t start = 0, end;

        vl_buf_init(&b, 0);
        for (xmlNode *n = pre->children; n; n = live_next(n, pre, false)) {
                if (dropped(n))
                        continue;
                if (is(n, "br"))
                        vl_buf_append(&b, "\n", 1, NULL);
                else if (is_text(n) && n->content)
                        vl_buf_append(&b, n->content,
                                      strlen((const char *)n->content), NULL);
        }
        s = b.data ? b.data : "";
        end = b.len;
        /* trim blank lines around; keep the inside as it is */
        while (start < end && (s[start] == '\n' || s[start] == '\r' ||
                               s[start] == ' ' || s[start] == '\t'))
                start++;
        while (end > start && (s[end - 1] == '\n' || s[end - 1] == '\r' ||
                               s[end - 1] == ' ' || s[end - 1] == '\t'))
                end--;
        if (end > start) {
                char *t = vl_xstrndup(s + start, end - start);
                char *r;
                size_t o = 0;

                /* CRLF -> LF, other controls out */
                for (size_t i = 0; t[i]; i++) {
                        if (t[i] == '\r')
                                continue;
                        if ((unsigned char)t[i] < 0x20 && t[i] != '\n' &&
                            t[i] != '\t')
                                continue;
                        t[o++] = t[i];
                }
                t[o] = '\0';
                r = vl_utf8_repair(t, o, NULL);
                free(t);
                parser_blocks_add_take(e->out, PARSER_BLOCK_PRE, r);
        }
        vl_buf_release(&b);
}

static const char *const skip_emit[] = {
        "figcaption", "img", "script", "style", "noscript", "svg", "button",
        "select", "input", "textarea", "iframe", "object", "embed", "video",
        "audio", "canvas", "template", "map", "head", "title", "meta",
        "link", NULL,
};

static void emit(struct emitter *e, xmlNode *n, enum parser_block_kind kind,
                 bool in_link, int depth)
{
        for (xmlNode *c = n->children; c; c = c->next) {
                const char *name;

                if (is_text(c)) {
                        if (!raw_text(c))
                                add_text(e, c, in_link);
                        continue;
                }
                if (c->type != XML_ELEMENT_NODE || dropped(c))
                        continue;
                name = parser_html_name(c);
                if ((NI(c)->flags & (TF_SKIPEMIT | TF_RAWWRAP)) ==
                    TF_SKIPEMIT)
                        continue;
                if (depth > MAX_EMIT_DEPTH) {
                        char *t = live_text(c);

                        vl_text_space(&e->tb);
                        vl_text_add(&e->tb, t, strlen(t));
                        e->all += nonspace(t);
                        free(t);
                        continue;
                }
                if (strcmp(name, "br") == 0) {
                        if (e->br++ >= 1 && e->tb.b.len)
                                flush(e, kind);
                        else
                                vl_text_space(&e->tb);
                        continue;
                }
                if (strcmp(name, "hr") == 0) {
                        flush(e, kind);
                        continue;
                }
                if (strcmp(name, "a") == 0) {
                        emit(e, c, kind, true, depth + 1);
                        continue;
                }
                if (!(NI(c)->flags & TF_BLOCK)) {
                        /* inline: its words touch the neighbours' only
                         * through the source's own spaces */
                        emit(e, c, kind, in_link, depth + 1);
                        continue;
                }
                flush(e, kind);
                if (strcmp(name, "table") == 0 && data_table(c)) {
                        emit_table(e, c);
                        continue;
                }
                if (strcmp(name, "pre") == 0) {
                        emit_pre(e, c);
                        continue;
                }
                if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' &&
                    !name[2]) {
                        emit(e, c, PARSER_BLOCK_H, in_link, depth + 1);
                        flush(e, PARSER_BLOCK_H);
                        continue;
                }
                if (strcmp(name, "li") == 0) {
                        enum parser_block_kind k = kind == PARSER_BLOCK_QUOTE ?
                                kind : PARSER_BLOCK_LI;

                        emit(e, c, k, in_link, depth + 1);
                        flush(e, k);
                        continue;
                }
                if (strcmp(name, "blockquote") == 0) {
                        emit(e, c, PARSER_BLOCK_QUOTE, in_link, depth + 1);
                        flush(e, PARSER_BLOCK_QUOTE);
                        continue;
                }
                emit(e, c, kind, in_link, depth + 1);
                flush(e, kind);
        }
}

static void emit_root(struct emitter *e, xmlNode *root)
{
        if (is(root, "p") || is(root, "td") ||
            is(root, "div") || is(root, "section") ||
            is(root, "article") || is(root, "main") ||
            is(root, "body")) {
                emit(e, root, PARSER_BLOCK_P, false, 0);
                flush(e, PARSER_BLOCK_P);
                return;
        }
        /* a root that is itself a block of another kind */
        if (is(root, "table") && data_table(root)) {
                emit_table(e, root);
        } else if (is(root, "pre")) {
                emit_pre(e, root);
        } else {
                enum parser_block_kind k = PARSER_BLOCK_P;

                if (is(root, "blockquote"))
                        k = PARSER_BLOCK_QUOTE;
                else if (is(root, "li"))
                        k = PARSER_BLOCK_LI;
                else if (root->name && root->name[0] == 'h' &&
                         root->name[1] >= '1' && root->name[1] <= '6')
                        k = PARSER_BLOCK_H;
                emit(e, root, k, false, 0);
                flush(e, k);
        }
}

/* ------------------------------------------------------------ finishing */

/* A line of links, left out by keep(), just before block @p i of @p n
 * (i == n: after the last block). */
static bool link_before(const struct emitter *e, int i, int n)
{
        return i == n ? e->linkline : i >= 0 && i < n && e->notes[i].link;
}

static void teaser_lists(struct emitter *e)
{
        struct parser_blocks *b = e->out;
        bool *drop;
        int o = 0;

        pad_notes(e); /* the notes cover every block */
        if (!b->n)
                return;
        drop = vl_xcalloc((size_t)b->n, sizeof(*drop));
        for (int i = 0; i < b->n; i++) {
                int start, j, links;

                if (!e->notes[i].lead && !e->notes[i].after)
                        continue;
                start = e->notes[i].lead ? i + 1 : i;
                links = 0;
                for (j = start; j < b->n; j++) {
                        const char *t = b->v[j].text;
                        int words;

                        links += e->notes[j].link;
                        if (e->notes[j].lead)
                                continue;
                        words = parser_text_word_count(t);
                        if (words < TEASER_SHORT_WORDS && !ends_sentence(t))
                                continue;
                        if (words < TEASER_SNIPPET_WORDS &&
                            (e->notes[j].link || e->notes[j].ld > 0.2) &&
                            (link_before(e, j + 1, b->n) ||
                             (j + 1 < b->n && e->notes[j + 1].ld > 0.2)))
                                continue;
                        break;
                }
                links += link_before(e, j, b->n);
                /* nothing to drop (nor the heading: a lead of its own) */
                if (!links || j == i)
                        continue;
                for (int k = i; k < j; k++)
                        drop[k] = true;
                i = j - 1;
        }
        for (int i = 0; i < b->n; i++) {
                if (drop[i]) {
                        free(b->v[i].text);
                        continue;
                }
                b->v[o++] = b->v[i];
        }
        b->n = o;
        free(drop);
}

/* Drop repeated blocks and the headings left with nothing under them. */
#define TAIL_CHROME_WORDS 6

/* A short line that does not end like a sentence or a quotation. */
static bool tail_chrome(const struct parser_block *b)
{
        const char *t = b->text;
        size_t l = strlen(t);
        static const char *const ends[] = {
                ".", "!", "?", "\"", ")", "\xe2\x80\x9d" /* ” */,
                "\xc2\xbb" /* » */, "\xe2\x80\xa6" /* … */, NULL,
        };

        if (b->kind != PARSER_BLOCK_P && b->kind != PARSER_BLOCK_LI)
                return false;
        if (parser_text_word_count(t) >= TAIL_CHROME_WORDS)
                return false;
        for (const char *const *e = ends; *e; e++) {
                size_t el = strlen(*e);

                if (l >= el && memcmp(t + l - el, *e, el) == 0)
                        return false;
        }
        return true;
}

/* A reader's comment signed at its end: "... Posted by Mike Fenton on
 * January 10, 2008 11:28 AM", "Posté par Jean le 12/03/2024 à 10:05". */
#define SIGNATURE_TAIL 120
static bool signed_comment(const char *t)
{
        static const char *const leads[] = {
                "Posted by ", "posted by ", "Posté par ", "posté par ",
                "Written by ", NULL,
        };
        size_t l = strlen(t);
        const char *tail = l > SIGNATURE_TAIL ? t + l - SIGNATURE_TAIL : t;

        for (const char *const *w = leads; *w; w++) {
                const char *p = strstr(tail, *w), *q;

                if (!p || p == t) /* a line of its own is a byline */
                        continue;
                q = p + strlen(*w);
                if (strpbrk(q, "0123456789"))
                        return true;
        }
        return false;
}

/* Readers' comments that no class names: three blocks or more signed like
 * comments; they go, with the blocks between the first and the last. */
#define MIN_SIGNED 3
static void drop_signed_comments(struct parser_blocks *b)
{
        int first = -1, last = -1, n = 0, o = 0;

        for (int i = 0; i < b->n; i++) {
                if (!signed_comment(b->v[i].text))
                        continue;
                if (first < 0)
                        first = i;
                last = i;
                n++;
        }
        if (n < MIN_SIGNED)
                return;
        for (int i = 0; i < b->n; i++) {
                if (i >= first && i <= last) {
                        free(b->v[i].text);
                        continue;
                }
                b->v[o++] = b->v[i];
        }
        b->n = o;
}

static void tidy(struct parser_blocks *b)
{
        int o = 0;

        drop_signed_comments(b);

        for (int i = 0; i < b->n; i++) {
                const char *t = b->v[i].text;
                bool dup = false;

                /* the same block twice in a row, but for case, spaces and
                 * punctuation: folded only when the lengths are close */
                if (o > 0) {
                        const char *p = b->v[o - 1].text;
                        size_t l = strlen(t), pl = strlen(p);
                        size_t d = l > pl ? l - pl : pl - l;

                        if (strcmp(p, t) == 0) {
                                dup = true;
                        } else if (d <= (l > pl ? l : pl) / 4 + 8 &&
                                   l <= CHROME_MAX_BYTES) {
                                char *f = alnum_key(t), *pf = alnum_key(p);

                                dup = strcmp(f, pf) == 0;
                                free(f);
                                free(pf);
                        }
                }
                if (dup) {
                        free(b->v[i].text);
                        continue;
                }
                b->v[o++] = b->v[i];
        }
        b->n = o;
        /* the article ends with a sentence: short lines after the last one
         * ("Story tools", "Page 1", "In This Section") are the page's */
        while (b->n > 1 && (b->v[b->n - 1].kind == PARSER_BLOCK_H ||
                            tail_chrome(&b->v[b->n - 1])))
                free(b->v[--b->n].text);
}

static int blocks_words(const struct parser_blocks *b)
{
        int w = 0;

        for (int i = 0; i < b->n; i++)
                w += parser_text_word_count(b->v[i].text);
        return w;
}

/* The JSON-LD articleBody as blocks, one per line. */
static void body_blocks(struct ctx *c, const char *ab,
                        struct parser_blocks *out)
{
        const char *p = ab;

        while (*p) {
                size_t l = strcspn(p, "\n");
                char *line = vl_xstrndup(p, l);
                char *t = vl_text_collapse(line);
                bool lead;

                free(line);
                if (keep(c, PARSER_BLOCK_P, t, 0, &lead))
                        parser_blocks_add_take(out, PARSER_BLOCK_P, t);
                else
                        free(t);
                p += l;
                if (*p)
                        p++;
        }
}

static void ctx_release(struct ctx *c)
{
        free(c->info);
        free(c->title_f);
        free(c->h1_f);
        parser_strv_release(&c->authors_f);
        parser_strv_release(&c->bylines_f);
}

/* The flags of a name are computed once per page: a page has a few dozen
 * distinct element names for hundreds of elements (libxml2's HTML parser
 * copies each name, so they are compared, not their pointers). */
#define NAME_CACHE 64
struct name_cache {
        const xmlChar *name[NAME_CACHE];
        unsigned flags[NAME_CACHE];
};

static unsigned name_flags(const xmlNode *n)
{
        const char *name = parser_html_name(n);
        unsigned f = 0;

        if (name_in(n, drop_tags))
                f |= TF_DROP;
        if (strcmp(name, "style") == 0 || strcmp(name, "script") == 0)
                f |= TF_RAW;
        if (strcmp(name, "h1") == 0 || strcmp(name, "main") == 0)
                f |= TF_KEY;
        if (strcmp(name, "a") == 0)
                f |= TF_A;
        if (strcmp(name, "br") == 0)
                f |= TF_BR;
        if (parser_html_is_block(n))
                f |= TF_BLOCK;
        if (name_in(n, skip_emit))
                f |= TF_SKIPEMIT;
        if (name_in(n, chrome_tags))
                f |= TF_CHROME;
        return f;
}

static unsigned tag_flags(struct name_cache *nc, const xmlNode *n)
{
        const xmlChar *nm = n->name ? n->name : (const xmlChar *)"";
        size_t h = 0;
        unsigned f;

        for (size_t i = 0; nm[i] && i < 8; i++)
                h = h * 31 + nm[i];
        h %= NAME_CACHE;
        if (nc->name[h] && strcmp((const char *)nc->name[h],
                                  (const char *)nm) == 0) {
                f = nc->flags[h];
        } else {
                f = name_flags(n);
                nc->name[h] = n->name;
                nc->flags[h] = f;
        }
        /* a <style> or <script> holding elements, whatever its name says */
        if ((f & TF_RAW) && raw_wrapper(n))
                f |= TF_RAWWRAP;
        return f;
}

static void attach(struct ctx *c)
{
        size_t n = 0, k = 0;
        struct name_cache nc;

        memset(&nc, 0, sizeof(nc));
        for (xmlNode *x = c->body; x; x = parser_html_next(x, c->body, false))
                if (x->type == XML_ELEMENT_NODE)
                        n++;
        c->info = vl_xcalloc(n ? n : 1, sizeof(*c->info));
        c->ninfo = n;
        for (xmlNode *x = c->body; x; x = parser_html_next(x, c->body, false))
                if (x->type == XML_ELEMENT_NODE) {
                        struct ninfo *i = &c->info[k++];

                        x->_private = i;
                        i->flags = tag_flags(&nc, x);
                }
        /* the ancestors of body are not scored */
        for (xmlNode *a = c->body->parent; a; a = a->parent)
                a->_private = NULL;
}

static void detach(struct ctx *c)
{
        for (xmlNode *x = c->body; x; x = parser_html_next(x, c->body, false))
                x->_private = NULL;
}

static size_t blocks_chars(const struct parser_blocks *b)
{
        size_t n = 0;

        for (int i = 0; i < b->n; i++)
                n += parser_text_chars(b->v[i].text);
        return n;
}

/* Clean at @p level, find the content and cut it into blocks. */
static void attempt(struct ctx *c, enum clean_level level,
                    struct parser_blocks *out)
{
        struct emitter e;
        xmlNode *roots[MAX_ROOTS], *top, *hint = c->hint;
        int nroots = 0;

        memset(out, 0, sizeof(*out));
        /* the statistics before cleaning are the same for every attempt */
        for (size_t i = 0; i < c->ninfo; i++) {
                struct ninfo *f = &c->info[i];

                f->dropped = false;
                f->scored = false;
                f->score = 0;
                f->text = f->text0;
                f->link = f->link0;
                f->key = f->key0;
        }
        c->total = c->total0;
        mark(c, level);
        stats(c, true);

        if (hint && (NI(hint)->text * 4 >= c->total ||
                     NI(hint)->text >= 500)) {
                roots[nroots++] = hint;
        } else {
                xmlNode *art = NULL;

                for (xmlNode *n = c->body; n; n = live_next(n, c->body, false))
                        if (is(n, "article") &&
                            (!art || NI(n)->text > NI(art)->text))
                                art = n;
                if (art && c->total && NI(art)->text * 10 >= c->total * 6 &&
                    NI(art)->text >= 200) {
                        roots[nroots++] = art;
                } else {
                        top = score(c);
                        if (top)
                                nroots = gather(c, top, roots, MAX_ROOTS);
                        else
                                roots[nroots++] = c->body;
                }
        }
        for (int i = 0; i < nroots; i++)
                VL_DEBUG("parser", "content root %d/%d: <%s class='%.40s' "
                         "id='%.40s'> %zu of %zu text bytes, score %.1f",
                         i + 1, nroots, parser_html_name(roots[i]),
                         parser_html_attr(roots[i], "class") ?
                         parser_html_attr(roots[i], "class") : "",
                         parser_html_attr(roots[i], "id") ?
                         parser_html_attr(roots[i], "id") : "",
                         NI(roots[i])->text, c->total, NI(roots[i])->score);
        memset(&e, 0, sizeof(e));
        e.c = c;
        e.out = out;
        vl_text_init(&e.tb);
        for (int i = 0; i < nroots; i++)
                emit_root(&e, roots[i]);
        vl_text_release(&e.tb);
        teaser_lists(&e);
        free(e.notes);
        tidy(out);
}

void parser_extract_blocks(htmlDocPtr doc, const struct parser_hints *h,
                           struct parser_blocks *out)
{
        struct ctx c;

        memset(&c, 0, sizeof(c));
        memset(out, 0, sizeof(*out));
        /* the whole document, not <body>: pages glued from several
         * documents have several <body>, and libxml2 nests them */
        c.body = xmlDocGetRootElement(doc);
        if (!c.body)
                return;
        if (h->title)
                c.title_f = alnum_key(h->title);
        if (h->h1)
                c.h1_f = alnum_key(h->h1);
        for (int i = 0; h->authors && i < h->authors->n; i++) {
                char *f = alnum_key(h->authors->v[i]);

                if (strlen(f) >= 4)
                        parser_strv_add(&c.authors_f, f);
                free(f);
        }
        for (int i = 0; h->bylines && i < h->bylines->n; i++) {
                char *f = alnum_key(h->bylines->v[i]);

                if (strlen(f) >= 4)
                        parser_strv_add(&c.bylines_f, f);
                free(f);
        }

        attach(&c);
        stats(&c, false);
        for (size_t i = 0; i < c.ninfo; i++) {
                c.info[i].text0 = c.info[i].text;
                c.info[i].link0 = c.info[i].link;
                c.info[i].key0 = c.info[i].key;
        }
        c.total0 = c.total;
        c.hint = prop_hint(c.body);
        if (c.hint && NI(c.hint)->text < 100)
                c.hint = NULL;
        if (!c.hint && h->article_body && nonspace(h->article_body) >= 200)
                c.hint = ld_hint(&c, h->article_body);
        protect(c.hint);

        for (int level = CLEAN_ALL; level < CLEAN_LEVELS; level++) {
                struct parser_blocks try;
                size_t chars;

                attempt(&c, (enum clean_level)level, &try);
                chars = blocks_chars(&try);
                VL_DEBUG("parser", "cleaning level %d: %d blocks, %zu "
                         "characters", level, try.n, chars);
                if (level == CLEAN_ALL || chars > blocks_chars(out)) {
                        parser_blocks_release(out);
                        *out = try;
                } else {
                        parser_blocks_release(&try);
                }
                if (chars >= RETRY_BELOW_CHARS)
                        break;
        }

        if (h->article_body) {
                int dom = blocks_words(out);
                int ab = parser_text_word_count(h->article_body);

                if (dom * 10 < ab * 6) {
                        parser_blocks_release(out);
                        body_blocks(&c, h->article_body, out);
                        tidy(out);
                }
        }
        detach(&c);
        ctx_release(&c);
}

/* --------------------------------------------------------------- blocks */

void parser_blocks_add_take(struct parser_blocks *b,
                            enum parser_block_kind kind, char *text)
{
        if (b->n == b->cap) {
                b->cap = b->cap ? b->cap * 2 : 16;
                b->v = vl_xrealloc(b->v, (size_t)b->cap * sizeof(*b->v));
        }
        b->v[b->n].kind = kind;
        b->v[b->n].text = text;
        b->n++;
}

char *parser_blocks_text(const struct parser_blocks *b)
{
        size_t n = 1, k;
        char *out, *d;

        /* the exact size: a large article is not copied as a buffer grows */
        for (int i = 0; i < b->n; i++)
                n += (i ? 2 : 0) + strlen(b->v[i].text);
        out = vl_xmalloc(n);
        d = out;
        for (int i = 0; i < b->n; i++) {
                if (i) {
                        memcpy(d, "\n\n", 2);
                        d += 2;
                }
                k = strlen(b->v[i].text);
                memcpy(d, b->v[i].text, k);
                d += k;
        }
        *d = 0;
        return out;
}

void parser_blocks_release(struct parser_blocks *b)
{
        for (int i = 0; i < b->n; i++)
                free(b->v[i].text);
        free(b->v);
        memset(b, 0, sizeof(*b));
}

const char *parser_block_kind_name(enum parser_block_kind k)
{
        switch (k) {
        case PARSER_BLOCK_P:
                break;
        case PARSER_BLOCK_H:
                return "h";
        case PARSER_BLOCK_LI:
                return "li";
        case PARSER_BLOCK_QUOTE:
                return "quote";
        case PARSER_BLOCK_TABLE:
                return "table";
        case PARSER_BLOCK_PRE:
                return "pre";
        }
        return "p";
}
