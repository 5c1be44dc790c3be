/* Feed autodiscovery: the feeds a home page announces with
 * <link rel="alternate" type="application/rss+xml" href="...">, read with
 * libxml2's HTML parser (forgiving, never on the network). Sitemaps come
 * from robots.txt's Sitemap lines (robots.c, cached by http.c). */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include "veille/mem.h"
#include "veille/url.h"
#include "fetcher.h"

#define DISCOVER_OPTS                                                          \
        (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |      \
         HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED)
#define DISCOVER_MAX_NODES 200000 /* elements looked at, at most */

static char *attr(const xmlNode *n, const char *name)
{
        xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
        char *r;

        if (!v)
                return NULL;
        r = vl_xstrdup((const char *)v);
        xmlFree(v);
        return r;
}

/* Is @p tok one of the space-separated words of @p list (no case)? */
static bool has_token(const char *list, const char *tok)
{
        size_t n = strlen(tok);
        const char *p = list;

        while (p && *p) {
                while (isspace((unsigned char)*p))
                        p++;
                if (!strncasecmp(p, tok, n) &&
                    (!p[n] || isspace((unsigned char)p[n])))
                        return true;
                while (*p && !isspace((unsigned char)*p))
                        p++;
        }
        return false;
}

static enum fetcher_feed_type type_of(const char *mime)
{
        char m[64];
        size_t k = 0;

        if (!mime)
                return (enum fetcher_feed_type)-1;
        while (*mime == ' ')
                mime++;
        while (mime[k] && mime[k] != ';' && mime[k] != ' ' &&
               k < sizeof(m) - 1) {
                m[k] = (char)tolower((unsigned char)mime[k]);
                k++;
        }
        m[k] = '\0';
        if (!strcmp(m, "application/rss+xml") ||
            !strcmp(m, "application/rdf+xml"))
                return FETCHER_FEED_RSS;
        if (!strcmp(m, "application/atom+xml"))
                return FETCHER_FEED_ATOM;
        if (!strcmp(m, "application/feed+json"))
                return FETCHER_FEED_JSON;
        if (!strcmp(m, "text/xml") || !strcmp(m, "application/xml"))
                return FETCHER_FEED_AUTO;
        return (enum fetcher_feed_type)-1;
}

/* Comment feeds (WordPress's "Comments Feed", per-article comments) are
 * not news. */
static bool comment_feed(const char *href, const char *title)
{
        bool r = href && strstr(href, "/comments/feed");
        char *t;

        if (r || !title)
                return r;
        t = vl_xstrdup(title);
        for (char *p = t; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        r = strstr(t, "comment") != NULL; /* comments, commentaires */
        free(t);
        return r;
}

struct disc {
        char *base;
        struct fetcher_discovered *v;
        int n;
        int nodes;
};

static void add(struct disc *d, const xmlNode *n)
{
        char *rel = attr(n, "rel");
        char *mime = NULL, *href = NULL, *title = NULL, *abs = NULL;
        enum fetcher_feed_type t;
        int i;

        if (!rel || !has_token(rel, "alternate") ||
            has_token(rel, "stylesheet"))
                goto out;
        mime = attr(n, "type");
        t = type_of(mime);
        if ((int)t < 0)
                goto out;
        href = attr(n, "href");
        title = attr(n, "title");
        if (!href || !*href || comment_feed(href, title))
                goto out;
        abs = vl_url_resolve(d->base, href, NULL);
        if (!abs || (strncmp(abs, "http://", 7) && strncmp(abs, "https://", 8)))
                goto out;
        for (i = 0; i < d->n; i++)
                if (!strcmp(d->v[i].url, abs))
                        goto out;
        if (d->n >= FETCHER_DISCOVER_MAX)
                goto out;
        d->v = vl_xrealloc(d->v, (size_t)(d->n + 1) * sizeof(*d->v));
        d->v[d->n].url = abs;
        d->v[d->n].type = t;
        d->v[d->n].title = title ? fetcher_text_clean(title, 256) : NULL;
        d->n++;
        abs = NULL;
out:
        free(rel);
        free(mime);
        free(href);
        free(title);
        free(abs);
}

static void walk(struct disc *d, const xmlNode *n)
{
        for (; n && d->nodes < DISCOVER_MAX_NODES; n = n->next) {
                if (n->type != XML_ELEMENT_NODE)
                        continue;
                d->nodes++;
                if (!strcasecmp((const char *)n->name, "base")) {
                        char *h = attr(n, "href");
                        char *b = h ? vl_url_resolve(d->base, h, NULL) : NULL;

                        if (b) {
                                free(d->base);
                                d->base = b;
                        }
                        free(h);
                } else if (!strcasecmp((const char *)n->name, "link")) {
                        add(d, n);
                }
                walk(d, n->children);
        }
}

int fetcher_discover_feeds(const char *html, size_t len, const char *page_url,
                           struct fetcher_discovered **out)
{
        struct disc d = { .base = vl_xstrdup(page_url) };
        htmlDocPtr doc;

        *out = NULL;
        if (len > INT_MAX || !len) {
                free(d.base);
                return 0;
        }
        doc = htmlReadMemory(html, (int)len, page_url, NULL, DISCOVER_OPTS);
        if (doc)
                walk(&d, xmlDocGetRootElement(doc));
        xmlFreeDoc(doc);
        free(d.base);
        *out = d.v;
        return d.n;
}

void fetcher_discovered_free(struct fetcher_discovered *v, int n)
{
        int i;

        for (i = 0; i < n; i++) {
                free(v[i].url);
                free(v[i].title);
        }
        free(v);
}
