/* Article metadata from the whole page: <meta> tags (Open Graph, Dublin
 * Core, the usual names), JSON-LD, <link rel>, <time>, itemprop, bylines,
 * and the page event's feed item as the last resort. Each field has a fixed
 * order of sources; the first that gives a usable value wins. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "veille/codec.h"
#include "veille/lang.h"
#include "veille/mem.h"
#include "veille/url.h"
#include "parser.h"

#define MAX_METAS 1024
#define MAX_TITLE_BYTES 400
#define MAX_TIMES 32
#define MAX_H1 8
#define MAX_BYLINES 8
#define MAX_TAGS 30
#define MAX_TAG_BYTES 80
#define MAX_AUTHOR_BYTES 80
#define BYLINE_SCAN_BLOCKS 60

struct kv {
        const char *k; /* lowercase attribute value: "og:title" */
        const char *v;
};

struct time_el {
        const char *dt;   /* datetime, content or text */
        char *own;        /* owned text when dt is the element's text */
        const char *prop; /* itemprop, may be NULL */
        bool pubdate;
        bool in_article;
};

/* What one pass over the document gathers. Strings are borrowed from the
 * tree unless said otherwise. */
struct scan {
        struct kv metas[MAX_METAS];
        int nmetas;
        struct time_el times[MAX_TIMES];
        int ntimes;
        const char *html_lang;
        const char *canonical;
        const char *base_href;
        const char *image_src;
        char *title;                 /* owned */
        char *h1[MAX_H1];            /* owned */
        bool h1_in_article[MAX_H1];
        int nh1;
        struct parser_strv rel_authors;  /* <a rel=author> texts */
        struct parser_strv prop_authors; /* itemprop=author texts */
        struct parser_strv bylines;      /* class/id byline|author texts */
        char *headline_prop;             /* itemprop=headline, owned */
        char *par_line;                  /* first "Par X" line, owned */
};

/* ---------------------------------------------------------------- names */

const char *parser_date_source_name(enum parser_date_source s)
{
        switch (s) {
        case PARSER_DATE_JSONLD:
                return "jsonld";
        case PARSER_DATE_OG:
                return "og";
        case PARSER_DATE_META:
                return "meta";
        case PARSER_DATE_TIME:
                return "time";
        case PARSER_DATE_FEED:
                return "feed";
        case PARSER_DATE_NONE:
                break;
        }
        return NULL;
}

const char *parser_lang_source_name(enum parser_lang_source s)
{
        switch (s) {
        case PARSER_LANG_HTML:
                return "html";
        case PARSER_LANG_META:
                return "meta";
        case PARSER_LANG_HTTP:
                return "http";
        case PARSER_LANG_SOURCE:
                return "source";
        case PARSER_LANG_DETECT:
                return "detect";
        case PARSER_LANG_NONE:
                break;
        }
        return NULL;
}

/* ------------------------------------------------------------ utilities */

static bool empty(const char *s)
{
        if (!s)
                return true;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        return !*s;
}

/* The host of @p url, lowercased, without "www." and port. */
static void host_of(const char *url, char *buf, size_t n)
{
        const char *p = url ? strstr(url, "://") : NULL;
        size_t k = 0;

        buf[0] = '\0';
        if (!p)
                return;
        p += 3;
        {
                const char *at = strchr(p, '@');
                size_t auth = strcspn(p, "/?#");

                if (at && (size_t)(at - p) < auth)
                        p = at + 1;
        }
        if (strncasecmp(p, "www.", 4) == 0)
                p += 4;
        while (*p && *p != '/' && *p != ':' && *p != '?' && *p != '#' &&
               k + 1 < n) {
                char c = *p++;

                buf[k++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        buf[k] = '\0';
}

/* True when the URL's path is "/" or empty. */
static bool root_path(const char *url)
{
        const char *p = strstr(url, "://");

        if (!p)
                return false;
        p = strpbrk(p + 3, "/?#");
        return !p || *p != '/' || p[1] == '\0' || p[1] == '?' || p[1] == '#';
}

static const char *meta_get(const struct scan *sc, const char *key)
{
        for (int i = 0; i < sc->nmetas; i++)
                if (strcasecmp(sc->metas[i].k, key) == 0 &&
                    !empty(sc->metas[i].v))
                        return sc->metas[i].v;
        return NULL;
}

/* The first of @p keys (NULL-terminated) that has a value. */
static const char *meta_any(const struct scan *sc, const char *const *keys)
{
        for (; *keys; keys++) {
                const char *v = meta_get(sc, *keys);

                if (v)
                        return v;
        }
        return NULL;
}

static char *dup_clean(const char *s)
{
        char *c;

        if (empty(s))
                return NULL;
        c = vl_text_collapse(s);
        if (!*c) {
                free(c);
                return NULL;
        }
        return c;
}

/* Resolve @p ref against @p base and check it is http(s). @returns new. */
static char *resolve(const char *base, const char *ref)
{
        struct vl_err err;
        char *r, *t;

        if (empty(ref))
                return NULL;
        t = vl_text_collapse(ref);
        r = vl_url_resolve(base, t, &err);
        free(t);
        return r;
}

/* ASCII case-insensitive substring test. */
static bool ci_contains(const char *hay, const char *needle)
{
        size_t n = strlen(needle);

        for (; *hay; hay++)
                if (strncasecmp(hay, needle, n) == 0)
                        return true;
        return false;
}

/* ------------------------------------------------------------- scanning */

static char *dup_clean_text(xmlNode *n)
{
        char *t = parser_html_text(n);

        if (!*t) {
                free(t);
                return NULL;
        }
        return t;
}

static bool in_article(const xmlNode *n)
{
        for (const xmlNode *a = n->parent; a; a = a->parent)
                if (parser_html_is(a, "article") || parser_html_is(a, "main"))
                        return true;
        return false;
}

/* A subtree of at most @p max nodes, of inline content only unless
 * @p blocks (bounds the work of the byline scans). */
static bool small(xmlNode *n, int max, bool blocks)
{
        int count = 0;

        for (xmlNode *c = n->children; c; c = parser_html_next(c, n, false)) {
                if (++count > max || (!blocks && parser_html_is_block(c)))
                        return false;
        }
        return true;
}

/* The element's class and id, lowercased, space separated (bounded):
 * @returns false when it has neither. */
static bool class_id_lower(const xmlNode *n, char *buf, size_t size)
{
        const char *attrs[] = { "class", "id" };
        size_t k = 0;

        for (int i = 0; i < 2; i++) {
                const char *v = parser_html_attr(n, attrs[i]);

                if (!v || !*v)
                        continue;
                if (k && k + 1 < size)
                        buf[k++] = ' ';
                for (; *v && k + 1 < size; v++)
                        buf[k++] = (char)(*v >= 'A' && *v <= 'Z' ?
                                          *v - 'A' + 'a' : *v);
        }
        buf[k] = '\0';
        return k > 0;
}

static void add_meta(struct scan *sc, const char *k, const char *v)
{
        if (!k || !v || sc->nmetas >= MAX_METAS)
                return;
        sc->metas[sc->nmetas].k = k;
        sc->metas[sc->nmetas].v = v;
        sc->nmetas++;
}

static void scan_meta(struct scan *sc, xmlNode *n)
{
        const char *content = parser_html_attr(n, "content");
        const char *a;

        if (!content) {
                /* <meta charset> and such */
                return;
        }
        a = parser_html_attr(n, "property");
        if (a)
                add_meta(sc, a, content);
        a = parser_html_attr(n, "name");
        if (a)
                add_meta(sc, a, content);
        a = parser_html_attr(n, "itemprop");
        if (a)
                add_meta(sc, a, content);
        a = parser_html_attr(n, "http-equiv");
        if (a)
                add_meta(sc, a, content);
}

static void scan_link(struct scan *sc, xmlNode *n)
{
        const char *rel = parser_html_attr(n, "rel");
        const char *href = parser_html_attr(n, "href");

        if (!rel || empty(href))
                return;
        if (parser_html_has_token(rel, "canonical") && !sc->canonical)
                sc->canonical = href;
        else if (parser_html_has_token(rel, "image_src") && !sc->image_src)
                sc->image_src = href;
}

static void scan_time(struct scan *sc, xmlNode *n, const char *prop,
                      bool in_article)
{
        struct time_el *t;
        const char *dt = parser_html_attr(n, "datetime");

        if (sc->ntimes >= MAX_TIMES)
                return;
        t = &sc->times[sc->ntimes];
        memset(t, 0, sizeof(*t));
        if (empty(dt))
                dt = parser_html_attr(n, "content");
        if (empty(dt)) {
                if (!small(n, 30, true))
                        return;
                t->own = parser_html_text(n);
                if (!*t->own || strlen(t->own) > 100) {
                        free(t->own);
                        return;
                }
                dt = t->own;
        }
        t->dt = dt;
        t->prop = prop;
        t->pubdate = parser_html_attr(n, "pubdate") != NULL;
        t->in_article = in_article;
        sc->ntimes++;
}

/* "Par Jean Dupont", "By John Smith": short lines at the top of the text. */
static bool looks_byline(const char *text)
{
        char *f;
        bool yes;
        int words;

        if (strlen(text) > 160)
                return false;
        words = parser_text_word_count(text);
        if (words < 2 || words > 14)
                return false;
        f = vl_text_fold(text, 0);
        yes = parser_text_starts_word(f, "par") ||
              parser_text_starts_word(f, "by") ||
              parser_text_starts_word(f, "written by") ||
              parser_text_starts_word(f, "auteur") ||
              parser_text_starts_word(f, "author");
        free(f);
        return yes;
}

static bool is_byline_el(const xmlNode *n)
{
        const char *rel = parser_html_attr(n, "rel");

        if (rel && parser_html_has_token(rel, "author"))
                return true;
        char key[512];

        if (!class_id_lower(n, key, sizeof(key)))
                return false;
        if (!strstr(key, "byline") && !strstr(key, "author") &&
            !strstr(key, "auteur") && !strstr(key, "signature"))
                return false;
        /* an author's biography box is not a byline */
        return !strstr(key, "bio") && !strstr(key, "box") &&
               !strstr(key, "avatar") && !strstr(key, "comment");
}

static void scan_doc(struct scan *sc, htmlDocPtr doc)
{
        xmlNode *root = xmlDocGetRootElement(doc);
        int blocks = 0;

        if (!root)
                return;
        sc->html_lang = parser_html_attr(root, "lang");
        if (empty(sc->html_lang))
                sc->html_lang = parser_html_attr(root, "xml:lang");
        for (xmlNode *n = root; n;) {
                const char *name = parser_html_name(n);
                const char *prop;
                bool skip = false;

                if (!*name) {
                        n = parser_html_next(n, root, false);
                        continue;
                }
                prop = parser_html_attr(n, "itemprop");
                if (strcmp(name, "meta") == 0) {
                        scan_meta(sc, n);
                } else if (strcmp(name, "link") == 0) {
                        scan_link(sc, n);
                } else if (strcmp(name, "base") == 0) {
                        if (!sc->base_href)
                                sc->base_href = parser_html_attr(n, "href");
                } else if (strcmp(name, "title") == 0 && !sc->title) {
                        /* the document title, not an <svg><title> */
                        for (xmlNode *a = n->parent; a; a = a->parent) {
                                if (parser_html_is(a, "head")) {
                                        sc->title = dup_clean_text(n);
                                        break;
                                }
                        }
                        /* an unclosed <title> swallows the page */
                        if (sc->title && strlen(sc->title) > MAX_TITLE_BYTES) {
                                free(sc->title);
                                sc->title = NULL;
                        }
                        skip = sc->title != NULL;
                } else if (strcmp(name, "script") == 0 ||
                           strcmp(name, "style") == 0 ||
                           strcmp(name, "svg") == 0) {
                        skip = true;
                } else if (strcmp(name, "time") == 0 ||
                           (prop && (strcasecmp(prop, "datePublished") == 0 ||
                                     strcasecmp(prop, "dateModified") == 0 ||
                                     strcasecmp(prop, "dateCreated") == 0))) {
                        scan_time(sc, n, prop, in_article(n));
                } else if (strcmp(name, "h1") == 0 && sc->nh1 < MAX_H1) {
                        char *t = parser_html_text(n);

                        if (*t && strlen(t) <= MAX_TITLE_BYTES) {
                                sc->h1_in_article[sc->nh1] = in_article(n);
                                sc->h1[sc->nh1++] = t;
                        } else {
                                free(t);
                        }
                }
                if (prop && strcasecmp(prop, "headline") == 0 &&
                    !sc->headline_prop && strcmp(name, "meta") != 0 &&
                    small(n, 60, true))
                        sc->headline_prop = dup_clean_text(n);
                if (prop && strcasecmp(prop, "author") == 0 &&
                    strcmp(name, "meta") != 0 &&
                    sc->prop_authors.n < MAX_BYLINES && small(n, 60, true)) {
                        /* <span itemprop=author><span itemprop=name>X */
                        xmlNode *nm = NULL;
                        char *t;

                        for (xmlNode *c = n; c;
                             c = parser_html_next(c, n, false)) {
                                const char *ip;

                                ip = parser_html_attr(c, "itemprop");
                                if (c != n && ip &&
                                    strcasecmp(ip, "name") == 0) {
                                        nm = c;
                                        break;
                                }
                        }
                        t = parser_html_text(nm ? nm : n);
                        if (*t && strlen(t) < 200)
                                parser_strv_add(&sc->prop_authors, t);
                        free(t);
                }
                if (strcmp(name, "a") == 0 &&
                    parser_html_has_token(parser_html_attr(n, "rel"),
                                          "author") &&
                    sc->rel_authors.n < MAX_BYLINES && small(n, 60, true)) {
                        char *t = parser_html_text(n);

                        if (*t && strlen(t) < 200)
                                parser_strv_add(&sc->rel_authors, t);
                        free(t);
                }
                if (!skip && sc->bylines.n < MAX_BYLINES &&
                    is_byline_el(n) && small(n, 60, true)) {
                        char *t = parser_html_text(n);

                        if (*t && strlen(t) < 200)
                                parser_strv_add(&sc->bylines, t);
                        free(t);
                }
                if (!skip && !sc->par_line && blocks < BYLINE_SCAN_BLOCKS &&
                    (strcmp(name, "p") == 0 || strcmp(name, "div") == 0 ||
                     strcmp(name, "span") == 0 || strcmp(name, "strong") == 0
                     || strcmp(name, "em") == 0 || strcmp(name, "b") == 0)) {
                        char *t = NULL;

                        if (strcmp(name, "p") == 0 || strcmp(name, "div") == 0)
                                blocks++;
                        /* only short texts: bounded work */
                        if (strcmp(name, "p") == 0 || small(n, 20, false))
                                t = parser_html_text(n);
                        if (t && looks_byline(t))
                                sc->par_line = t;
                        else
                                free(t);
                }
                n = parser_html_next(n, root, skip);
        }
}

static void scan_release(struct scan *sc)
{
        for (int i = 0; i < sc->ntimes; i++)
                free(sc->times[i].own);
        for (int i = 0; i < sc->nh1; i++)
                free(sc->h1[i]);
        free(sc->title);
        free(sc->headline_prop);
        free(sc->par_line);
        parser_strv_release(&sc->rel_authors);
        parser_strv_release(&sc->prop_authors);
        parser_strv_release(&sc->bylines);
}

/* --------------------------------------------------------------- authors */

static const char *const author_lead[] = {
        "par", "by", "auteur", "auteurs", "author", "authors", "texte",
        "ecrit", "written", "posted", "publie", "redige", "propos",
        "recueillis", "signe", "from", NULL,
};

/* Where a name ends and the rest of a byline starts. */
static const char *const author_cut[] = {
        " | ", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", "(", " le ",
        " on ", " publi", " Publi", " published", " Published", " mis \xc3\xa0",
        " Mis \xc3\xa0", " updated", " Updated", " il y a ", " \xc3\xa0 ",
        " at ", " • ", " \xc2\xb7 ", NULL,
};

static const char *const author_split[] = {
        ",", ";", " et ", " and ", " & ", " / ", " avec ", NULL,
};

static const char *const name_particles[] = {
        "de", "du", "des", "le", "la", "van", "von", "der", "den", "da",
        "di", "dos", "el", "al", "bin", "ben", "ibn", "ould", "ag", "dit",
        "y", "e", "d", "l", "bint", "mint", "ter", "zu", "of", NULL,
};

static const char *const not_names[] = {
        "admin", "administrator", "administrateur", "unknown", "anonymous",
        "anonyme", "null", "none", "guest", "webmaster", NULL,
};

static bool in_words(const char *w, const char *const *list)
{
        for (; *list; list++)
                if (strcmp(*list, w) == 0)
                        return true;
        return false;
}

/* True if the first character of @p s is an upper-case letter, or a letter
 * without case (Arabic, CJK). */
static bool capitalised(const char *s)
{
        utf8proc_int32_t cp;
        utf8proc_category_t c;

        if (utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp) <= 0)
                return false;
        c = utf8proc_category(cp);
        return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT ||
               c == UTF8PROC_CATEGORY_LO;
}

static bool name_like(const char *part, bool strict)
{
        char buf[MAX_AUTHOR_BYTES + 1];
        int words = 0, lower = 0;
        const char *p = part;
        char *f;
        bool bad;

        if (strlen(part) < 2 || strlen(part) > MAX_AUTHOR_BYTES)
                return false;
        if (ci_contains(part, "http") || ci_contains(part, "www.") ||
            strchr(part, '@') || strchr(part, '/') || strchr(part, '<') ||
            strchr(part, '{') || strchr(part, '='))
                return false;
        while (*p) {
                size_t l;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                l = strcspn(p, " ");
                words++;
                memcpy(buf, p, l);
                buf[l] = '\0';
                f = vl_text_fold(buf, VL_FOLD_ALNUM);
                if (*f && !capitalised(buf) && !in_words(f, name_particles))
                        lower += words == 1 && strict ? 10 : 1;
                free(f);
                p += l;
        }
        if (!words || words > (strict ? 6 : 8))
                return false;
        f = vl_text_fold(part, VL_FOLD_ALNUM);
        bad = !*f || in_words(f, not_names) ||
              strspn(f, "0123456789") == strlen(f);
        free(f);
        if (bad)
                return false;
        return strict ? lower == 0 : lower <= 1;
}

int parser_meta_add_author(struct parser_strv *sv, const char *raw,
                           const char *site, bool strict)
{
        char *t = vl_text_collapse(raw), *p = t, *site_f;
        size_t cut;
        int added = 0;

        if (!*t) {
                free(t);
                return 0;
        }
        /* leading "Par", "By", "Auteur :", "Written by" */
        for (int i = 0; i < 5 && *p; i++) {
                size_t l = strcspn(p, " ");
                char w[24];
                char *f;

                if (l >= sizeof(w))
                        break;
                memcpy(w, p, l);
                w[l] = '\0';
                f = vl_text_fold(w, VL_FOLD_ALNUM);
                if (*f && !in_words(f, author_lead)) {
                        free(f);
                        break;
                }
                free(f);
                p += l;
                while (*p == ' ')
                        p++;
        }
        /* the name ends where the date, place or site begins */
        cut = strlen(p);
        for (const char *const *c = author_cut; *c; c++) {
                char *q = strstr(p, *c);

                if (q && (size_t)(q - p) < cut)
                        cut = (size_t)(q - p);
        }
        for (size_t i = 0; i < cut; i++)
                if (p[i] >= '0' && p[i] <= '9' && (i == 0 || p[i - 1] == ' ')) {
                        cut = i;
                        break;
                }
        p[cut] = '\0';
        site_f = vl_text_fold(site, VL_FOLD_ALNUM);
        while (*p) {
                size_t l = strlen(p);
                char *part, *pf;
                const char *sep = NULL;

                for (const char *const *s = author_split; *s; s++) {
                        char *q = strstr(p, *s);

                        if (q && (size_t)(q - p) < l) {
                                l = (size_t)(q - p);
                                sep = *s;
                        }
                }
                part = vl_xstrndup(p, l);
                p += l;
                if (sep)
                        p += strlen(sep);
                /* trim and drop trailing punctuation */
                {
                        char *c = vl_text_collapse(part);
                        size_t cl = strlen(c);

                        while (cl && strchr(".:,;-|", c[cl - 1]))
                                c[--cl] = '\0';
                        free(part);
                        part = vl_text_collapse(c);
                        free(c);
                }
                pf = vl_text_fold(part, VL_FOLD_ALNUM);
                if (name_like(part, strict) &&
                    !(*site_f && strcmp(pf, site_f) == 0) &&
                    parser_strv_add_unique(sv, part))
                        added++;
                free(pf);
                free(part);
        }
        free(site_f);
        free(t);
        return added;
}

/* ----------------------------------------------------------------- title */

static const char *const title_seps[] = {
        " | ", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " \xc2\xb7 ",
        " :: ", " \xc2\xbb ", " \xe2\x80\xa2 ", " / ", " : ", NULL,
};

/* Is @p part the site's name ("Sahel Actu", "sahelactu.com",
 * "Sahel Actu, l'info du Sahel")? */
static bool is_site(const char *part, const char *site, const char *host,
                    bool host_label)
{
        char *f = vl_text_fold(part, VL_FOLD_ALNUM);
        bool yes = false;

        if (strlen(f) >= 2) {
                if (site && *site) {
                        char *s = vl_text_fold(site, VL_FOLD_ALNUM);

                        yes = strcmp(f, s) == 0 ||
                              (strlen(s) >= 4 && strncmp(f, s, strlen(s)) == 0);
                        free(s);
                }
                if (!yes && host && *host) {
                        char h[256];
                        char *hf, *dot;

                        snprintf(h, sizeof(h), "%s", host);
                        hf = vl_text_fold(h, VL_FOLD_ALNUM);
                        yes = strcmp(f, hf) == 0;
                        free(hf);
                        /* the label before the public suffix */
                        dot = strrchr(h, '.');
                        if (!yes && dot && host_label) {
                                char *lab;

                                *dot = '\0';
                                lab = strrchr(h, '.');
                                lab = lab ? lab + 1 : h;
                                hf = vl_text_fold(lab, VL_FOLD_ALNUM);
                                yes = strlen(hf) >= 3 && strcmp(f, hf) == 0;
                                free(hf);
                        }
                }
        }
        free(f);
        return yes;
}

/* Find the first (or last) separator; @returns its position or NULL. */
static const char *find_sep(const char *t, bool last, const char **which)
{
        const char *best = NULL;

        for (const char *const *s = title_seps; *s; s++) {
                const char *q = strstr(t, *s);

                while (q && last) {
                        const char *r = strstr(q + 1, *s);

                        if (!r)
                                break;
                        q = r;
                }
                if (q && (!best || (last ? q > best : q < best))) {
                        best = q;
                        *which = *s;
                }
        }
        return best;
}

char *parser_meta_clean_title(const char *title, const char *site,
                              const char *host, bool loose)
{
        char *t = vl_text_collapse(title);
        const char *sep = NULL, *q;

        for (int round = 0; round < 2; round++) {
                q = find_sep(t, true, &sep);
                if (q && q > t && is_site(q + strlen(sep), site, host, true)) {
                        t[q - t] = '\0';
                        continue;
                }
                /* "Site | Headline"; not " : ", which French headlines use
                 * after a place name that may well be the site's */
                q = find_sep(t, false, &sep);
                if (q && q > t && q[strlen(sep)] && strcmp(sep, " : ") != 0) {
                        char *head = vl_xstrndup(t, (size_t)(q - t));

                        if (is_site(head, site, host, false)) {
                                char *rest = vl_xstrdup(q + strlen(sep));

                                free(head);
                                free(t);
                                t = rest;
                                continue;
                        }
                        free(head);
                }
                break;
        }
        if (loose) {
                q = find_sep(t, true, &sep);
                if (q && q > t && (strcmp(sep, " | ") == 0 ||
                                   strcmp(sep, " - ") == 0 ||
                                   strcmp(sep, " \xe2\x80\x93 ") == 0 ||
                                   strcmp(sep, " \xe2\x80\x94 ") == 0)) {
                        char *head = vl_xstrndup(t, (size_t)(q - t));

                        if (parser_text_word_count(q + strlen(sep)) <= 4 &&
                            parser_text_word_count(head) >= 4) {
                                free(t);
                                t = head;
                        } else {
                                free(head);
                        }
                }
        }
        {
                char *c = vl_text_collapse(t);

                free(t);
                t = c;
        }
        if (!*t) {
                free(t);
                t = vl_text_collapse(title);
        }
        return t;
}

/* The page's main heading: the h1 that the title starts with, else the
 * first h1 inside <article>/<main>, else the first h1. */
static const char *pick_h1(const struct scan *sc, const char *title,
                           const char *site, const char *host)
{
        char *tf = title ? vl_text_fold(title, VL_FOLD_ALNUM) : NULL;
        const char *found = NULL;
        bool logo[MAX_H1];

        /* a logo in an <h1> is the site's name, not the headline */
        for (int i = 0; i < sc->nh1; i++)
                logo[i] = is_site(sc->h1[i], site, host, true);
        for (int i = 0; i < sc->nh1 && tf && !found; i++) {
                char *hf = vl_text_fold(sc->h1[i], VL_FOLD_ALNUM);

                if (!logo[i] && strlen(hf) >= 8 &&
                    strncmp(tf, hf, strlen(hf)) == 0)
                        found = sc->h1[i];
                free(hf);
        }
        free(tf);
        for (int i = 0; i < sc->nh1 && !found; i++)
                if (sc->h1_in_article[i] && !logo[i])
                        found = sc->h1[i];
        for (int i = 0; i < sc->nh1 && !found; i++)
                if (!logo[i])
                        found = sc->h1[i];
        return found;
}

static void pick_title(struct parser_meta *m, const struct scan *sc,
                       const struct parser_jsonld *ld,
                       const struct parser_page *pg, const char *host)
{
        static const char *const og[] = { "og:title", "twitter:title",
                                          "dc.title", NULL };
        const char *t = meta_get(sc, "og:title");
        const char *h1;
        bool loose = false;

        if (!t)
                t = ld->headline;
        if (!t)
                t = meta_any(sc, og);
        if (!t)
                t = sc->headline_prop;
        h1 = pick_h1(sc, t ? t : sc->title, m->site, host);
        /* an h1 is the headline when the <title> confirms it; pages have
         * logos, section names and widgets in <h1> too */
        if (!t && h1 && sc->title) {
                char *tf = vl_text_fold(sc->title, VL_FOLD_ALNUM);
                char *hf = vl_text_fold(h1, VL_FOLD_ALNUM);

                if (strlen(hf) >= 8 && strstr(tf, hf))
                        t = h1;
                free(tf);
                free(hf);
        }
        if (!t && sc->title) {
                char *c = parser_meta_clean_title(sc->title, m->site, host,
                                                  true);

                /* a <title> that is only the site's name says nothing */
                if (!h1 || !(is_site(c, m->site, host, true) ||
                             parser_text_word_count(c) <= 2)) {
                        t = sc->title;
                        loose = true;
                }
                free(c);
        }
        if (!t)
                t = h1;
        if (!t)
                t = sc->title;
        if (!t)
                t = pg->item_title;
        if (h1)
                m->h1 = vl_xstrdup(h1);
        if (!t)
                return;
        /* "Headline | Site" where the h1 is just "Headline" */
        if (h1 && t != h1) {
                char *tf = vl_text_collapse(t);
                char *hf = vl_text_collapse(h1);
                size_t hl = strlen(hf);
                const char *sep = NULL;

                if (hl >= 8 && strlen(tf) > hl &&
                    strncasecmp(tf, hf, hl) == 0 &&
                    find_sep(tf + hl, false, &sep) == tf + hl) {
                        free(tf);
                        free(hf);
                        m->title = vl_text_collapse(h1);
                        return;
                }
                free(tf);
                free(hf);
        }
        m->title = parser_meta_clean_title(t, m->site, host, loose);
}

/* ----------------------------------------------------------------- dates */

static const char *const og_published[] = {
        "article:published_time", "og:published_time",
        "og:article:published_time", "article:published", NULL,
};
static const char *const meta_published[] = {
        "datePublished", "date", "dc.date", "dc.date.issued",
        "dc.date.created", "dcterms.date", "dcterms.issued",
        "dcterms.created", "pubdate", "publishdate", "publish-date",
        "publish_date", "published_time", "article.published",
        "article_date_original", "original-publish-date", "sailthru.date",
        "parsely-pub-date", "citation_publication_date", "date.published",
        "DC.date.issued", "created", NULL,
};
static const char *const og_modified[] = {
        "article:modified_time", "og:updated_time", "og:modified_time",
        "article:modified", NULL,
};
static const char *const meta_modified[] = {
        "dateModified", "last-modified", "dc.date.modified",
        "dcterms.modified", "article.updated", "lastmod", NULL,
};

static bool try_date(const char *v, int64_t now_ms, char out[PARSER_DATE_LEN])
{
        return v && parser_date_parse(v, now_ms, out);
}

/* The first of @p keys whose value parses. */
static bool meta_date(const struct scan *sc, const char *const *keys,
                      int64_t now_ms, char out[PARSER_DATE_LEN])
{
        for (; *keys; keys++)
                for (int i = 0; i < sc->nmetas; i++)
                        if (strcasecmp(sc->metas[i].k, *keys) == 0 &&
                            try_date(sc->metas[i].v, now_ms, out))
                                return true;
        return false;
}

static bool time_date(const struct scan *sc, const char *prop, int64_t now_ms,
                      char out[PARSER_DATE_LEN])
{
        /* itemprop first, then <time pubdate>, then the first <time> in the
         * article, then the first <time> */
        for (int i = 0; i < sc->ntimes; i++)
                if (sc->times[i].prop &&
                    strcasecmp(sc->times[i].prop, prop) == 0 &&
                    try_date(sc->times[i].dt, now_ms, out))
                        return true;
        if (strcmp(prop, "datePublished") != 0)
                return false;
        for (int i = 0; i < sc->ntimes; i++)
                if (sc->times[i].pubdate &&
                    try_date(sc->times[i].dt, now_ms, out))
                        return true;
        for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i < sc->ntimes; i++)
                        if (!sc->times[i].prop &&
                            (pass || sc->times[i].in_article) &&
                            try_date(sc->times[i].dt, now_ms, out))
                                return true;
        return false;
}

static void pick_dates(struct parser_meta *m, const struct scan *sc,
                       const struct parser_jsonld *ld,
                       const struct parser_page *pg, int64_t now_ms)
{
        if (try_date(ld->published, now_ms, m->published))
                m->published_source = PARSER_DATE_JSONLD;
        else if (meta_date(sc, og_published, now_ms, m->published))
                m->published_source = PARSER_DATE_OG;
        else if (meta_date(sc, meta_published, now_ms, m->published))
                m->published_source = PARSER_DATE_META;
        else if (time_date(sc, "datePublished", now_ms, m->published))
                m->published_source = PARSER_DATE_TIME;
        else if (try_date(pg->item_published, now_ms, m->published))
                m->published_source = PARSER_DATE_FEED;
        else
                m->published[0] = '\0';

        if (!try_date(ld->modified, now_ms, m->modified) &&
            !meta_date(sc, og_modified, now_ms, m->modified) &&
            !meta_date(sc, meta_modified, now_ms, m->modified) &&
            !time_date(sc, "dateModified", now_ms, m->modified))
                m->modified[0] = '\0';
}

/* ------------------------------------------------------------------ lang */

static void pick_lang(struct parser_meta *m, const struct scan *sc,
                      const struct parser_jsonld *ld,
                      const struct parser_page *pg)
{
        static const char *const meta_lang[] = {
                "content-language", "language", "dc.language",
                "dcterms.language", "og:locale", "inLanguage", NULL,
        };
        const char *v;

        if (vl_lang_normalize(sc->html_lang, m->lang)) {
                m->lang_source = PARSER_LANG_HTML;
                return;
        }
        v = meta_any(sc, meta_lang);
        if (vl_lang_normalize(v, m->lang) ||
            vl_lang_normalize(ld->lang, m->lang)) {
                m->lang_source = PARSER_LANG_META;
                return;
        }
        if (vl_lang_normalize(pg->content_language, m->lang)) {
                m->lang_source = PARSER_LANG_HTTP;
                return;
        }
        if (vl_lang_normalize(pg->source_lang, m->lang)) {
                m->lang_source = PARSER_LANG_SOURCE;
                return;
        }
        m->lang[0] = '\0';
        m->lang_source = PARSER_LANG_NONE;
}

void parser_meta_finish(struct parser_meta *m, const struct parser_page *pg,
                        const char *text, bool detect)
{
        int strength = 0;
        const char *d = vl_lang_detect(text, &strength);

        (void)pg;
        if (!d)
                return;
        if (m->lang_source == PARSER_LANG_NONE) {
                memcpy(m->lang, d, strlen(d) + 1);
                m->lang_source = PARSER_LANG_DETECT;
                return;
        }
        /* a declared language that the text plainly contradicts (templates
         * that say lang="en-US" on every site) */
        if (detect && strength >= 60 && strcmp(m->lang, d) != 0) {
                memcpy(m->lang, d, strlen(d) + 1);
                m->lang_source = PARSER_LANG_DETECT;
        }
}

/* ------------------------------------------------------- canonical, site */

static char *canonical_of(const char *base, const char *page_url,
                          const char *ref, bool guard_root)
{
        struct vl_err err;
        char *abs = resolve(base, ref), *c;

        if (!abs)
                return NULL;
        c = vl_url_canonical(abs, &err);
        free(abs);
        /* a canonical that points every article to the home page */
        if (c && guard_root && root_path(c) && page_url &&
            !root_path(page_url)) {
                free(c);
                c = NULL;
        }
        return c;
}

static void pick_canonical(struct parser_meta *m, const struct scan *sc,
                           const struct parser_page *pg, const char *base)
{
        const char *page = pg->final_url ? pg->final_url : pg->url;

        m->canonical = canonical_of(base, page, sc->canonical, true);
        if (!m->canonical)
                m->canonical = canonical_of(base, page,
                                            meta_get(sc, "og:url"), true);
        if (!m->canonical && pg->final_url)
                m->canonical = canonical_of(pg->final_url, NULL,
                                            pg->final_url, false);
        if (!m->canonical)
                m->canonical = canonical_of(pg->url, NULL, pg->url, false);
}

static void pick_site(struct parser_meta *m, const struct scan *sc,
                      const struct parser_jsonld *ld,
                      const struct parser_page *pg, const char *host)
{
        const char *v = meta_get(sc, "og:site_name");

        if (!v)
                v = ld->publisher;
        if (!v)
                v = meta_get(sc, "application-name");
        if (!v)
                v = pg->source_site;
        m->site = dup_clean(v);
        if (!m->site && *host)
                m->site = vl_xstrdup(host);
}

/* ------------------------------------------------------------------ tags */

static void add_tag_list(struct parser_strv *sv, const char *v)
{
        char *all = dup_clean(v), *p = all;

        while (p && *p && sv->n < MAX_TAGS) {
                size_t l = strcspn(p, ",;");
                char *k = vl_xstrndup(p, l);
                char *c = vl_text_collapse(k);

                if (strlen(c) <= MAX_TAG_BYTES)
                        parser_strv_add_unique(sv, c);
                free(c);
                free(k);
                p += l;
                if (*p)
                        p++;
        }
        free(all);
}

static void pick_tags(struct parser_meta *m, const struct scan *sc,
                      const struct parser_jsonld *ld,
                      const struct parser_page *pg)
{
        static const char *const kw[] = { "news_keywords", "keywords",
                                          "parsely-tags", NULL };
        size_t i;
        json_t *v;
        bool had;

        for (int k = 0; k < sc->nmetas && m->tags.n < MAX_TAGS; k++)
                if (strcasecmp(sc->metas[k].k, "article:tag") == 0)
                        add_tag_list(&m->tags, sc->metas[k].v);
        had = m->tags.n > 0;
        for (int k = 0; k < ld->keywords.n && !had && m->tags.n < MAX_TAGS;
             k++)
                if (strlen(ld->keywords.v[k]) <= MAX_TAG_BYTES)
                        parser_strv_add_unique(&m->tags, ld->keywords.v[k]);
        if (!m->tags.n)
                add_tag_list(&m->tags, meta_any(sc, kw));
        if (!m->tags.n)
                json_array_foreach(pg->item_categories, i, v)
                        if (json_is_string(v) && m->tags.n < MAX_TAGS)
                                add_tag_list(&m->tags, json_string_value(v));
}

/* ------------------------------------------------------------- authors */

static void pick_authors(struct parser_meta *m, const struct scan *sc,
                         const struct parser_jsonld *ld,
                         const struct parser_page *pg)
{
        static const char *const keys[] = {
                "author", "article:author", "dc.creator", "dcterms.creator",
                "parsely-author", "sailthru.author", "byl",
                "cxenseparse:author", NULL,
        };
        const char *site = m->site;
        size_t i;
        json_t *v;

        for (int k = 0; k < ld->authors.n; k++)
                parser_meta_add_author(&m->authors, ld->authors.v[k], site,
                                       false);
        for (const char *const *key = keys; *key && !m->authors.n; key++)
                for (int k = 0; k < sc->nmetas; k++)
                        if (strcasecmp(sc->metas[k].k, *key) == 0)
                                parser_meta_add_author(&m->authors,
                                                       sc->metas[k].v, site,
                                                       false);
        for (int k = 0; k < sc->prop_authors.n && !m->authors.n; k++)
                parser_meta_add_author(&m->authors, sc->prop_authors.v[k],
                                       site, false);
        for (int k = 0; k < sc->rel_authors.n && !m->authors.n; k++)
                parser_meta_add_author(&m->authors, sc->rel_authors.v[k],
                                       site, false);
        for (int k = 0; k < sc->bylines.n && !m->authors.n; k++)
                parser_meta_add_author(&m->authors, sc->bylines.v[k], site,
                                       true);
        if (!m->authors.n && sc->par_line)
                parser_meta_add_author(&m->authors, sc->par_line, site, true);
        if (!m->authors.n)
                json_array_foreach(pg->item_authors, i, v)
                        if (json_is_string(v))
                                parser_meta_add_author(&m->authors,
                                                       json_string_value(v),
                                                       site, false);
        /* what the extractor should recognise as bylines in the text */
        for (int k = 0; k < sc->bylines.n; k++)
                parser_strv_add_unique(&m->bylines, sc->bylines.v[k]);
        for (int k = 0; k < sc->prop_authors.n; k++)
                parser_strv_add_unique(&m->bylines, sc->prop_authors.v[k]);
        for (int k = 0; k < sc->rel_authors.n; k++)
                parser_strv_add_unique(&m->bylines, sc->rel_authors.v[k]);
        if (sc->par_line)
                parser_strv_add_unique(&m->bylines, sc->par_line);
}

/* ------------------------------------------------------------------ main */

void parser_meta_extract(htmlDocPtr doc, const struct parser_page *pg,
                         int64_t now_ms, struct parser_meta *m)
{
        static const char *const desc[] = { "og:description", "description",
                                            "twitter:description",
                                            "dc.description", NULL };
        static const char *const img[] = { "og:image", "og:image:url",
                                           "og:image:secure_url",
                                           "twitter:image",
                                           "twitter:image:src", "image",
                                           "thumbnail", NULL };
        static const char *const sect[] = { "article:section", "section",
                                            "parsely-section",
                                            "article.section", NULL };
        struct scan *sc = vl_xcalloc(1, sizeof(*sc));
        struct parser_jsonld ld;
        const char *page = pg->final_url ? pg->final_url : pg->url;
        char host[256];
        char *base = NULL;
        const char *v;

        memset(m, 0, sizeof(*m));
        memset(&ld, 0, sizeof(ld));
        scan_doc(sc, doc);
        parser_jsonld_collect(doc, &ld);
        host_of(page, host, sizeof(host));
        if (sc->base_href)
                base = resolve(page, sc->base_href);
        if (!base)
                base = vl_xstrdup(page);

        pick_site(m, sc, &ld, pg, host);
        pick_title(m, sc, &ld, pg, host);
        pick_authors(m, sc, &ld, pg);
        pick_dates(m, sc, &ld, pg, now_ms);
        pick_lang(m, sc, &ld, pg);
        pick_canonical(m, sc, pg, base);

        v = meta_any(sc, desc);
        m->description = dup_clean(v ? v : ld.description);
        if (!m->description)
                m->description = dup_clean(pg->item_summary);
        v = meta_any(sc, img);
        m->image = resolve(base, v ? v : ld.image);
        if (!m->image && sc->image_src)
                m->image = resolve(base, sc->image_src);
        v = meta_any(sc, sect);
        m->section = dup_clean(v ? v : ld.section);
        pick_tags(m, sc, &ld, pg);
        if (ld.article_body && *ld.article_body) {
                m->article_body = ld.article_body;
                ld.article_body = NULL;
        }
        free(base);
        parser_jsonld_release(&ld);
        scan_release(sc);
        free(sc);
}

void parser_meta_release(struct parser_meta *m)
{
        free(m->title);
        free(m->site);
        parser_strv_release(&m->authors);
        free(m->canonical);
        free(m->description);
        free(m->image);
        free(m->section);
        parser_strv_release(&m->tags);
        free(m->h1);
        free(m->article_body);
        parser_strv_release(&m->bylines);
        memset(m, 0, sizeof(*m));
}
