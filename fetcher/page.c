/* One article page and the events it gives rise to: the veille.page.v1
 * event once fetched, or the input of its dead-letter record. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/mem.h"
#include "veille/text.h"
#include "veille/url.h"
#include "fetcher.h"

struct fetcher_page *fetcher_page_new(const char *url, struct vl_err *err)
{
        struct fetcher_page *pg;
        char *canon = vl_url_canonical(url, err);

        if (!canon)
                return NULL;
        pg = vl_xcalloc(1, sizeof(*pg));
        pg->url = vl_xstrdup(url);
        pg->canonical = canon;
        vl_article_id(canon, pg->id);
        return pg;
}

void fetcher_page_destroy(struct fetcher_page *pg)
{
        if (!pg)
                return;
        free(pg->url);
        free(pg->canonical);
        /* its source's validators may be saved again once none is left */
        if (pg->src && --pg->src->pages == 0)
                pg->src->dirty = true;
        fetcher_source_unref(pg->src);
        free(pg->site);
        free(pg->lang);
        fetcher_item_release(&pg->item);
        free(pg);
}

static json_t *str_array(char *const *v, int n)
{
        json_t *a = json_array();
        int i;

        for (i = 0; i < n; i++)
                json_array_append_new(a, vl_json_str(v[i]));
        return a;
}

static json_t *source_json(const struct fetcher_page *pg)
{
        json_t *o = json_object();

        json_object_set_new(o, "url", vl_json_str(pg->src->url));
        json_object_set_new(o, "site", vl_json_str(pg->site));
        json_object_set_new(o, "lang", vl_json_str(pg->lang));
        json_object_set_new(o, "tags",
                            str_array(pg->src->tags, pg->src->ntags));
        return o;
}

static json_t *item_json(const struct fetcher_item *it)
{
        json_t *o = json_object();

        json_object_set_new(o, "title", vl_json_str(it->title));
        json_object_set_new(o, "published", vl_json_str(it->published));
        json_object_set_new(o, "published_raw",
                            vl_json_str(it->published_raw));
        json_object_set_new(o, "updated", vl_json_str(it->updated));
        json_object_set_new(o, "summary", vl_json_str(it->summary));
        json_object_set_new(o, "authors", str_array(it->authors, it->nauthors));
        json_object_set_new(o, "categories",
                            str_array(it->categories, it->ncategories));
        json_object_set_new(o, "guid", vl_json_str(it->guid));
        return o;
}

char *fetcher_page_charset(const char *content_type)
{
        const char *p = content_type;

        if (!p)
                return NULL;
        for (;;) {
                const char *v;
                size_t n = 0;
                char *r;

                p = strchr(p, ';');
                if (!p)
                        break;
                p++;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (strncasecmp(p, "charset", 7))
                        continue;
                v = p + 7;
                while (*v == ' ' || *v == '\t')
                        v++;
                if (*v != '=')
                        continue;
                v++;
                while (*v == ' ' || *v == '\t')
                        v++;
                if (*v == '"' || *v == '\'')
                        v++;
                while (v[n] && (isalnum((unsigned char)v[n]) ||
                                strchr("-_.:+", v[n])))
                        n++;
                if (!n)
                        return NULL;
                r = vl_xstrndup(v, n);
                for (char *c = r; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                return r;
        }
        return NULL;
}

json_t *fetcher_page_event(const struct fetcher_page *pg,
                           const struct fetcher_xfer *x,
                           const char *fetched_at)
{
        json_t *ev = json_object();
        json_t *http = json_object();
        char *charset = fetcher_page_charset(x->content_type);
        const char *body = x->body.data ? x->body.data : "";
        size_t n = 0;
        char *b64 = vl_base64_encode(body, x->body.len, &n);

        json_object_set_new(ev, "schema", json_string("veille.page.v1"));
        json_object_set_new(ev, "id", json_string(pg->id));
        json_object_set_new(ev, "url", vl_json_str(pg->url));
        json_object_set_new(ev, "canonical_url",
                            vl_json_str(pg->canonical));
        json_object_set_new(ev, "final_url",
                            vl_json_str(x->final_url ? x->final_url
                                                     : pg->url));
        if (pg->src)
                json_object_set_new(ev, "source", source_json(pg));
        json_object_set_new(ev, "fetched_at", vl_json_str(fetched_at));
        json_object_set_new(http, "status", json_integer(x->status));
        json_object_set_new(http, "content_type",
                            vl_json_str(x->content_type));
        json_object_set_new(http, "charset", vl_json_str(charset));
        json_object_set_new(http, "etag", vl_json_str(x->etag));
        json_object_set_new(http, "last_modified",
                            vl_json_str(x->last_modified));
        json_object_set_new(http, "content_encoding",
                            vl_json_str(x->content_encoding));
        json_object_set_new(ev, "http", http);
        if (pg->has_item)
                json_object_set_new(ev, "item", item_json(&pg->item));
        json_object_set_new(ev, "body_b64",
                            b64 ? json_stringn_nocheck(b64, n) : json_null());
        json_object_set_new(ev, "body_bytes",
                            json_integer((json_int_t)x->body.len));
        free(b64);
        free(charset);
        return ev;
}

json_t *fetcher_page_dlq_input(const struct fetcher_page *pg,
                               long http_status)
{
        json_t *in = json_object();

        json_object_set_new(in, "url", vl_json_str(pg->url));
        json_object_set_new(in, "source",
                            pg->src ? source_json(pg) : json_null());
        json_object_set_new(in, "item",
                            pg->has_item ? item_json(&pg->item) : json_null());
        json_object_set_new(in, "http_status", json_integer(http_status));
        return in;
}
