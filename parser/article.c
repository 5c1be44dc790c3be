/* One page in, one article out: the steps of parser.h in order. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/codec.h"
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

/* vl_json_str() for the long texts: jansson checks UTF-8 a byte at a time,
 * ours eight ASCII bytes at a time. */
static json_t *long_str(const char *s)
{
        size_t n = strlen(s);

        if (parser_text_valid_utf8(s, n)) {
                json_t *j = json_stringn_nocheck(s, n);

                if (j)
                        return j;
        }
        return vl_json_str(s);
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? vl_json_str(s) : json_null();
}

/* @p text and the blocks' texts are freed as they are copied into the
 * JSON (one copy of a large article at a time). */
static json_t *build_json(const struct parser_page *pg,
                          const struct parser_meta *m,
                          struct parser_blocks *b, char **text,
                          int words, const char *id)
{
        json_t *a = json_object(), *blocks = json_array();
        char now[32];

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
        json_object_set_new(a, "text", long_str(*text));
        free(*text);
        *text = NULL;
        for (int i = 0; i < b->n; i++) {
                json_t *o = json_object();

                json_object_set_new(o, "kind", json_string(
                        parser_block_kind_name(b->v[i].kind)));
                json_object_set_new(o, "text", long_str(b->v[i].text));
                free(b->v[i].text);
                b->v[i].text = NULL;
                json_array_append_new(blocks, o);
        }
        json_object_set_new(a, "blocks", blocks);
        json_object_set_new(a, "word_count", json_integer(words));
        json_object_set_new(a, "fetched_at", str_or_null(pg->fetched_at));
        json_object_set_new(a, "parsed_at", json_string(now));
        return a;
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

enum vl_rc parser_article_build(const struct parser_page *pg,
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
        if (rc != VL_OK)
                goto out;
        VL_DEBUG("parser", "'%.200s': %s from %s, %zu bytes undecodable",
                 pg->url, td.charset, parser_cs_source_name(td.source),
                 td.replaced);
        doc = parser_html_parse(td.html, td.len,
                                pg->final_url ? pg->final_url : pg->url, err);
        /* libxml2 parsed its own copy: each copy of a large page freed as
         * soon as it is done with keeps the peak memory down */
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
        xmlFreeDoc(doc);
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
        res->article = build_json(pg, &m, &b, &text, res->words, res->id);
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
        rc = parser_article_build(&pg, o, res, err);
out:
        parser_page_release(&pg);
        return rc;
}

void parser_result_release(struct parser_result *res)
{
        json_decref(res->article);
        res->article = NULL;
}
