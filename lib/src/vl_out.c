#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/out.h"
#include "veille/mem.h"
#include "veille/codec.h"

void vl_out_init(struct vl_out *out, const char *ce_source)
{
        memset(out, 0, sizeof(*out));
        out->ce_source = ce_source;
}

static void rec_release(struct vl_rec *rec)
{
        free(rec->topic);
        free(rec->key);
        free(rec->value);
        for (int i = 0; i < rec->nhdrs; i++) {
                free(rec->hdrs[i].name);
                free(rec->hdrs[i].value);
        }
        memset(rec, 0, sizeof(*rec));
}

void vl_out_clear(struct vl_out *out)
{
        for (int i = 0; i < out->n; i++)
                rec_release(&out->recs[i]);
        out->n = 0;
}

void vl_out_release(struct vl_out *out)
{
        vl_out_clear(out);
        free(out->ce_id_base);
        out->ce_id_base = NULL;
        free(out->held);
        out->held = NULL;
        out->nheld = out->capheld = 0;
        free(out->recs);
        out->recs = NULL;
        out->cap = 0;
}

void vl_out_set_id_base(struct vl_out *out, const char *fmt, ...)
{
        va_list ap;
        int n;

        free(out->ce_id_base);
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        out->ce_id_base = vl_xmalloc((size_t)(n > 0 ? n : 0) + 1);
        va_start(ap, fmt);
        vsnprintf(out->ce_id_base, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
        va_end(ap);
}

/* A new record whose value is @p value (taken, may be NULL). */
static struct vl_rec *rec_add(struct vl_out *out, const char *topic,
                              const char *key, char *value, size_t len)
{
        struct vl_rec *rec;

        if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 4;
                out->recs = vl_xrealloc(out->recs,
                                        (size_t)out->cap * sizeof(*out->recs));
        }
        rec = &out->recs[out->n++];
        memset(rec, 0, sizeof(*rec));
        rec->topic = vl_xstrdup(topic);
        rec->key = vl_xstrdup(key);
        rec->value = value;
        rec->len = value ? len : 0;
        return rec;
}

struct vl_rec *vl_out_raw(struct vl_out *out, const char *topic,
                          const char *key, const void *value, size_t len)
{
        return rec_add(out, topic, key, value ? vl_xmemdup(value, len) : NULL,
                       len);
}

void vl_rec_header(struct vl_rec *rec, const char *name, const char *value)
{
        assert(rec->nhdrs < VL_OUT_MAX_HEADERS);
        if (rec->nhdrs >= VL_OUT_MAX_HEADERS || !value)
                return;
        rec->hdrs[rec->nhdrs].name = vl_xstrdup(name);
        rec->hdrs[rec->nhdrs].value = vl_xstrdup(value);
        rec->nhdrs++;
}

void vl_rec_json_append(struct vl_rec *rec, const char *name,
                        const char *json, size_t n)
{
        size_t len = rec->len, klen = strlen(name);
        char *v;

        if (len < 2 || rec->value[len - 1] != '}')
                return;
        /* "{...}" -> "{...,"name":json}" ("{}" takes no comma) */
        v = vl_xmalloc(len + klen + n + 5);
        memcpy(v, rec->value, len - 1);
        len--;
        if (len > 1)
                v[len++] = ',';
        v[len++] = '"';
        memcpy(v + len, name, klen);
        len += klen;
        v[len++] = '"';
        v[len++] = ':';
        memcpy(v + len, json, n);
        len += n;
        v[len++] = '}';
        v[len] = '\0';
        free(rec->value);
        rec->value = v;
        rec->len = len;
}

const char *vl_rec_header_get(const struct vl_rec *rec, const char *name)
{
        for (int i = 0; i < rec->nhdrs; i++)
                if (strcmp(rec->hdrs[i].name, name) == 0)
                        return rec->hdrs[i].value;
        return NULL;
}

/* The CloudEvents headers of a JSON record (the last one added). */
static void ce_headers(struct vl_out *out, struct vl_rec *rec,
                       const char *key, const char *ce_type)
{
        char now[32], *id;

        vl_time_rfc3339(now);
        /* deterministic per input and position, so that a re-delivered
         * input repeats the same ce_id (CloudEvents source+id dedup) */
        if (out->ce_id_base)
                id = vl_xasprintf("%s/%d", out->ce_id_base, out->n - 1);
        else
                id = vl_xasprintf("%s/%lld", key ? key : "-",
                                  (long long)vl_time_now_ms());
        vl_rec_header(rec, "ce_specversion", "1.0");
        vl_rec_header(rec, "ce_id", id);
        vl_rec_header(rec, "ce_source",
                      out->ce_source ? out->ce_source : "urn:veille");
        vl_rec_header(rec, "ce_type", ce_type);
        vl_rec_header(rec, "ce_time", now);
        if (key)
                vl_rec_header(rec, "ce_subject", key);
        vl_rec_header(rec, "content-type", "application/json");
        free(id);
}

struct vl_rec *vl_out_json_take(struct vl_out *out, const char *topic,
                                const char *key, const char *ce_type,
                                json_t *data)
{
        char *s = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(15));

        json_decref(data);
        if (!s)
                s = vl_xstrdup("null");
        /* jansson allocates with malloc (no json_set_alloc_funcs here): the
         * serialisation becomes the value without another copy */
        return vl_out_json_own(out, topic, key, ce_type, s, strlen(s));
}

struct vl_rec *vl_out_json_own(struct vl_out *out, const char *topic,
                               const char *key, const char *ce_type,
                               char *json, size_t n)
{
        struct vl_rec *rec = rec_add(out, topic, key, json, n);

        ce_headers(out, rec, key, ce_type);
        return rec;
}

struct vl_rec *vl_out_json_raw(struct vl_out *out, const char *topic,
                               const char *key, const char *ce_type,
                               const char *json, size_t n)
{
        struct vl_rec *rec = vl_out_raw(out, topic, key, json, n);

        ce_headers(out, rec, key, ce_type);
        return rec;
}

struct vl_rec *vl_out_dlq_take(struct vl_out *out, const char *topic,
                               const char *stage, const struct vl_err *err,
                               const char *key, json_t *input)
{
        char now[32];
        json_t *o;

        vl_time_rfc3339(now);
        o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:o}", "schema",
                      "veille.dlq.v1", "stage", stage, "error", "class",
                      vl_rc_name(err->rc), "message", err->msg, "failed_at",
                      now, "input", input ? input : json_null());
        return vl_out_json_take(out, topic, key, "org.veille.dlq.v1", o);
}

void vl_out_print(const struct vl_out *out, FILE *fp, int pretty)
{
        for (int i = 0; i < out->n; i++) {
                const struct vl_rec *rec = &out->recs[i];
                const char *ct = vl_rec_header_get(rec, "content-type");
                json_t *j = NULL;

                if (pretty && ct && strcmp(ct, "application/json") == 0)
                        j = json_loadb(rec->value, rec->len, 0, NULL);
                if (j) {
                        json_dumpf(j, fp, JSON_INDENT(2));
                        fputc('\n', fp);
                        json_decref(j);
                } else {
                        fwrite(rec->value, 1, rec->len, fp);
                        fputc('\n', fp);
                }
        }
        fflush(fp);
}
