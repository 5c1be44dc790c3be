/* The sources file: one feed per line, `URL key=value ...`.
 *
 *   # Sahel
 *   https://sahel.example/feed.xml  lang=fr site="Sahel Actu" tags=sahel,mali
 *   https://news.example/atom       type=atom interval=15m
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "fetcher.h"

#define SOURCES_MAX_BYTES (64 << 20)
#define SOURCES_MAX_INTERVAL_S (30LL * 86400)
/* a state's next poll and interval: at most four times the longest
 * interval (the adaptive bound) */
#define STATE_MAX_WAIT_MS (4 * SOURCES_MAX_INTERVAL_S * 1000)

const char *fetcher_feed_type_name(enum fetcher_feed_type t)
{
        switch (t) {
        case FETCHER_FEED_RSS:
                return "rss";
        case FETCHER_FEED_ATOM:
                return "atom";
        case FETCHER_FEED_SITEMAP:
                return "sitemap";
        case FETCHER_FEED_JSON:
                return "json";
        case FETCHER_FEED_URLS:
                return "urls";
        case FETCHER_FEED_SITE:
                return "site";
        case FETCHER_FEED_AUTO:
                break;
        }
        return "auto";
}

struct fetcher_source *fetcher_source_new(const char *url)
{
        struct fetcher_source *s = vl_xcalloc(1, sizeof(*s));

        s->refs = 1;
        s->url = vl_xstrdup(url);
        s->partition = -1;
        fetcher_map_init(&s->children);
        fetcher_map_init(&s->known);
        return s;
}

struct fetcher_source *fetcher_source_ref(struct fetcher_source *s)
{
        s->refs++;
        return s;
}

static void free_strv(char **v, int n)
{
        int i;

        for (i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void fetcher_source_unref(struct fetcher_source *s)
{
        if (!s || --s->refs > 0)
                return;
        free(s->url);
        free(s->site);
        free(s->lang);
        free_strv(s->tags, s->ntags);
        free(s->etag);
        free(s->last_modified);
        free(s->key);
        fetcher_map_release(&s->children, free);
        fetcher_map_release(&s->known, NULL);
        free(s);
}

void fetcher_source_forget_validators(struct fetcher_source *s)
{
        free(s->etag);
        free(s->last_modified);
        s->etag = NULL;
        s->last_modified = NULL;
}

void fetcher_sources_add_take(struct fetcher_sources *ss,
                              struct fetcher_source *s)
{
        if (ss->n == ss->cap) {
                ss->cap = ss->cap ? ss->cap * 2 : 16;
                ss->v = vl_xrealloc(ss->v, (size_t)ss->cap * sizeof(*ss->v));
        }
        ss->v[ss->n++] = s;
}

void fetcher_sources_release(struct fetcher_sources *ss)
{
        int i;

        for (i = 0; i < ss->n; i++)
                fetcher_source_unref(ss->v[i]);
        free(ss->v);
        ss->v = NULL;
        ss->n = 0;
        ss->cap = 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

enum vl_rc fetcher_source_check_url(const char *url, struct vl_err *err)
{
        CURLU *u = curl_url();
        char *scheme = NULL;
        char *host = NULL;
        enum vl_rc rc = VL_OK;

        if (!u)
                return vl_err_set(err, VL_FATAL, "out of memory");
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                rc = vl_err_set(err, VL_REJECT, "invalid URL '%s'", url);
                goto out;
        }
        if (strcmp(scheme, "http") && strcmp(scheme, "https"))
                rc = vl_err_set(err, VL_REJECT,
                                "unsupported scheme in '%s' (http or https)",
                                url);
out:
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(u);
        return rc;
}

static enum vl_rc parse_interval(const char *v, int64_t *out,
                                 struct vl_err *err)
{
        int64_t n = 0;
        int64_t mul = 1;
        const char *p = v;

        if (!isdigit((unsigned char)*p))
                goto bad;
        for (; isdigit((unsigned char)*p); p++) {
                n = n * 10 + (*p - '0');
                if (n > SOURCES_MAX_INTERVAL_S)
                        goto bad;
        }
        switch (*p) {
        case '\0':
                break;
        case 's':
                p++;
                break;
        case 'm':
                mul = 60;
                p++;
                break;
        case 'h':
                mul = 3600;
                p++;
                break;
        case 'd':
                mul = 86400;
                p++;
                break;
        default:
                goto bad;
        }
        if (*p || n == 0 || n * mul > SOURCES_MAX_INTERVAL_S)
                goto bad;
        *out = n * mul;
        return VL_OK;
bad:
        return vl_err_set(err, VL_REJECT,
                          "invalid interval '%s' (seconds, or a number with "
                          "s, m, h or d, at most 30 days)",
                          v);
}

static bool valid_lang(const char *v)
{
        size_t n = strlen(v);
        size_t i;

        if (n == 0 || n > 35 || !isalpha((unsigned char)v[0]))
                return false;
        for (i = 0; i < n; i++)
                if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
                    v[i] != '_')
                        return false;
        return true;
}

static void split_tags(struct fetcher_source *s, const char *v)
{
        const char *p = v;

        while (*p) {
                const char *e = strchr(p, ',');
                const char *b = p;
                size_t n;

                if (!e)
                        e = p + strlen(p);
                while (b < e && (is_space(*b)))
                        b++;
                n = (size_t)(e - b);
                while (n && is_space(b[n - 1]))
                        n--;
                if (n) {
                        s->tags = vl_xrealloc(s->tags, (size_t)(s->ntags + 1) *
                                                               sizeof(char *));
                        s->tags[s->ntags++] = vl_xstrndup(b, n);
                }
                p = *e ? e + 1 : e;
        }
}

enum vl_rc fetcher_source_set(struct fetcher_source *s, const char *key,
                              const char *val, struct vl_err *err)
{
        if (!strcmp(key, "interval"))
                return parse_interval(val, &s->interval_s, err);
        if (!strcmp(key, "lang")) {
                if (!valid_lang(val))
                        return vl_err_set(err, VL_REJECT,
                                          "invalid lang '%s'", val);
                free(s->lang);
                s->lang = vl_xstrdup(val);
                return VL_OK;
        }
        if (!strcmp(key, "site")) {
                if (!*val)
                        return vl_err_set(err, VL_REJECT, "empty site");
                free(s->site);
                s->site = vl_xstrdup(val);
                return VL_OK;
        }
        if (!strcmp(key, "tags")) {
                free_strv(s->tags, s->ntags);
                s->tags = NULL;
                s->ntags = 0;
                split_tags(s, val);
                return VL_OK;
        }
        if (!strcmp(key, "type")) {
                if (!strcmp(val, "rss"))
                        s->type = FETCHER_FEED_RSS;
                else if (!strcmp(val, "atom"))
                        s->type = FETCHER_FEED_ATOM;
                else if (!strcmp(val, "sitemap"))
                        s->type = FETCHER_FEED_SITEMAP;
                else if (!strcmp(val, "json"))
                        s->type = FETCHER_FEED_JSON;
                else if (!strcmp(val, "urls"))
                        s->type = FETCHER_FEED_URLS;
                else if (!strcmp(val, "site"))
                        s->type = FETCHER_FEED_SITE;
                else if (!strcmp(val, "auto"))
                        s->type = FETCHER_FEED_AUTO;
                else
                        return vl_err_set(err, VL_REJECT,
                                          "invalid type '%s' (rss, atom, "
                                          "sitemap, json, urls, site or "
                                          "auto)",
                                          val);
                return VL_OK;
        }
        return vl_err_set(err, VL_REJECT,
                          "unknown key '%s' (interval, lang, site, tags, "
                          "type)",
                          key);
}

/* Read one value at *pp (quoted or bare) into @p val. */
static enum vl_rc read_value(const char **pp, struct vl_buf *val,
                             struct vl_err *err)
{
        const char *p = *pp;

        vl_buf_reset(val);
        if (*p != '"') {
                const char *b = p;

                while (*p && !is_space(*p))
                        p++;
                vl_buf_append(val, b, (size_t)(p - b), NULL);
                *pp = p;
                return VL_OK;
        }
        for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                vl_buf_append(val, p, 1, NULL);
        }
        if (*p != '"')
                return vl_err_set(err, VL_REJECT, "unterminated quote");
        p++;
        if (*p && !is_space(*p))
                return vl_err_set(err, VL_REJECT,
                                  "expected a space after a quoted value");
        *pp = p;
        return VL_OK;
}

/* Parse one line (NUL-terminated, no newline). *out is NULL for a blank or
 * comment line. */
static enum vl_rc parse_line(const char *line, struct fetcher_source **out,
                             struct vl_err *err)
{
        struct fetcher_source *s = NULL;
        struct vl_buf val;
        const char *p = line;
        const char *b;
        char *url = NULL;
        char key[32];
        enum vl_rc rc = VL_OK;

        *out = NULL;
        vl_buf_init(&val, 0);
        while (is_space(*p))
                p++;
        if (!*p || *p == '#')
                goto out;
        for (b = p; *p && !is_space(*p); p++)
                ;
        url = vl_xstrndup(b, (size_t)(p - b));
        rc = fetcher_source_check_url(url, err);
        if (rc != VL_OK)
                goto out;
        s = fetcher_source_new(url);
        for (;;) {
                size_t n;

                while (is_space(*p))
                        p++;
                if (!*p || *p == '#')
                        break;
                for (b = p; *p && *p != '=' && !is_space(*p); p++)
                        ;
                n = (size_t)(p - b);
                if (*p != '=' || n == 0) {
                        while (*p && !is_space(*p))
                                p++;
                        rc = vl_err_set(err, VL_REJECT,
                                        "expected key=value, got '%.*s'",
                                        (int)(p - b), b);
                        goto out;
                }
                if (n >= sizeof(key)) {
                        rc = vl_err_set(err, VL_REJECT, "unknown key '%.*s'",
                                        (int)n, b);
                        goto out;
                }
                memcpy(key, b, n);
                key[n] = '\0';
                p++;
                rc = read_value(&p, &val, err);
                if (rc != VL_OK)
                        goto out;
                rc = fetcher_source_set(s, key, val.data ? val.data : "", err);
                if (rc != VL_OK)
                        goto out;
        }
        *out = s;
        s = NULL;
out:
        fetcher_source_unref(s);
        free(url);
        vl_buf_release(&val);
        return rc;
}

enum vl_rc fetcher_sources_parse(struct fetcher_sources *ss, const char *text,
                                 size_t len, const char *name,
                                 struct vl_err *err)
{
        struct fetcher_sources got = { 0 };
        struct fetcher_map urls;
        struct vl_err lerr;
        const char *p = text;
        const char *end = text + len;
        int lineno = 0;
        enum vl_rc rc = VL_OK;

        fetcher_map_init(&urls);
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                struct fetcher_source *s;
                char *line;

                lineno++;
                if (memchr(p, '\0', (size_t)(e - p))) {
                        rc = vl_err_set(err, VL_REJECT,
                                        "%s:%d: NUL byte in line", name,
                                        lineno);
                        goto out;
                }
                line = vl_xstrndup(p, (size_t)(e - p));
                rc = parse_line(line, &s, &lerr);
                free(line);
                if (rc != VL_OK) {
                        vl_err_set(err, rc, "%s:%d: %s", name, lineno,
                                   lerr.msg);
                        goto out;
                }
                if (s) {
                        struct fetcher_source *first =
                                fetcher_map_get(&urls, s->url);

                        s->line = lineno;
                        if (first) {
                                rc = vl_err_set(err, VL_REJECT,
                                                "%s:%d: duplicate source '%s' "
                                                "(first on line %d)",
                                                name, lineno, s->url,
                                                first->line);
                                fetcher_source_unref(s);
                                goto out;
                        }
                        fetcher_map_put(&urls, s->url, s);
                        fetcher_sources_add_take(&got, s);
                }
                p = nl ? nl + 1 : end;
        }
        for (int i = 0; i < got.n; i++) {
                fetcher_sources_add_take(ss, got.v[i]);
                got.v[i] = NULL;
        }
        got.n = 0;
out:
        fetcher_map_release(&urls, NULL);
        fetcher_sources_release(&got);
        return rc;
}

enum vl_rc fetcher_sources_load(struct fetcher_sources *ss, const char *path,
                                struct vl_err *err)
{
        struct vl_buf b;
        struct vl_err lerr;
        enum vl_rc rc;

        vl_buf_init(&b, SOURCES_MAX_BYTES);
        rc = vl_buf_read_file(&b, path, &lerr);
        if (rc != VL_OK) {
                vl_err_set(err, rc, "cannot read sources: %s", lerr.msg);
                goto out;
        }
        rc = fetcher_sources_parse(ss, b.data ? b.data : "", b.len, path, err);
out:
        vl_buf_release(&b);
        return rc;
}

/* ------------------------------------------------------ topic mode (JSON) */

json_t *fetcher_source_to_json(const struct fetcher_source *s)
{
        json_t *o = json_pack("{s:s}", "url", s->url);
        json_t *tags;

        if (s->type != FETCHER_FEED_AUTO)
                json_object_set_new(o, "type",
                                    json_string(fetcher_feed_type_name(s->type)));
        if (s->interval_s)
                json_object_set_new(o, "interval",
                                    json_integer((json_int_t)s->interval_s));
        if (s->lang)
                json_object_set_new(o, "lang", json_string(s->lang));
        if (s->site)
                json_object_set_new(o, "site", json_string(s->site));
        if (s->ntags) {
                tags = json_array();
                for (int i = 0; i < s->ntags; i++)
                        json_array_append_new(tags, json_string(s->tags[i]));
                json_object_set_new(o, "tags", tags);
        }
        return o;
}

/* One member of a source object, as the sources file would give it. */
static enum vl_rc set_json(struct fetcher_source *s, const char *key,
                           const json_t *v, struct vl_err *err)
{
        struct vl_buf b;
        enum vl_rc rc;
        char num[32];
        size_t i;
        json_t *t;

        if (json_is_string(v))
                return fetcher_source_set(s, key, json_string_value(v), err);
        if (json_is_integer(v)) {
                snprintf(num, sizeof(num), "%lld",
                         (long long)json_integer_value(v));
                return fetcher_source_set(s, key, num, err);
        }
        if (!json_is_array(v) || strcmp(key, "tags"))
                return vl_err_set(err, VL_REJECT, "invalid '%s'", key);
        vl_buf_init(&b, 0);
        json_array_foreach(v, i, t) {
                if (!json_is_string(t)) {
                        vl_buf_release(&b);
                        return vl_err_set(err, VL_REJECT,
                                          "tags must be strings");
                }
                if (i)
                        vl_buf_append(&b, ",", 1, NULL);
                vl_buf_append(&b, json_string_value(t),
                              strlen(json_string_value(t)), NULL);
        }
        rc = fetcher_source_set(s, key, b.data ? b.data : "", err);
        vl_buf_release(&b);
        return rc;
}

enum vl_rc fetcher_sources_from_json(struct fetcher_sources *ss,
                                     const json_t *site, struct vl_err *err)
{
        struct fetcher_sources got = { 0 };
        const json_t *list, *o;
        enum vl_rc rc = VL_OK;
        size_t i;

        if (!json_is_object(site))
                return vl_err_set(err, VL_REJECT, "a site record must be a "
                                  "JSON object");
        if (json_is_true(json_object_get(site, "deleted")))
                return VL_OK;
        list = json_object_get(site, "sources");
        if (list && !json_is_array(list))
                return vl_err_set(err, VL_REJECT, "'sources' must be an "
                                  "array");
        json_array_foreach(list, i, o) {
                const json_t *url = json_object_get(o, "url");
                struct fetcher_source *s;
                const char *k;
                json_t *v;

                if (!json_is_string(url)) {
                        rc = vl_err_set(err, VL_REJECT, "source %zu has no "
                                        "'url' string", i);
                        goto out;
                }
                rc = fetcher_source_check_url(json_string_value(url), err);
                if (rc != VL_OK)
                        goto out;
                s = fetcher_source_new(json_string_value(url));
                fetcher_sources_add_take(&got, s);
                json_object_foreach((json_t *)(uintptr_t)o, k, v) {
                        if (!strcmp(k, "url") || json_is_null(v))
                                continue;
                        rc = set_json(s, k, v, err);
                        if (rc != VL_OK)
                                goto out;
                }
        }
        for (int j = 0; j < got.n; j++) {
                fetcher_sources_add_take(ss, got.v[j]);
                got.v[j] = NULL;
        }
        got.n = 0;
out:
        fetcher_sources_release(&got);
        return rc;
}

static void add_known(void *ctx, const char *key, void *val)
{
        json_t *items = ctx;

        (void)val;
        json_array_append_new(items, json_string(key));
}

static char known_mark;

json_t *fetcher_source_state(const struct fetcher_source *s)
{
        int64_t mono = vl_time_mono_ms();
        int64_t next = vl_time_now_ms() + (s->next_poll_ms - mono);
        json_t *items = json_array();
        /* validators under which pages are still unsettled would let a
         * 304 hide them after a crash: the next reader reads it whole */
        bool keep = s->pages == 0;
        json_t *o;

        fetcher_map_each(&s->known, add_known, items);

        o = json_pack("{s:o, s:o, s:I, s:I, s:i, s:i, s:b, s:o}",
                      "etag", keep && s->etag ? json_string(s->etag)
                                              : json_null(),
                      "last_modified",
                      keep && s->last_modified
                              ? json_string(s->last_modified)
                              : json_null(),
                      "interval_ms", (json_int_t)s->cur_interval_ms,
                      "next_poll_at", (json_int_t)next,
                      "failures", s->failures,
                      "not_modified", s->not_modified,
                      "stale_validators", s->stale_validators,
                      "items", items);
        return o;
}

void fetcher_source_apply_state(struct fetcher_source *s, const json_t *st)
{
        const json_t *v;
        size_t i;

        if (!json_is_object(st))
                return;
        v = json_object_get(st, "etag");
        if (json_is_string(v) || json_is_null(v)) {
                free(s->etag);
                s->etag = json_is_string(v) ? vl_xstrdup(json_string_value(v))
                                            : NULL;
        }
        v = json_object_get(st, "last_modified");
        if (json_is_string(v) || json_is_null(v)) {
                free(s->last_modified);
                s->last_modified = json_is_string(v)
                                           ? vl_xstrdup(json_string_value(v))
                                           : NULL;
        }
        v = json_object_get(st, "interval_ms");
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) <= STATE_MAX_WAIT_MS)
                s->cur_interval_ms = json_integer_value(v);
        v = json_object_get(st, "next_poll_at");
        if (json_is_integer(v)) {
                int64_t at = json_integer_value(v);
                int64_t now = vl_time_now_ms();
                int64_t wait = at > now ? at - now : 0;

                if (wait > STATE_MAX_WAIT_MS)
                        wait = STATE_MAX_WAIT_MS;
                s->next_poll_ms = vl_time_mono_ms() + wait;
        }
        v = json_object_get(st, "failures");
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) < 1000000)
                s->failures = (int)json_integer_value(v);
        v = json_object_get(st, "not_modified");
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) < 1000000)
                s->not_modified = (int)json_integer_value(v);
        v = json_object_get(st, "stale_validators");
        if (json_is_boolean(v))
                s->stale_validators = json_is_true(v);
        v = json_object_get(st, "items");
        if (json_is_array(v)) {
                const json_t *id;

                json_array_foreach(v, i, id) {
                        if (s->known.n >= FETCHER_KNOWN_MAX)
                                break;
                        if (json_is_string(id))
                                fetcher_map_put(&s->known,
                                                json_string_value(id),
                                                &known_mark);
                }
        }
}
