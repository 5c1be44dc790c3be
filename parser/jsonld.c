/* schema.org JSON-LD: the richest metadata most news sites publish. Objects
 * are ranked by type (NewsArticle and kin > Article > WebPage); the best one
 * gives each field, the others fill what it lacks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/mem.h"
#include "parser.h"

#define MAX_DEPTH 8
#define MAX_OBJECTS 256
#define MAX_SCRIPT_BYTES (4u << 20)

static const char *const news_types[] = {
        "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
        "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
        "AskPublicNewsArticle", "LiveBlogPosting", NULL,
};
static const char *const article_types[] = {
        "Article", "BlogPosting", "Report", "ScholarlyArticle", "TechArticle",
        "SocialMediaPosting", "SatiricalArticle", "Posting", NULL,
};
static const char *const page_types[] = {
        "WebPage", "ItemPage", "CollectionPage", NULL,
};

/* One JSON-LD document: its objects, and its "@id" references. */
struct ld_doc {
        json_t *objs[MAX_OBJECTS];
        int rank[MAX_OBJECTS];
        int n;
        json_t *root;
};

static const char *type_base(const char *t)
{
        const char *s = strrchr(t, '/');

        if (s)
                return s + 1;
        s = strrchr(t, ':');
        return s ? s + 1 : t;
}

static bool in_list(const char *t, const char *const *list)
{
        for (; *list; list++)
                if (strcasecmp(*list, t) == 0)
                        return true;
        return false;
}

static int type_rank1(const char *t)
{
        t = type_base(t);
        if (in_list(t, news_types))
                return 3;
        if (in_list(t, article_types))
                return 2;
        if (in_list(t, page_types))
                return 1;
        return 0;
}

static int type_rank(json_t *o, const char **name)
{
        json_t *t = json_object_get(o, "@type");
        int best = 0;

        *name = NULL;
        if (json_is_string(t)) {
                best = type_rank1(json_string_value(t));
                *name = json_string_value(t);
        } else if (json_is_array(t)) {
                size_t i;
                json_t *v;

                json_array_foreach(t, i, v) {
                        int r;

                        if (!json_is_string(v))
                                continue;
                        r = type_rank1(json_string_value(v));
                        if (r > best || !*name) {
                                best = r > best ? r : best;
                                *name = json_string_value(v);
                        }
                }
        }
        return best;
}

static bool is_type(json_t *o, const char *want)
{
        json_t *t = json_object_get(o, "@type");
        size_t i;
        json_t *v;

        if (json_is_string(t))
                return strcasecmp(type_base(json_string_value(t)), want) == 0;
        json_array_foreach(t, i, v)
                if (json_is_string(v) &&
                    strcasecmp(type_base(json_string_value(v)), want) == 0)
                        return true;
        return false;
}

static void walk(struct ld_doc *d, json_t *v, int depth)
{
        const char *name;
        size_t i;
        json_t *e;

        if (depth > MAX_DEPTH || d->n >= MAX_OBJECTS)
                return;
        if (json_is_array(v)) {
                json_array_foreach(v, i, e)
                        walk(d, e, depth + 1);
                return;
        }
        if (!json_is_object(v))
                return;
        d->rank[d->n] = type_rank(v, &name);
        d->objs[d->n++] = v;
        walk(d, json_object_get(v, "@graph"), depth + 1);
        walk(d, json_object_get(v, "mainEntity"), depth + 1);
        e = json_object_get(v, "mainEntityOfPage");
        if (json_is_object(e) && json_object_get(e, "@type"))
                walk(d, e, depth + 1);
}

/* Follow {"@id": "..."} to the object that has it, if there is one. */
static json_t *deref(struct ld_doc *d, json_t *v)
{
        json_t *id;

        if (!json_is_object(v) || json_object_size(v) != 1)
                return v;
        id = json_object_get(v, "@id");
        if (!json_is_string(id))
                return v;
        for (int i = 0; i < d->n; i++) {
                json_t *oid = json_object_get(d->objs[i], "@id");

                if (d->objs[i] != v && json_is_string(oid) &&
                    strcmp(json_string_value(oid), json_string_value(id)) == 0)
                        return d->objs[i];
        }
        return v;
}

/* @returns new cleaned text of a string value (entities decoded, white
 * space collapsed), or NULL. */
static char *clean_str(json_t *v)
{
        char *u, *c;

        if (json_is_array(v))
                v = json_array_get(v, 0);
        if (!json_is_string(v))
                return NULL;
        u = parser_text_unescape(json_string_value(v));
        c = vl_text_collapse(u);
        free(u);
        if (!*c) {
                free(c);
                return NULL;
        }
        return c;
}

/* A name from a string, or from an object's "name". */
static char *name_of(struct ld_doc *d, json_t *v)
{
        v = deref(d, v);
        if (json_is_object(v))
                return clean_str(json_object_get(v, "name"));
        return clean_str(v);
}

static char *url_of(struct ld_doc *d, json_t *v)
{
        if (json_is_array(v))
                v = json_array_get(v, 0);
        v = deref(d, v);
        if (json_is_object(v)) {
                json_t *u = json_object_get(v, "url");

                if (!u)
                        u = json_object_get(v, "contentUrl");
                if (!u)
                        u = json_object_get(v, "@id");
                v = u;
        }
        return clean_str(v);
}

/* Set *field to @p val (stolen) if empty, or if @p override. */
static void put(char **field, char *val, bool override)
{
        if (!val)
                return;
        if (*field && !override) {
                free(val);
                return;
        }
        free(*field);
        *field = val;
}

static void add_names(struct ld_doc *d, struct parser_strv *sv, json_t *v)
{
        size_t i;
        json_t *e;

        if (!json_is_array(v)) {
                char *s = name_of(d, v);

                parser_strv_add_unique(sv, s);
                free(s);
                return;
        }
        json_array_foreach(v, i, e) {
                char *s = name_of(d, e);

                parser_strv_add_unique(sv, s);
                free(s);
        }
}

static void add_keywords(struct parser_strv *sv, json_t *v)
{
        size_t i;
        json_t *e;

        if (json_is_string(v)) {
                char *all = clean_str(v);
                char *p = all;

                while (p && *p) {
                        size_t l = strcspn(p, ",;");
                        char *k = vl_xstrndup(p, l);
                        char *c = vl_text_collapse(k);

                        parser_strv_add_unique(sv, c);
                        free(c);
                        free(k);
                        p += l;
                        if (*p)
                                p++;
                }
                free(all);
                return;
        }
        json_array_foreach(v, i, e) {
                char *s = clean_str(e);

                parser_strv_add_unique(sv, s);
                free(s);
        }
}

static void apply(struct parser_jsonld *ld, struct ld_doc *d, json_t *o,
                  int rank, const char *type)
{
        bool over = rank > ld->rank;
        json_t *v;

        if (over && type)
                put(&ld->type, vl_xstrdup(type_base(type)), true);
        v = json_object_get(o, "headline");
        put(&ld->headline, clean_str(v ? v : json_object_get(o, "name")),
            over);
        v = json_object_get(o, "author");
        if (!v)
                v = json_object_get(o, "creator");
        if (v && (over || !ld->authors.n)) {
                struct parser_strv names = { 0 };

                add_names(d, &names, v);
                if (names.n) {
                        parser_strv_release(&ld->authors);
                        ld->authors = names;
                } else {
                        parser_strv_release(&names);
                }
        }
        put(&ld->published, clean_str(json_object_get(o, "datePublished")),
            over);
        if (!ld->published || over)
                put(&ld->published,
                    clean_str(json_object_get(o, "dateCreated")), false);
        put(&ld->modified, clean_str(json_object_get(o, "dateModified")),
            over);
        v = json_object_get(o, "publisher");
        if (json_is_array(v))
                v = json_array_get(v, 0);
        if (v)
                put(&ld->publisher, name_of(d, v), over);
        put(&ld->description, clean_str(json_object_get(o, "description")),
            over);
        v = json_object_get(o, "image");
        if (!v)
                v = json_object_get(o, "thumbnailUrl");
        if (v)
                put(&ld->image, url_of(d, v), over);
        put(&ld->section, clean_str(json_object_get(o, "articleSection")),
            over);
        v = json_object_get(o, "keywords");
        if (v && (over || !ld->keywords.n)) {
                parser_strv_clear(&ld->keywords);
                add_keywords(&ld->keywords, v);
        }
        v = json_object_get(o, "inLanguage");
        if (json_is_object(v)) {
                json_t *alt = json_object_get(v, "alternateName");

                v = alt ? alt : json_object_get(v, "name");
        }
        put(&ld->lang, clean_str(v), over);
        v = json_object_get(o, "articleBody");
        if (json_is_string(v) && json_string_length(v))
                put(&ld->article_body,
                    parser_text_unescape(json_string_value(v)), over);
        v = json_object_get(o, "mainEntityOfPage");
        put(&ld->url, url_of(d, v ? v : json_object_get(o, "url")), over);
        if (rank > ld->rank)
                ld->rank = rank;
}

/* Raw control characters are illegal in JSON strings but common in pages:
 * inside a string a raw line break becomes "\n" and the others a space;
 * outside strings they are white space anyway. @returns new text. */
static char *unraw(const char *s, size_t n)
{
        char *out = vl_xmalloc(2 * n + 1);
        size_t o = 0;
        bool in_str = false;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '\0')
                        break;
                if (in_str && c == '\\' && i + 1 < n) {
                        out[o++] = s[i++];
                        out[o++] = (unsigned char)s[i] < 0x20 ? 'n' : s[i];
                        continue;
                }
                if (c == '"')
                        in_str = !in_str;
                if (c >= 0x20) {
                        out[o++] = (char)c;
                } else if (in_str && c == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else {
                        out[o++] = ' ';
                }
        }
        out[o] = '\0';
        return out;
}

void parser_jsonld_add(struct parser_jsonld *ld, const char *text,
                       size_t len)
{
        struct ld_doc d;
        json_error_t jerr;
        char *clean;
        size_t start = 0;
        int order[MAX_OBJECTS], no = 0;

        if (len > MAX_SCRIPT_BYTES)
                return;
        /* skip "<!--", "//<![CDATA[" and the like before the value */
        while (start < len && text[start] != '{' && text[start] != '[')
                start++;
        if (start == len)
                return;
        clean = unraw(text + start, len - start);
        memset(&d, 0, sizeof(d));
        d.root = json_loads(clean, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
                            &jerr);
        free(clean);
        if (!d.root)
                return;
        walk(&d, d.root, 0);
        /* best rank first, document order within a rank */
        for (int r = 3; r >= 1; r--)
                for (int i = 0; i < d.n; i++)
                        if (d.rank[i] == r)
                                order[no++] = i;
        for (int k = 0; k < no; k++) {
                const char *type;
                int i = order[k];

                type_rank(d.objs[i], &type);
                apply(ld, &d, d.objs[i], d.rank[i], type);
        }
        /* the site's name, when the article did not say */
        for (int i = 0; i < d.n && !ld->publisher; i++)
                if (is_type(d.objs[i], "WebSite") ||
                    is_type(d.objs[i], "NewsMediaOrganization"))
                        put(&ld->publisher,
                            clean_str(json_object_get(d.objs[i], "name")),
                            false);
        json_decref(d.root);
}

void parser_jsonld_collect(htmlDocPtr doc, struct parser_jsonld *ld)
{
        xmlNode *root = xmlDocGetRootElement(doc);

        for (xmlNode *n = root; n; n = parser_html_next(n, root, false)) {
                const char *type;
                struct vl_buf b;

                if (!parser_html_is(n, "script"))
                        continue;
                type = parser_html_attr(n, "type");
                if (!type || !strstr(type, "ld+json"))
                        continue;
                vl_buf_init(&b, MAX_SCRIPT_BYTES);
                for (xmlNode *c = n->children; c; c = c->next)
                        if (c->content &&
                            vl_buf_append(&b, c->content,
                                          strlen((const char *)c->content),
                                          NULL) != VL_OK)
                                break;
                if (b.data)
                        parser_jsonld_add(ld, b.data, b.len);
                vl_buf_release(&b);
        }
}

void parser_jsonld_release(struct parser_jsonld *ld)
{
        free(ld->type);
        free(ld->headline);
        parser_strv_release(&ld->authors);
        free(ld->published);
        free(ld->modified);
        free(ld->publisher);
        free(ld->description);
        free(ld->image);
        free(ld->section);
        parser_strv_release(&ld->keywords);
        free(ld->lang);
        free(ld->article_body);
        free(ld->url);
        memset(ld, 0, sizeof(*ld));
}
