/* RSS (0.9x, 1.0, 2.0) and Atom (0.3, 1.0) feeds and sitemaps (index,
 * Google News), read with libxml2's parser into a tree and walked.
 * XML_PARSE_RECOVER keeps what comes before an error (truncated or sloppy
 * feeds); NONET and no NOENT/DTDLOAD keep the parser off the network and
 * away from entity expansion. JSON Feeds (jansson) and plain URL lists are
 * read here too, so that every kind of source gives the same items. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <jansson.h>
#include "veille/buf.h"
#include "veille/date.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/url.h"
#include "fetcher.h"

#define FETCHER_XML_OPTS                                                       \
        (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |           \
         XML_PARSE_RECOVER)

#define TITLE_MAX 2048
#define SHORT_MAX 256  /* authors, categories, dates, languages */
#define GUID_MAX 2048
#define LIST_MAX 64    /* authors or categories per item */

static const char NS_ATOM[] = "http://www.w3.org/2005/Atom";
static const char NS_ATOM03[] = "http://purl.org/atom/ns#";
static const char NS_RSS10[] = "http://purl.org/rss/1.0/";
static const char NS_RSS090[] = "http://my.netscape.com/rdf/simple/0.9/";
static const char NS_RDF[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
static const char NS_DC[] = "http://purl.org/dc/elements/1.1/";
static const char NS_CONTENT[] = "http://purl.org/rss/1.0/modules/content/";
static const char NS_SY[] = "http://purl.org/rss/1.0/modules/syndication/";
static const char NS_NEWS[] = "http://www.google.com/schemas/sitemap-news/0.9";

struct walk {
        const char *url;     /* the feed's: base of relative links */
        const char *atom_ns; /* the namespace of this Atom feed's elements */
        struct fetcher_feed *feed;
        char **feed_authors; /* Atom: inherited by entries without one */
        int nfeed_authors;
};

/* ------------------------------------------------------------- helpers */

static const char *ns_of(const xmlNode *n)
{
        return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

static bool named(const xmlNode *n, const char *name)
{
        return n->type == XML_ELEMENT_NODE &&
               !strcmp((const char *)n->name, name);
}

static bool ns_is(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

static bool ns_el(const xmlNode *n, const char *ns, const char *name)
{
        return named(n, name) && ns_is(ns_of(n), ns);
}

/* RSS elements have no namespace (0.9x, 2.0) or RSS 1.0's / 0.90's. */
static bool rss_el(const xmlNode *n, const char *name)
{
        const char *ns = ns_of(n);

        return named(n, name) &&
               (!ns || !strcmp(ns, NS_RSS10) || !strcmp(ns, NS_RSS090));
}

static bool atom_el(const struct walk *w, const xmlNode *n, const char *name)
{
        return ns_el(n, w->atom_ns, name);
}

static char *prop(const xmlNode *n, const char *name)
{
        xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
        char *r;

        if (!v)
                return NULL;
        r = vl_xstrdup((const char *)v);
        xmlFree(v);
        return r;
}

static void collect_text(const xmlNode *n, struct vl_buf *b)
{
        for (; n; n = n->next) {
                if ((n->type == XML_TEXT_NODE ||
                     n->type == XML_CDATA_SECTION_NODE) &&
                    n->content)
                        vl_buf_append(b, n->content,
                                      strlen((const char *)n->content), NULL);
                else if (n->type == XML_ELEMENT_NODE)
                        collect_text(n->children, b);
        }
}

/* The text content of @p el, as parsed (entities and CDATA resolved). */
static char *raw_text(const xmlNode *el)
{
        struct vl_buf b;
        char *r;

        vl_buf_init(&b, 0);
        collect_text(el->children, &b);
        r = vl_buf_take(&b, NULL);
        return r ? r : vl_xstrdup("");
}

/* NULL instead of an empty string. */
static char *nonempty(char *s)
{
        if (s && !*s) {
                free(s);
                return NULL;
        }
        return s;
}

static char *clean_text(const xmlNode *el, size_t max)
{
        char *raw = raw_text(el);
        char *r = fetcher_text_clean(raw, max);

        free(raw);
        return nonempty(r);
}

static char *html_text(const xmlNode *el, size_t max)
{
        char *raw = raw_text(el);
        char *r = fetcher_text_from_html(raw, max);

        free(raw);
        return nonempty(r);
}

/* An Atom text construct: type text (plain), html (escaped) or xhtml (a
 * div of markup). */
static char *atom_text(const xmlNode *el, size_t max)
{
        char *type = prop(el, "type");
        char *r;

        if (type && (!strcmp(type, "html") || !strcmp(type, "text/html"))) {
                r = html_text(el, max);
        } else if (type && (!strcmp(type, "xhtml") ||
                            !strcmp(type, "application/xhtml+xml"))) {
                xmlBufferPtr xb = xmlBufferCreate();
                const xmlNode *c;

                for (c = el->children; xb && c; c = c->next)
                        xmlNodeDump(xb, el->doc, (xmlNode *)(uintptr_t)c, 0,
                                    0);
                r = nonempty(fetcher_text_from_html(
                        xb ? (const char *)xmlBufferContent(xb) : "", max));
                xmlBufferFree(xb);
        } else {
                r = clean_text(el, max);
        }
        free(type);
        return r;
}

static void set_once(char **field, char *v)
{
        if (*field || !v) {
                free(v);
                return;
        }
        *field = v;
}

static void add_unique(char ***v, int *n, char *s)
{
        int i;

        if (!s)
                return;
        for (i = 0; i < *n; i++) {
                if (!strcmp((*v)[i], s)) {
                        free(s);
                        return;
                }
        }
        if (*n >= LIST_MAX) {
                free(s);
                return;
        }
        *v = vl_xrealloc(*v, (size_t)(*n + 1) * sizeof(char *));
        (*v)[(*n)++] = s;
}

/* Resolve @p ref against the xml:base of @p n and its ancestors, outermost
 * first, starting from the feed's URL. @returns new URL or NULL. */
static char *resolve(const struct walk *w, const xmlNode *n, const char *ref)
{
        const xmlNode *chain[64];
        const xmlNode *a;
        char *base;
        char *r;
        int k = 0;

        if (!ref || !*ref)
                return NULL;
        for (a = n; a && a->type == XML_ELEMENT_NODE && k < 64; a = a->parent)
                chain[k++] = a;
        base = vl_xstrdup(w->url);
        while (k-- > 0) {
                xmlChar *xb = xmlGetNsProp(chain[k], (const xmlChar *)"base",
                                           XML_XML_NAMESPACE);
                char *nb;

                if (!xb)
                        continue;
                nb = base ? vl_url_resolve(base, (const char *)xb, NULL)
                          : NULL;
                if (nb) {
                        free(base);
                        base = nb;
                }
                xmlFree(xb);
        }
        /* without a base, only absolute links resolve (against themselves) */
        r = vl_url_resolve(base ? base : ref, ref, NULL);
        free(base);
        return r;
}

static char *resolve_text(const struct walk *w, const xmlNode *el)
{
        char *raw = clean_text(el, 0);
        char *r = resolve(w, el, raw);

        free(raw);
        return r;
}

/* "editor@example.com (Jane Doe)" names Jane Doe. */
static char *rss_author(const xmlNode *el)
{
        char *s = clean_text(el, SHORT_MAX);
        char *open;
        size_t n;

        if (!s)
                return NULL;
        open = strchr(s, '(');
        n = strlen(s);
        if (open && open > s && s[n - 1] == ')' &&
            memchr(s, '@', (size_t)(open - s))) {
                char *name = vl_xstrndup(open + 1,
                                         (size_t)(s + n - 2 - open));
                char *r = nonempty(fetcher_text_clean(name, SHORT_MAX));

                free(name);
                if (r) {
                        free(s);
                        return r;
                }
        }
        return s;
}

/* A feed date in ISO 8601 UTC, or NULL: the whole string must be a date
 * (a feed's dates are machine-written), and one without a zone is UTC. */
static char *normalise_date(const char *s)
{
        struct vl_date dt;
        char out[VL_DATE_LEN];

        if (vl_date_parse(s, 0, &dt, NULL) != VL_OK)
                return NULL;
        vl_date_format(vl_date_epoch(&dt), out);
        return vl_xstrdup(out);
}

static void set_dates(struct fetcher_item *it, char *pub, char *upd)
{
        if (!pub && upd)
                pub = vl_xstrdup(upd);
        if (pub) {
                it->published_raw = pub;
                it->published = normalise_date(pub);
                if (!it->published)
                        it->published = vl_xstrdup(pub);
        }
        if (upd) {
                it->updated = normalise_date(upd);
                if (it->updated)
                        free(upd);
                else
                        it->updated = upd;
        }
}

static struct fetcher_item *new_item(struct fetcher_feed *feed)
{
        if (feed->n == feed->cap) {
                feed->cap = feed->cap ? feed->cap * 2 : 16;
                feed->items = vl_xrealloc(
                        feed->items, (size_t)feed->cap * sizeof(*feed->items));
        }
        memset(&feed->items[feed->n], 0, sizeof(feed->items[0]));
        return &feed->items[feed->n++];
}

/* ----------------------------------------------------------------- RSS */

static void rss_item(struct walk *w, const xmlNode *item)
{
        struct fetcher_item *it = new_item(w->feed);
        char *summary = NULL;
        char *content = NULL;
        char *pub = NULL;
        char *dcdate = NULL;
        char *guid_link = NULL;
        const xmlNode *c;

        for (c = item->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (rss_el(c, "title")) {
                        set_once(&it->title, html_text(c, TITLE_MAX));
                } else if (rss_el(c, "link")) {
                        set_once(&it->link, resolve_text(w, c));
                } else if (rss_el(c, "guid")) {
                        char *perma = prop(c, "isPermaLink");

                        set_once(&it->guid, clean_text(c, GUID_MAX));
                        if (!guid_link && it->guid &&
                            (!perma || strcmp(perma, "false")))
                                guid_link = resolve(w, c, it->guid);
                        free(perma);
                } else if (rss_el(c, "description")) {
                        set_once(&summary, html_text(c, FETCHER_SUMMARY_MAX));
                } else if (ns_el(c, NS_CONTENT, "encoded")) {
                        set_once(&content, html_text(c, FETCHER_SUMMARY_MAX));
                } else if (rss_el(c, "pubDate")) {
                        set_once(&pub, clean_text(c, SHORT_MAX));
                } else if (ns_el(c, NS_DC, "date")) {
                        set_once(&dcdate, clean_text(c, SHORT_MAX));
                } else if (rss_el(c, "author")) {
                        add_unique(&it->authors, &it->nauthors,
                                   rss_author(c));
                } else if (ns_el(c, NS_DC, "creator")) {
                        add_unique(&it->authors, &it->nauthors,
                                   clean_text(c, SHORT_MAX));
                } else if (rss_el(c, "category") ||
                           ns_el(c, NS_DC, "subject")) {
                        add_unique(&it->categories, &it->ncategories,
                                   clean_text(c, SHORT_MAX));
                }
        }
        /* RSS 1.0: <item rdf:about="..."> names the item */
        if (!it->link && !guid_link) {
                xmlChar *about = xmlGetNsProp(item, (const xmlChar *)"about",
                                              (const xmlChar *)NS_RDF);

                if (about) {
                        guid_link = resolve(w, item, (const char *)about);
                        xmlFree(about);
                }
        }
        set_once(&it->link, guid_link);
        set_once(&summary, content);
        it->summary = summary;
        if (!pub) {
                pub = dcdate;
                dcdate = NULL;
        }
        free(dcdate);
        set_dates(it, pub, NULL);
}

/* A number of at most 9 digits, or -1. */
static int64_t small_num(const xmlNode *el)
{
        char *s = clean_text(el, SHORT_MAX);
        int64_t v = -1;
        size_t k = 0;

        if (s) {
                while (isdigit((unsigned char)s[k]) && k < 9)
                        k++;
                if (k && !s[k])
                        v = strtoll(s, NULL, 10);
        }
        free(s);
        return v;
}

/* <ttl> minutes, or sy:updatePeriod / sy:updateFrequency (RSS 1.0's
 * syndication module): how often the publisher says the feed changes. */
static void poll_hints(struct walk *w, const xmlNode *parent)
{
        static const struct {
                const char *name;
                int64_t s;
        } periods[] = { { "hourly", 3600 },     { "daily", 86400 },
                        { "weekly", 604800 },   { "monthly", 2592000 },
                        { "yearly", 31536000 } };
        int64_t period = 0, freq = 1, v;
        const xmlNode *c;
        size_t i;

        for (c = parent->children; c; c = c->next) {
                if (rss_el(c, "ttl")) {
                        v = small_num(c);
                        if (v > 0)
                                w->feed->ttl_s = v * 60;
                } else if (ns_el(c, NS_SY, "updatePeriod")) {
                        char *p = clean_text(c, SHORT_MAX);

                        for (i = 0; p && i < sizeof(periods) / sizeof(*periods);
                             i++)
                                if (!strcasecmp(p, periods[i].name))
                                        period = periods[i].s;
                        free(p);
                } else if (ns_el(c, NS_SY, "updateFrequency")) {
                        v = small_num(c);
                        if (v > 0)
                                freq = v;
                }
        }
        if (period && !w->feed->ttl_s)
                w->feed->ttl_s = period / freq > 0 ? period / freq : 1;
}

static void rss_channel_meta(struct walk *w, const xmlNode *ch)
{
        const xmlNode *c;

        poll_hints(w, ch);
        for (c = ch->children; c; c = c->next) {
                if (rss_el(c, "title"))
                        set_once(&w->feed->title, html_text(c, TITLE_MAX));
                else if (rss_el(c, "link"))
                        set_once(&w->feed->link, resolve_text(w, c));
                else if (rss_el(c, "language") ||
                         ns_el(c, NS_DC, "language"))
                        set_once(&w->feed->lang, clean_text(c, SHORT_MAX));
        }
}

static void rss_items(struct walk *w, const xmlNode *parent)
{
        const xmlNode *c;

        for (c = parent->children; c; c = c->next)
                if (rss_el(c, "item") && w->feed->n < FETCHER_FEED_MAX_ITEMS)
                        rss_item(w, c);
}

static enum vl_rc walk_rss(struct walk *w, const xmlNode *root,
                           struct vl_err *err)
{
        const xmlNode *ch = NULL;
        const xmlNode *c;

        for (c = root->children; c && !ch; c = c->next)
                if (rss_el(c, "channel"))
                        ch = c;
        if (!ch)
                return vl_err_set(err, VL_REJECT, "not a feed: no channel");
        rss_channel_meta(w, ch);
        rss_items(w, ch);
        /* RSS 1.0 and 0.90: items are siblings of the channel */
        if (named(root, "RDF"))
                rss_items(w, root);
        return VL_OK;
}

/* ---------------------------------------------------------------- Atom */

static char *atom_person(const struct walk *w, const xmlNode *el)
{
        const xmlNode *c;
        char *email = NULL;
        char *name = NULL;

        for (c = el->children; c; c = c->next) {
                if (atom_el(w, c, "name"))
                        set_once(&name, clean_text(c, SHORT_MAX));
                else if (atom_el(w, c, "email"))
                        set_once(&email, clean_text(c, SHORT_MAX));
        }
        if (name) {
                free(email);
                return name;
        }
        return email;
}

/* rel="alternate" or no rel: the entry's (or feed's) web page. */
static char *atom_link(const struct walk *w, const xmlNode *el)
{
        char *rel = prop(el, "rel");
        char *href = NULL;
        char *r = NULL;

        if (!rel || !strcmp(rel, "alternate")) {
                href = prop(el, "href");
                r = resolve(w, el, href);
        }
        free(rel);
        free(href);
        return r;
}

static void atom_entry(struct walk *w, const xmlNode *entry)
{
        struct fetcher_item *it = new_item(w->feed);
        char *summary = NULL;
        char *content = NULL;
        char *pub = NULL;
        char *upd = NULL;
        char *dcdate = NULL;
        const xmlNode *c;
        int i;

        for (c = entry->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (atom_el(w, c, "title")) {
                        set_once(&it->title, atom_text(c, TITLE_MAX));
                } else if (atom_el(w, c, "link")) {
                        set_once(&it->link, atom_link(w, c));
                } else if (atom_el(w, c, "id")) {
                        set_once(&it->guid, clean_text(c, GUID_MAX));
                } else if (atom_el(w, c, "published") ||
                           atom_el(w, c, "issued")) {
                        set_once(&pub, clean_text(c, SHORT_MAX));
                } else if (atom_el(w, c, "updated") ||
                           atom_el(w, c, "modified")) {
                        set_once(&upd, clean_text(c, SHORT_MAX));
                } else if (ns_el(c, NS_DC, "date")) {
                        set_once(&dcdate, clean_text(c, SHORT_MAX));
                } else if (atom_el(w, c, "summary")) {
                        set_once(&summary, atom_text(c, FETCHER_SUMMARY_MAX));
                } else if (atom_el(w, c, "content")) {
                        char *src = prop(c, "src");

                        if (!src)
                                set_once(&content,
                                         atom_text(c, FETCHER_SUMMARY_MAX));
                        free(src);
                } else if (atom_el(w, c, "author")) {
                        add_unique(&it->authors, &it->nauthors,
                                   atom_person(w, c));
                } else if (ns_el(c, NS_DC, "creator")) {
                        add_unique(&it->authors, &it->nauthors,
                                   clean_text(c, SHORT_MAX));
                } else if (atom_el(w, c, "category")) {
                        char *v = prop(c, "label");

                        if (!v || !*v) {
                                free(v);
                                v = prop(c, "term");
                        }
                        if (v)
                                add_unique(&it->categories, &it->ncategories,
                                           nonempty(fetcher_text_clean(
                                                   v, SHORT_MAX)));
                        free(v);
                } else if (ns_el(c, NS_DC, "subject")) {
                        add_unique(&it->categories, &it->ncategories,
                                   clean_text(c, SHORT_MAX));
                }
        }
        if (!it->nauthors)
                for (i = 0; i < w->nfeed_authors; i++)
                        add_unique(&it->authors, &it->nauthors,
                                   vl_xstrdup(w->feed_authors[i]));
        set_once(&summary, content);
        it->summary = summary;
        if (!pub) {
                pub = dcdate;
                dcdate = NULL;
        }
        free(dcdate);
        set_dates(it, pub, upd);
}

static enum vl_rc walk_atom(struct walk *w, const xmlNode *root)
{
        const xmlNode *c;
        xmlChar *lang = xmlNodeGetLang(root);

        if (lang) {
                set_once(&w->feed->lang,
                         nonempty(fetcher_text_clean((const char *)lang,
                                                     SHORT_MAX)));
                xmlFree(lang);
        }
        for (c = root->children; c; c = c->next) {
                if (atom_el(w, c, "title"))
                        set_once(&w->feed->title, atom_text(c, TITLE_MAX));
                else if (atom_el(w, c, "link"))
                        set_once(&w->feed->link, atom_link(w, c));
                else if (atom_el(w, c, "author"))
                        add_unique(&w->feed_authors, &w->nfeed_authors,
                                   atom_person(w, c));
        }
        for (c = root->children; c; c = c->next)
                if (atom_el(w, c, "entry") &&
                    w->feed->n < FETCHER_FEED_MAX_ITEMS)
                        atom_entry(w, c);
        return VL_OK;
}

/* ------------------------------------------------------------- sitemap */

/* Sitemap elements: the sitemaps.org namespace, Google's older one, or none
 * (sloppy generators). */
static bool sm_el(const xmlNode *n, const char *name)
{
        const char *ns = ns_of(n);

        return named(n, name) &&
               (!ns || strstr(ns, "sitemaps.org/schemas/sitemap") ||
                strstr(ns, "google.com/schemas/sitemap/"));
}

static void split_keywords(struct fetcher_item *it, const char *s)
{
        while (s && *s) {
                const char *comma = strchr(s, ',');
                size_t n = comma ? (size_t)(comma - s) : strlen(s);
                char *k = vl_xstrndup(s, n);

                add_unique(&it->categories, &it->ncategories,
                           nonempty(fetcher_text_clean(k, SHORT_MAX)));
                free(k);
                s = comma ? comma + 1 : NULL;
        }
}

static void sm_news(struct walk *w, const xmlNode *news,
                    struct fetcher_item *it, char **pub)
{
        const xmlNode *c, *p;

        for (c = news->children; c; c = c->next) {
                if (ns_el(c, NS_NEWS, "title")) {
                        set_once(&it->title, html_text(c, TITLE_MAX));
                } else if (ns_el(c, NS_NEWS, "publication_date")) {
                        set_once(pub, clean_text(c, SHORT_MAX));
                } else if (ns_el(c, NS_NEWS, "keywords")) {
                        char *k = clean_text(c, FETCHER_SUMMARY_MAX);

                        split_keywords(it, k);
                        free(k);
                } else if (ns_el(c, NS_NEWS, "publication")) {
                        for (p = c->children; p; p = p->next) {
                                if (ns_el(p, NS_NEWS, "name"))
                                        set_once(&w->feed->title,
                                                 clean_text(p, TITLE_MAX));
                                else if (ns_el(p, NS_NEWS, "language"))
                                        set_once(&w->feed->lang,
                                                 clean_text(p, SHORT_MAX));
                        }
                }
        }
}

static void sm_url(struct walk *w, const xmlNode *url)
{
        struct fetcher_item *it;
        char *pub = NULL;
        char *upd = NULL;
        char *loc = NULL;
        const xmlNode *c;

        for (c = url->children; c; c = c->next) {
                if (sm_el(c, "loc"))
                        set_once(&loc, resolve_text(w, c));
                else if (sm_el(c, "lastmod"))
                        set_once(&upd, clean_text(c, SHORT_MAX));
        }
        if (!loc) {
                free(upd);
                return;
        }
        it = new_item(w->feed);
        it->link = loc;
        for (c = url->children; c; c = c->next)
                if (ns_el(c, NS_NEWS, "news"))
                        sm_news(w, c, it, &pub);
        /* lastmod is when the page changed, not when it was published */
        set_dates(it, pub, NULL);
        if (upd) {
                it->updated = normalise_date(upd);
                if (it->updated)
                        free(upd);
                else
                        it->updated = upd;
        }
}

static void sm_child(struct walk *w, const xmlNode *sm)
{
        struct fetcher_feed *feed = w->feed;
        struct fetcher_child *ch;
        char *loc = NULL;
        char *mod = NULL;
        const xmlNode *c;

        for (c = sm->children; c; c = c->next) {
                if (sm_el(c, "loc"))
                        set_once(&loc, resolve_text(w, c));
                else if (sm_el(c, "lastmod"))
                        set_once(&mod, clean_text(c, SHORT_MAX));
        }
        if (!loc || feed->nchildren >= FETCHER_SITEMAP_MAX_CHILDREN) {
                free(loc);
                free(mod);
                return;
        }
        feed->children = vl_xrealloc(feed->children,
                                     (size_t)(feed->nchildren + 1) *
                                             sizeof(*feed->children));
        ch = &feed->children[feed->nchildren++];
        ch->url = loc;
        ch->lastmod = mod ? normalise_date(mod) : NULL;
        if (ch->lastmod)
                free(mod);
        else
                ch->lastmod = mod;
}

static enum vl_rc walk_sitemap(struct walk *w, const xmlNode *root)
{
        bool index = named(root, "sitemapindex");
        const xmlNode *c;

        for (c = root->children; c; c = c->next) {
                if (index && sm_el(c, "sitemap"))
                        sm_child(w, c);
                else if (!index && sm_el(c, "url") &&
                         w->feed->n < FETCHER_SITEMAP_MAX_ITEMS)
                        sm_url(w, c);
        }
        return VL_OK;
}

/* ----------------------------------------------------------- JSON Feed */

static const char *jstr(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *jclean(const json_t *o, const char *key, size_t max)
{
        const char *v = jstr(o, key);

        return v ? nonempty(fetcher_text_clean(v, max)) : NULL;
}

static void json_authors(const json_t *o, char ***v, int *n)
{
        const json_t *a = json_object_get(o, "authors");
        const json_t *e;
        size_t i;

        json_array_foreach(a, i, e)
                add_unique(v, n, jclean(e, "name", SHORT_MAX));
        /* JSON Feed 1.0 */
        a = json_object_get(o, "author");
        if (json_is_object(a))
                add_unique(v, n, jclean(a, "name", SHORT_MAX));
}

static void json_item(struct walk *w, const json_t *o, char **fa, int nfa)
{
        struct fetcher_item *it;
        const json_t *id = json_object_get(o, "id");
        const json_t *tags = json_object_get(o, "tags");
        const json_t *e;
        const char *link;
        char *pub, *upd;
        char idbuf[32];
        size_t i;
        int k;

        if (!json_is_object(o))
                return;
        it = new_item(w->feed);
        if (json_is_integer(id)) {
                snprintf(idbuf, sizeof(idbuf), "%lld",
                         (long long)json_integer_value(id));
                it->guid = vl_xstrdup(idbuf);
        } else if (json_is_string(id)) {
                it->guid = nonempty(fetcher_text_clean(json_string_value(id),
                                                       GUID_MAX));
        }
        link = jstr(o, "url");
        if (!link)
                link = jstr(o, "external_url");
        if (!link && it->guid && (!strncmp(it->guid, "http://", 7) ||
                                  !strncmp(it->guid, "https://", 8)))
                link = it->guid;
        it->link = link ? vl_url_resolve(w->url, link, NULL) : NULL;
        it->title = jclean(o, "title", TITLE_MAX);
        it->summary = jclean(o, "summary", FETCHER_SUMMARY_MAX);
        if (!it->summary)
                it->summary = jclean(o, "content_text", FETCHER_SUMMARY_MAX);
        if (!it->summary && jstr(o, "content_html"))
                it->summary = nonempty(fetcher_text_from_html(
                        jstr(o, "content_html"), FETCHER_SUMMARY_MAX));
        json_authors(o, &it->authors, &it->nauthors);
        if (!it->nauthors)
                for (k = 0; k < nfa; k++)
                        add_unique(&it->authors, &it->nauthors,
                                   vl_xstrdup(fa[k]));
        json_array_foreach(tags, i, e)
                if (json_is_string(e))
                        add_unique(&it->categories, &it->ncategories,
                                   nonempty(fetcher_text_clean(
                                           json_string_value(e), SHORT_MAX)));
        pub = jclean(o, "date_published", SHORT_MAX);
        upd = jclean(o, "date_modified", SHORT_MAX);
        set_dates(it, pub, upd);
}

/* JSON cut off or damaged at @p bad: the document up to the last object
 * closed before it, with the brackets still open closed. Tries the last
 * few such places. @returns new JSON or NULL. */
static json_t *json_salvage(const char *buf, size_t len, size_t bad)
{
        size_t cuts[8];
        int ncuts = 0, t;
        bool str = false, esc = false;
        size_t i;

        if (bad > len)
                bad = len;
        for (i = 0; i < bad; i++) {
                char c = buf[i];

                if (str) {
                        if (esc)
                                esc = false;
                        else if (c == '\\')
                                esc = true;
                        else if (c == '"')
                                str = false;
                        continue;
                }
                if (c == '"') {
                        str = true;
                } else if (c == '}') {
                        cuts[ncuts % 8] = i + 1;
                        ncuts++;
                }
        }
        for (t = 0; t < 8 && t < ncuts; t++) {
                size_t cut = cuts[(ncuts - 1 - t) % 8];
                char stack[256];
                int depth = 0;
                bool deep = false;
                struct vl_buf b;
                json_t *j;

                str = esc = false;
                for (i = 0; i < cut; i++) {
                        char c = buf[i];

                        if (str) {
                                if (esc)
                                        esc = false;
                                else if (c == '\\')
                                        esc = true;
                                else if (c == '"')
                                        str = false;
                                continue;
                        }
                        if (c == '"') {
                                str = true;
                        } else if (c == '{' || c == '[') {
                                if (depth == (int)sizeof(stack))
                                        deep = true;
                                else
                                        stack[depth++] = c;
                        } else if ((c == '}' || c == ']') && depth > 0) {
                                depth--;
                        }
                }
                if (deep || depth == 0)
                        continue;
                vl_buf_init(&b, 0);
                vl_buf_append(&b, buf, cut, NULL);
                while (depth-- > 0)
                        vl_buf_append(&b, stack[depth] == '{' ? "}" : "]", 1,
                                      NULL);
                j = json_loadb(b.data, b.len, 0, NULL);
                vl_buf_release(&b);
                if (j)
                        return j;
        }
        return NULL;
}

static enum vl_rc parse_json(struct walk *w, const char *buf, size_t len,
                             struct vl_err *err)
{
        struct fetcher_feed *feed = w->feed;
        json_error_t jerr;
        json_t *root = json_loadb(buf, len, 0, &jerr);
        const json_t *items, *e;
        const char *version;
        char **fa = NULL;
        int nfa = 0, k;
        size_t i;

        feed->type = FETCHER_FEED_JSON;
        if (!root) {
                root = json_salvage(buf, len, (size_t)jerr.position);
                if (!root)
                        return vl_err_set(err, VL_REJECT,
                                          "not a feed: invalid JSON: %s "
                                          "(at byte %d)",
                                          jerr.text, jerr.position);
                feed->malformed = true;
                snprintf(feed->warning, sizeof(feed->warning), "%s",
                         jerr.text);
        }
        version = jstr(root, "version");
        if (!version || strncmp(version, "https://jsonfeed.org/version/",
                                29)) {
                json_decref(root);
                return vl_err_set(err, VL_REJECT, "not a feed: JSON without "
                                  "a jsonfeed.org version");
        }
        feed->title = jclean(root, "title", TITLE_MAX);
        if (jstr(root, "home_page_url"))
                feed->link = vl_url_resolve(w->url,
                                            jstr(root, "home_page_url"), NULL);
        feed->lang = jclean(root, "language", SHORT_MAX);
        json_authors(root, &fa, &nfa);
        items = json_object_get(root, "items");
        json_array_foreach(items, i, e) {
                if (feed->n >= FETCHER_FEED_MAX_ITEMS)
                        break;
                json_item(w, e, fa, nfa);
        }
        for (k = 0; k < nfa; k++)
                free(fa[k]);
        free(fa);
        json_decref(root);
        return VL_OK;
}

/* ------------------------------------------------------------ URL list */

static bool is_http(const char *s, size_t n)
{
        return (n > 7 && !strncasecmp(s, "http://", 7)) ||
               (n > 8 && !strncasecmp(s, "https://", 8));
}

/* The first line that is neither blank nor a '#' comment is a URL. */
static bool looks_like_urls(const char *buf, size_t len)
{
        size_t i = 0;

        while (i < len) {
                size_t e = i;

                while (e < len && buf[e] != '\n')
                        e++;
                while (i < e && isspace((unsigned char)buf[i]))
                        i++;
                if (i < e && buf[i] != '#')
                        return is_http(buf + i, e - i);
                i = e + 1;
        }
        return false;
}

static enum vl_rc parse_urls(struct walk *w, const char *buf, size_t len)
{
        struct fetcher_feed *feed = w->feed;
        int bad = 0, first_bad = 0, line = 0;
        size_t i = 0;

        feed->type = FETCHER_FEED_URLS;
        while (i < len && feed->n < FETCHER_SITEMAP_MAX_ITEMS) {
                size_t e = i, b;
                char *u, *abs;

                while (e < len && buf[e] != '\n')
                        e++;
                line++;
                b = e;
                while (i < b && isspace((unsigned char)buf[i]))
                        i++;
                while (b > i && isspace((unsigned char)buf[b - 1]))
                        b--;
                if (i < b && buf[i] != '#') {
                        u = vl_xstrndup(buf + i, b - i);
                        abs = is_http(u, b - i) && !strpbrk(u, " \t")
                                      ? vl_url_resolve(u, u, NULL)
                                      : NULL;
                        if (abs) {
                                new_item(feed)->link = abs;
                        } else if (!bad++) {
                                first_bad = line;
                        }
                        free(u);
                }
                i = e + 1;
        }
        if (bad) {
                feed->malformed = true;
                snprintf(feed->warning, sizeof(feed->warning),
                         "%d lines are not http(s) URLs, the first is line %d",
                         bad, first_bad);
        }
        return VL_OK;
}

/* ------------------------------------------------------------- parsing */

/* Offset of @p needle in buf[from, len), or len. */
static size_t find(const char *buf, size_t len, size_t from,
                   const char *needle)
{
        size_t n = strlen(needle);

        for (; from + n <= len; from++)
                if (buf[from] == needle[0] && !memcmp(buf + from, needle, n))
                        return from;
        return len;
}

static void splice(struct vl_buf *out, bool *changed, const char *buf,
                   size_t *last, size_t at, const char *with)
{
        if (!*changed)
                vl_buf_init(out, 0);
        *changed = true;
        vl_buf_append(out, buf + *last, at - *last, NULL);
        vl_buf_append(out, with, strlen(with), NULL);
}

/* Is there a character reference ("&#233;", "&#xe9;") at @p i? */
static bool char_ref(const char *buf, size_t len, size_t i)
{
        size_t j = i + 2;
        bool hex = j < len && (buf[j] == 'x' || buf[j] == 'X');
        size_t d;

        j += hex;
        for (d = j; j < len && (hex ? isxdigit((unsigned char)buf[j])
                                    : isdigit((unsigned char)buf[j]));
             j++)
                ;
        return j > d && j < len && buf[j] == ';';
}

/* XML knows five named entities; feeds use HTML's (&eacute; &nbsp;) and
 * bare ampersands ("Fish & chips"), on which libxml2 drops text. Outside
 * CDATA sections and comments, rewrite HTML entities as character
 * references, and escape an '&' that starts no reference (or an unknown
 * name, unless the document declares entities of its own).
 * @returns true if @p out was filled. */
static bool fix_entities(const char *buf, size_t len, struct vl_buf *out)
{
        bool own_entities = find(buf, len, 0, "<!ENTITY") < len;
        bool changed = false;
        size_t last = 0;
        size_t i;

        /* UTF-16 or UTF-32: leave it to libxml2 */
        if (len >= 2 && (!buf[0] || !buf[1] || (unsigned char)buf[0] >= 0xfe))
                return false;
        for (i = 0; i < len; i++) {
                const htmlEntityDesc *ed;
                char name[33];
                char ref[16];
                size_t j, n;

                if (buf[i] == '<' && i + 9 <= len &&
                    !memcmp(buf + i, "<![CDATA[", 9)) {
                        i = find(buf, len, i + 9, "]]>") + 2;
                        continue;
                }
                if (buf[i] == '<' && i + 4 <= len &&
                    !memcmp(buf + i, "<!--", 4)) {
                        i = find(buf, len, i + 4, "-->") + 2;
                        continue;
                }
                if (buf[i] != '&')
                        continue;
                if (i + 1 < len && buf[i + 1] == '#') {
                        if (!char_ref(buf, len, i)) {
                                splice(out, &changed, buf, &last, i, "&amp;");
                                last = i + 1;
                        }
                        continue;
                }
                for (j = i + 1; j < len && j - i - 1 < sizeof(name) - 1 &&
                                isalnum((unsigned char)buf[j]);
                     j++)
                        ;
                n = j - i - 1;
                if (n == 0 || !isalpha((unsigned char)buf[i + 1]) ||
                    j >= len || buf[j] != ';') {
                        splice(out, &changed, buf, &last, i, "&amp;");
                        last = i + 1;
                        continue;
                }
                memcpy(name, buf + i + 1, n);
                name[n] = '\0';
                if (!strcmp(name, "amp") || !strcmp(name, "lt") ||
                    !strcmp(name, "gt") || !strcmp(name, "quot") ||
                    !strcmp(name, "apos"))
                        continue;
                ed = htmlEntityLookup((const xmlChar *)name);
                if (ed) {
                        snprintf(ref, sizeof(ref), "&#%u;", ed->value);
                        splice(out, &changed, buf, &last, i, ref);
                        last = j + 1;
                        i = j;
                } else if (!own_entities) {
                        splice(out, &changed, buf, &last, i, "&amp;");
                        last = i + 1;
                }
        }
        if (changed)
                vl_buf_append(out, buf + last, len - last, NULL);
        return changed;
}

static void ctxt_error(xmlParserCtxtPtr ctxt, char *out, size_t n)
{
        xmlErrorPtr xe = xmlCtxtGetLastError(ctxt);
        size_t k;

        snprintf(out, n, "%s",
                 xe && xe->message ? xe->message : "unknown parse error");
        k = strlen(out);
        while (k && (out[k - 1] == '\n' || out[k - 1] == ' '))
                out[--k] = '\0';
}

enum vl_rc fetcher_feed_parse(struct fetcher_feed *feed, const char *buf,
                              size_t len, const char *url,
                              enum fetcher_feed_type want,
                              struct vl_err *err)
{
        struct walk w = { .url = url, .feed = feed };
        xmlParserCtxtPtr ctxt = NULL;
        xmlDocPtr doc = NULL;
        const xmlNode *root;
        struct vl_buf fixed;
        char msg[160];
        enum vl_rc rc;
        int i;

        memset(feed, 0, sizeof(*feed));
        if (len > INT_MAX)
                return vl_err_set(err, VL_REJECT, "oversized feed (%zu bytes)",
                                  len);
        {
                size_t k = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;

                while (k < len && isspace((unsigned char)buf[k]))
                        k++;
                if (k < len && buf[k] == '{' &&
                    (want == FETCHER_FEED_AUTO || want == FETCHER_FEED_JSON)) {
                        rc = parse_json(&w, buf + k, len - k, err);
                        goto out_nodoc;
                }
                if (want == FETCHER_FEED_URLS ||
                    (want == FETCHER_FEED_AUTO && k < len && buf[k] != '<' &&
                     looks_like_urls(buf + k, len - k))) {
                        rc = parse_urls(&w, buf + k, len - k);
                        goto out_nodoc;
                }
                if (want == FETCHER_FEED_JSON)
                        return vl_err_set(err, VL_REJECT,
                                          "expected a json feed, got "
                                          "something else");
        }
        if (fix_entities(buf, len, &fixed)) {
                buf = fixed.data;
                len = fixed.len;
        } else {
                vl_buf_init(&fixed, 0);
        }
        ctxt = xmlNewParserCtxt();
        if (!ctxt) {
                rc = vl_err_set(err, VL_FATAL, "cannot allocate xml parser");
                goto out;
        }
        doc = xmlCtxtReadMemory(ctxt, buf, (int)len, url, NULL,
                                FETCHER_XML_OPTS);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!root) {
                ctxt_error(ctxt, msg, sizeof(msg));
                rc = vl_err_set(err, VL_REJECT, "not a feed: %s", msg);
                goto out;
        }
        if (named(root, "rss") ||
            (ns_el(root, NS_RDF, "RDF"))) {
                feed->type = FETCHER_FEED_RSS;
        } else if (named(root, "feed") &&
                   (!ns_of(root) || !strcmp(ns_of(root), NS_ATOM) ||
                    !strcmp(ns_of(root), NS_ATOM03))) {
                feed->type = FETCHER_FEED_ATOM;
                w.atom_ns = ns_of(root);
        } else if (named(root, "urlset") || named(root, "sitemapindex")) {
                feed->type = FETCHER_FEED_SITEMAP;
        } else {
                rc = vl_err_set(err, VL_REJECT,
                                "not a feed: root element '%.64s'",
                                (const char *)root->name);
                goto out;
        }
        if (want != FETCHER_FEED_AUTO && want != feed->type) {
                rc = vl_err_set(err, VL_REJECT, "expected an %s feed, got %s",
                                fetcher_feed_type_name(want),
                                fetcher_feed_type_name(feed->type));
                goto out;
        }
        if (!ctxt->wellFormed) {
                feed->malformed = true;
                ctxt_error(ctxt, feed->warning, sizeof(feed->warning));
        }
        if (feed->type == FETCHER_FEED_RSS)
                rc = walk_rss(&w, root, err);
        else if (feed->type == FETCHER_FEED_ATOM)
                rc = walk_atom(&w, root);
        else
                rc = walk_sitemap(&w, root);
out:
        for (i = 0; i < w.nfeed_authors; i++)
                free(w.feed_authors[i]);
        free(w.feed_authors);
        if (rc != VL_OK)
                fetcher_feed_release(feed);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        vl_buf_release(&fixed);
        return rc;
out_nodoc:
        if (rc == VL_OK && want != FETCHER_FEED_AUTO && want != feed->type)
                rc = vl_err_set(err, VL_REJECT, "expected an %s feed, got %s",
                                fetcher_feed_type_name(want),
                                fetcher_feed_type_name(feed->type));
        if (rc != VL_OK)
                fetcher_feed_release(feed);
        return rc;
}

void fetcher_item_release(struct fetcher_item *it)
{
        int i;

        free(it->link);
        free(it->guid);
        free(it->title);
        free(it->published);
        free(it->published_raw);
        free(it->updated);
        free(it->summary);
        for (i = 0; i < it->nauthors; i++)
                free(it->authors[i]);
        free(it->authors);
        for (i = 0; i < it->ncategories; i++)
                free(it->categories[i]);
        free(it->categories);
        memset(it, 0, sizeof(*it));
}

void fetcher_feed_release(struct fetcher_feed *feed)
{
        int i;

        for (i = 0; i < feed->n; i++)
                fetcher_item_release(&feed->items[i]);
        free(feed->items);
        for (i = 0; i < feed->nchildren; i++) {
                free(feed->children[i].url);
                free(feed->children[i].lastmod);
        }
        free(feed->children);
        free(feed->title);
        free(feed->link);
        free(feed->lang);
        memset(feed, 0, sizeof(*feed));
}
