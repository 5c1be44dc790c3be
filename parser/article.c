/* One page in, one article out: the steps of parser.h in order. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/codec.h"
#include "veille/jscan.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "parser.h"

/* Media types that are certainly not a page; anything else is sniffed. */
static const char *const not_html_types[] = {
        "application/pdf", "application/zip", "application/gzip",
        "application/json", "application/ld+json", "application/javascript",
        "application/x-javascript", "application/ecmascript",
        "application/rss+xml", "application/atom+xml", "application/rdf+xml",
        "application/feed+json", "application/msword", "application/x-tar",
        "application/vnd.", "application/x-shockwave-flash", "text/css",
        "text/javascript", "text/csv", "text/calendar", "image/", "audio/",
        "video/", "font/", "model/", "multipart/", NULL,
};

const char *parser_reason_name(enum parser_reason r)
{
        switch (r) {
        case PARSER_OK:
                break;
        case PARSER_BAD_EVENT:
                return "bad_event";
        case PARSER_TOO_LARGE:
                return "too_large";
        case PARSER_NOT_HTML:
                return "not_html";
        case PARSER_NO_TEXT:
                return "no_text";
        case PARSER_TOO_SHORT:
                return "too_short";
        case PARSER_ERROR_PAGE:
                return "error_page";
        case PARSER_INDEX_PAGE:
                return "index_page";
        case PARSER_STUB:
                return "stub";
        }
        return "article";
}

static enum vl_rc check_type(const struct parser_page *pg, struct vl_err *err)
{
        const char *ct = pg->content_type;

        if (pg->http_status && (pg->http_status < 200 ||
                                pg->http_status > 299))
                return vl_err_set(err, VL_REJECT, "not html: http status %d",
                                  pg->http_status);
        if (!ct)
                return VL_OK;
        while (*ct == ' ')
                ct++;
        for (const char *const *t = not_html_types; *t; t++)
                if (strncasecmp(ct, *t, strlen(*t)) == 0)
                        return vl_err_set(err, VL_REJECT,
                                          "not html: content type '%.80s'",
                                          pg->content_type);
        return VL_OK;
}

static void add_strv(json_t *o, const char *key, const struct parser_strv *sv)
{
        json_t *a = json_array();

        for (int i = 0; i < sv->n; i++)
                json_array_append_new(a, vl_json_str(sv->v[i]));
        json_object_set_new(o, key, a);
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? vl_json_str(s) : json_null();
}

/* A text as jansson would take it: valid UTF-8 as it is, anything else
 * repaired as vl_json_str() does (replaces *s). */
static void valid_text(char **s)
{
        char *r;

        if (parser_text_valid_utf8(*s, strlen(*s)))
                return;
        r = vl_utf8_repair(*s, strlen(*s), NULL);
        free(*s);
        *s = r;
}

/* The long texts (the article's text and its blocks') are written straight
 * into the article's serialisation, byte for byte as jansson would write
 * them (lib's vl_json_put_quoted). */
static size_t quoted_len(const char *s)
{
        return vl_json_quoted_len(s, strlen(s));
}

static char *put_quoted(char *d, const char *s)
{
        return vl_json_put_quoted(d, s, strlen(s));
}

static char *put_str(char *d, const char *s, size_t n)
{
        memcpy(d, s, n);
        return d + n;
}

/* The article event, serialised: the small members through jansson, the
 * texts written straight into the one buffer of the exact size, @p text
 * and each block's text freed as soon as written, so that a large article
 * is held once as texts and once as JSON, never more (peak memory). The
 * members in the order of the schema: up to "tags", "text", "blocks", then
 * "word_count", "fetched_at", "parsed_at". Past PARSER_MAX_ARTICLE_BYTES
 * only the first blocks that fit are written; NULL when the text alone
 * does not fit. */
static char *build_json(const struct parser_page *pg,
                        const struct parser_meta *m,
                        struct parser_blocks *b, char **text,
                        int words, const char *id, size_t *len)
{
        json_t *a = json_object(), *z = json_object();
        char now[32], *head, *tail, *out, *d;
        size_t hn, tn, n;
        int nb;

        vl_time_rfc3339(now);
        json_object_set_new(a, "schema", json_string(PARSER_SCHEMA_ARTICLE));
        json_object_set_new(a, "id", json_string(id));
        json_object_set_new(a, "url", vl_json_str(pg->url));
        json_object_set_new(a, "final_url",
                            vl_json_str(pg->final_url ? pg->final_url :
                                                        pg->url));
        json_object_set_new(a, "canonical_url", vl_json_str(m->canonical));
        if (pg->source)
                json_object_set(a, "source", pg->source);
        else
                json_object_set_new(a, "source", json_object());
        json_object_set_new(a, "site", str_or_null(m->site));
        /* the schema wants a string: a page without any title gets "" */
        json_object_set_new(a, "title", vl_json_str(m->title ? m->title :
                                                    ""));
        add_strv(a, "authors", &m->authors);
        json_object_set_new(a, "published_at", str_or_null(m->published));
        json_object_set_new(a, "published_at_source",
                            str_or_null(parser_date_source_name(
                                    m->published_source)));
        json_object_set_new(a, "modified_at", str_or_null(m->modified));
        json_object_set_new(a, "lang", str_or_null(m->lang));
        json_object_set_new(a, "lang_source",
                            str_or_null(parser_lang_source_name(
                                    m->lang_source)));
        json_object_set_new(a, "description", str_or_null(m->description));
        json_object_set_new(a, "image", str_or_null(m->image));
        json_object_set_new(a, "section", str_or_null(m->section));
        add_strv(a, "tags", &m->tags);
        json_object_set_new(z, "word_count", json_integer(words));
        json_object_set_new(z, "fetched_at", str_or_null(pg->fetched_at));
        json_object_set_new(z, "parsed_at", json_string(now));
        head = json_dumps(a, JSON_COMPACT);
        tail = json_dumps(z, JSON_COMPACT);
        json_decref(a);
        json_decref(z);
        if (!head || !tail)
                abort(); /* out of memory, as vl_xmalloc() */
        /* "{head...}" and "{tail...}" -> "{head...,"text":..,"blocks":[..],
         * tail...}" */
        hn = strlen(head) - 1;
        tn = strlen(tail) - 1;
        valid_text(text);
        n = hn + tn + 1 + sizeof(",\"text\":") - 1 + quoted_len(*text) +
            sizeof(",\"blocks\":[],") - 1;
        if (n > PARSER_MAX_ARTICLE_BYTES) {
                free(head);
                free(tail);
                return NULL;
        }
        for (nb = 0; nb < b->n; nb++) {
                size_t bn;

                valid_text(&b->v[nb].text);
                bn = (nb > 0) + sizeof("{\"kind\":\"\",\"text\":}") - 1 +
                     strlen(parser_block_kind_name(b->v[nb].kind)) +
                     quoted_len(b->v[nb].text);
                if (n + bn > PARSER_MAX_ARTICLE_BYTES)
                        break;
                n += bn;
        }
        if (nb < b->n)
                VL_WARN("parser", "article '%.200s': %d of its %d blocks "
                        "kept, the event would be over %u bytes", pg->url, nb,
                        b->n, PARSER_MAX_ARTICLE_BYTES);
        out = vl_xmalloc(n);
        d = put_str(out, head, hn);
        d = put_str(d, ",\"text\":", 8);
        d = put_quoted(d, *text);
        free(*text);
        *text = NULL;
        d = put_str(d, ",\"blocks\":[", 11);
        for (int i = 0; i < nb; i++) {
                const char *k = parser_block_kind_name(b->v[i].kind);

                if (i > 0)
                        *d++ = ',';
                d = put_str(d, "{\"kind\":\"", 9);
                d = put_str(d, k, strlen(k));
                d = put_str(d, "\",\"text\":", 9);
                d = put_quoted(d, b->v[i].text);
                *d++ = '}';
                free(b->v[i].text);
                b->v[i].text = NULL;
        }
        d = put_str(d, "],", 2);
        d = put_str(d, tail + 1, tn);
        *d = 0;
        assert((size_t)(d - out) + 1 == n);
        free(head);
        free(tail);
        *len = (size_t)(d - out);
        return out;
}

/* The whole page is short and has a paywall or consent phrase. */
static bool wall_page(htmlDocPtr doc)
{
        char *all = parser_html_text(xmlDocGetRootElement(doc));
        bool wall = parser_text_word_count(all) < 400 &&
                    parser_kind_stub_text(all);

        free(all);
        return wall;
}

/* parser_article_build(); @p own_body, when not NULL, is the page's body
 * (&pg->body, owned by the caller), freed as soon as converted to UTF-8. */
static enum vl_rc article_build(const struct parser_page *pg,
                                unsigned char **own_body,
                                const struct parser_opts *o,
                                struct parser_result *res,
                                struct vl_err *err)
{
        struct parser_text_doc td;
        struct parser_meta m;
        struct parser_blocks b;
        struct parser_hints h;
        htmlDocPtr doc = NULL;
        char csbuf[32];
        const char *label;
        char *text = NULL;
        int64_t now = o->now_ms ? o->now_ms : vl_time_now_ms();
        enum vl_rc rc;

        memset(&td, 0, sizeof(td));
        memset(&m, 0, sizeof(m));
        memset(&b, 0, sizeof(b));
        res->reason = pg->http_status >= 400 ? PARSER_ERROR_PAGE :
                                               PARSER_NOT_HTML;
        rc = check_type(pg, err);
        if (rc != VL_OK)
                goto out;
        res->reason = PARSER_NOT_HTML;
        rc = parser_html_sniff(pg->body, pg->body_len, err);
        if (rc != VL_OK)
                goto out;
        label = pg->http_charset ? pg->http_charset :
                parser_charset_from_content_type(pg->content_type, csbuf);
        rc = parser_charset_decode(pg->body, pg->body_len, label, &td, err);
        if (own_body) {
                /* converted: one copy of a large page less during the
                 * parse, the peak of the memory */
                free(*own_body);
                *own_body = NULL;
        }
        if (rc != VL_OK)
                goto out;
        VL_DEBUG("parser", "'%.200s': %s from %s, %zu bytes undecodable",
                 pg->url, td.charset, parser_cs_source_name(td.source),
                 td.replaced);
        /* each copy of a large page freed as soon as it is done with keeps
         * the peak memory down: the UTF-8 text once libxml2 has parsed it
         * (it reads it in place) */
        doc = parser_html_parse_take(&td.html, td.len,
                                     pg->final_url ? pg->final_url : pg->url,
                                     !o->no_prune, err);
        parser_text_doc_release(&td);
        if (!doc) {
                rc = err ? err->rc : VL_REJECT;
                goto out;
        }
        parser_meta_extract(doc, pg, now, &m);
        if (!m.canonical) {
                res->reason = PARSER_BAD_EVENT;
                rc = vl_err_set(err, VL_REJECT,
                                "cannot make a canonical url of '%.200s'",
                                pg->url);
                goto out;
        }
        memset(&h, 0, sizeof(h));
        h.title = m.title;
        h.h1 = m.h1;
        h.site = m.site;
        h.authors = &m.authors;
        h.bylines = &m.bylines;
        h.article_body = m.article_body;
        parser_extract_blocks(doc, &h, &b);
        text = parser_blocks_text(&b);
        res->words = parser_text_word_count(text);
        res->reason = b.n && res->words ?
                parser_kind(pg, &m, text, res->words, o) : PARSER_NO_TEXT;
        /* a consent or paywall wall is all chrome, so little or nothing is
         * left of it: read the whole page */
        if (o->non_articles && (res->reason == PARSER_NO_TEXT ||
                                res->reason == PARSER_TOO_SHORT) &&
            wall_page(doc))
                res->reason = PARSER_STUB;
        if (res->reason == PARSER_NO_TEXT) {
                rc = vl_err_set(err, VL_REJECT, "no article text found in "
                                "'%.200s'", pg->url);
                goto out;
        }
        parser_html_free(doc, pg->body_len);
        doc = NULL;
        switch (res->reason) {
        case PARSER_OK:
                break;
        case PARSER_TOO_SHORT:
                rc = vl_err_set(err, VL_REJECT, "too little text in '%.200s' "
                                "(%d words, parser.min.words is %lld)",
                                pg->url, res->words, (long long)o->min_words);
                goto out;
        default:
                rc = vl_err_set(err, VL_REJECT, "not an article: %s, "
                                "'%.200s' (%d words; parser.non.articles)",
                                parser_reason_name(res->reason), pg->url,
                                res->words);
                goto out;
        }
        parser_meta_finish(&m, pg, text, o->lang_detect);
        if (!m.title && pg->item_title)
                m.title = vl_text_collapse(pg->item_title);
        vl_article_id(m.canonical, res->id);
        res->json = build_json(pg, &m, &b, &text, res->words, res->id,
                               &res->json_len);
        if (!res->json) {
                res->reason = PARSER_TOO_LARGE;
                rc = vl_err_set(err, VL_REJECT, "article too large: the "
                                "text of '%.200s' is over %u bytes as JSON",
                                pg->url, PARSER_MAX_ARTICLE_BYTES);
                goto out;
        }
        /* the object, for callers that read the article in process */
        if (!o->json_only) {
                res->article = json_loadb(res->json, res->json_len, 0, NULL);
                if (!res->article)
                        abort(); /* out of memory: the JSON is ours */
        }
        res->reason = PARSER_OK;
        rc = VL_OK;
out:
        free(text);
        parser_blocks_release(&b);
        parser_meta_release(&m);
        xmlFreeDoc(doc);
        parser_text_doc_release(&td);
        return rc;
}

enum vl_rc parser_article_build(const struct parser_page *pg,
                                const struct parser_opts *o,
                                struct parser_result *res,
                                struct vl_err *err)
{
        return article_build(pg, NULL, o, res, err);
}

enum vl_rc parser_article_from_event(const char *json, size_t len,
                                     const struct parser_opts *o,
                                     struct parser_result *res,
                                     struct vl_err *err)
{
        struct parser_page pg;
        enum vl_rc rc;

        memset(res, 0, sizeof(*res));
        rc = parser_page_decode(&pg, json, len, o->max_body_bytes, err);
        if (rc != VL_OK) {
                res->reason = pg.too_large ? PARSER_TOO_LARGE :
                                             PARSER_BAD_EVENT;
                goto out;
        }
        rc = article_build(&pg, &pg.body, o, res, err);
out:
        parser_page_release(&pg);
        return rc;
}

void parser_result_release(struct parser_result *res)
{
        json_decref(res->article);
        res->article = NULL;
        free(res->json);
        res->json = NULL;
        res->json_len = 0;
}
