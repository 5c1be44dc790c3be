/* The page event (veille.page.v1) as the fetcher writes it, and the one
 * that one-shot mode makes up around a file. */
#include <stdlib.h>
#include <string.h>
#include "veille/codec.h"
#include "veille/jscan.h"
#include "veille/mem.h"
#include "veille/url.h"
#include "parser.h"

/* A non-empty string member, or NULL. */
static const char *jstr(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        const char *s;

        if (!json_is_string(v))
                return NULL;
        s = json_string_value(v);
        return *s ? s : NULL;
}

static json_t *jarr(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);

        return json_is_array(v) ? v : NULL;
}

/* Everything but the body. */
static enum vl_rc decode_head(struct parser_page *pg, const char *json,
                              size_t len, struct vl_err *err)
{
        json_error_t jerr;
        json_t *http, *item;
        const char *schema;

        memset(pg, 0, sizeof(*pg));
        pg->root = json_loadb(json, len, 0, &jerr);
        if (!pg->root)
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: %s (line %d)", jerr.text,
                                  jerr.line);
        if (!json_is_object(pg->root))
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: not a json object");
        schema = jstr(pg->root, "schema");
        if (schema && strncmp(schema, "veille.page.", 12) != 0)
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: unsupported schema '%s'",
                                  schema);
        pg->url = jstr(pg->root, "url");
        if (!pg->url)
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: no 'url'");
        pg->id = jstr(pg->root, "id");
        pg->final_url = jstr(pg->root, "final_url");
        pg->fetched_at = jstr(pg->root, "fetched_at");
        pg->source = json_object_get(pg->root, "source");
        if (!json_is_object(pg->source))
                pg->source = NULL;
        pg->source_site = jstr(pg->source, "site");
        pg->source_lang = jstr(pg->source, "lang");
        http = json_object_get(pg->root, "http");
        if (json_is_object(http)) {
                json_t *st = json_object_get(http, "status");

                if (json_is_integer(st))
                        pg->http_status = (int)json_integer_value(st);
                pg->content_type = jstr(http, "content_type");
                pg->http_charset = jstr(http, "charset");
                pg->content_language = jstr(http, "content_language");
        }
        item = json_object_get(pg->root, "item");
        if (json_is_object(item)) {
                pg->item_title = jstr(item, "title");
                pg->item_published = jstr(item, "published");
                pg->item_summary = jstr(item, "summary");
                pg->item_authors = jarr(item, "authors");
                pg->item_categories = jarr(item, "categories");
        }
        return VL_OK;
}

static enum vl_rc check_size(struct parser_page *pg, int64_t max_body,
                             struct vl_err *err)
{
        pg->too_large = max_body > 0 && pg->body_len > (size_t)max_body;
        if (pg->too_large)
                return vl_err_set(err, VL_REJECT,
                                  "page too large: %zu bytes, "
                                  "parser.max.body.bytes is %lld",
                                  pg->body_len, (long long)max_body);
        if (pg->body_len == 0)
                return vl_err_set(err, VL_REJECT, "empty page '%s'", pg->url);
        return VL_OK;
}

/* The page from its base64 (@p blen bytes at @p b64). */
static enum vl_rc decode_body(struct parser_page *pg, const char *b64,
                              size_t blen, int64_t max_body,
                              struct vl_err *err)
{
        struct vl_err derr;

        if (blen == 0)
                return vl_err_set(err, VL_REJECT, "empty page '%s'", pg->url);
        pg->too_large = max_body > 0 && blen / 4 * 3 > (size_t)max_body + 3;
        if (pg->too_large)
                return vl_err_set(err, VL_REJECT,
                                  "page too large: about %zu bytes, "
                                  "parser.max.body.bytes is %lld",
                                  blen / 4 * 3, (long long)max_body);
        pg->body = vl_base64_decode(b64, blen, &pg->body_len, &derr);
        if (!pg->body)
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: body_b64: %s", derr.msg);
        return check_size(pg, max_body, err);
}

/* A well-formed event whose body has no escapes (the fetcher's, always):
 * the head alone goes through jansson, the body is decoded from the
 * message's own bytes. jansson would hold the base64 twice more (its lexer's
 * buffer and the string), 28 MB for a 10 MB page, on top of the message.
 * @returns false when the event is not such: the caller asks jansson. */
static bool decode_split(struct parser_page *pg, const char *json, size_t len,
                         int64_t max_body, enum vl_rc *rc, struct vl_err *err)
{
        struct vl_jobj o = {0};
        struct vl_err serr;
        const struct vl_jmember *b;
        struct vl_buf head;
        bool ok = false;

        if (vl_jscan_object(json, len, &o, &serr) != VL_OK)
                goto out;
        b = vl_jobj_get(&o, "body_b64");
        if (!vl_jmember_is_string(b) || b->escaped)
                goto out;
        vl_buf_init(&head, 0);
        vl_buf_append(&head, "{", 1, NULL);
        for (size_t i = 0; i < o.n; i++) {
                if (&o.m[i] == b)
                        continue;
                if (head.len > 1)
                        vl_buf_append(&head, ",", 1, NULL);
                vl_buf_append(&head, o.m[i].raw, o.m[i].rawlen, NULL);
        }
        vl_buf_append(&head, "}", 1, NULL);
        *rc = decode_head(pg, head.data, head.len, err);
        vl_buf_release(&head);
        if (*rc == VL_OK)
                *rc = decode_body(pg, b->val + 1, b->vlen - 2, max_body, err);
        ok = true;
out:
        vl_jobj_release(&o);
        return ok;
}

enum vl_rc parser_page_decode(struct parser_page *pg, const char *json,
                              size_t len, int64_t max_body,
                              struct vl_err *err)
{
        json_t *b64;
        enum vl_rc rc;

        if (decode_split(pg, json, len, max_body, &rc, err))
                return rc;
        if (decode_head(pg, json, len, err) != VL_OK)
                return VL_REJECT;
        b64 = json_object_get(pg->root, "body_b64");
        if (!json_is_string(b64))
                return vl_err_set(err, VL_REJECT,
                                  "bad page event: no 'body_b64'");
        rc = decode_body(pg, json_string_value(b64), json_string_length(b64),
                         max_body, err);
        /* the encoded copy is a third larger than the page: gone now
         * (peak memory on the largest pages) */
        json_object_del(pg->root, "body_b64");
        return rc;
}

enum vl_rc parser_page_decode_borrowed(struct parser_page *pg,
                                       const char *json, size_t len,
                                       const char *body, size_t body_len,
                                       int64_t max_body, struct vl_err *err)
{
        if (decode_head(pg, json, len, err) != VL_OK)
                return VL_REJECT;
        pg->body = (unsigned char *)(uintptr_t)body; /* never written */
        pg->body_len = body_len;
        pg->body_borrowed = true;
        return check_size(pg, max_body, err);
}

void parser_page_release(struct parser_page *pg)
{
        json_decref(pg->root);
        if (!pg->body_borrowed)
                free(pg->body);
        memset(pg, 0, sizeof(*pg));
}

char *parser_page_wrap(const char *raw, size_t n, const char *url,
                       const char *charset, size_t *len)
{
        json_t *page = json_object(), *http = json_object();
        char id[VL_ID_LEN + 1], now[32];
        char *b64, *s, *out, *canon;
        struct vl_err err;
        size_t blen;

        canon = vl_url_canonical(url, &err);
        vl_article_id(canon ? canon : url, id);
        vl_time_rfc3339(now);
        b64 = raw ? vl_base64_encode(raw, n, &blen) : NULL;
        json_object_set_new(page, "schema", json_string(PARSER_SCHEMA_PAGE));
        json_object_set_new(page, "id", json_string(id));
        json_object_set_new(page, "url", vl_json_str(url));
        json_object_set_new(page, "canonical_url",
                            vl_json_str(canon ? canon : url));
        json_object_set_new(page, "final_url", vl_json_str(url));
        json_object_set_new(page, "fetched_at", json_string(now));
        json_object_set_new(http, "status", json_integer(200));
        if (charset && *charset)
                json_object_set_new(http, "charset", vl_json_str(charset));
        json_object_set_new(page, "http", http);
        if (b64)
                json_object_set_new(page, "body_b64", json_stringn(b64, blen));
        json_object_set_new(page, "body_bytes", json_integer((json_int_t)n));
        free(b64);
        free(canon);
        s = json_dumps(page, JSON_COMPACT);
        json_decref(page);
        out = vl_xstrdup(s ? s : "{}");
        free(s);
        if (len)
                *len = strlen(out);
        return out;
}
