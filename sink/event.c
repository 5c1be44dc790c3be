/* What the sink reads of an enriched event (sink.h): read without a jansson
 * tree (sink_event_scan), or from one (sink_event_from_json, the path of
 * the JSONL file and of the inputs the scan leaves to jansson). Both fill
 * the same struct the same way; test_sink_event.c compares them. */
#include <stdlib.h>
#include <string.h>
#include "veille/mem.h"
#include "sink.h"

static const char *const span_keys[3] = { "start", "end", "in" };

void sink_event_release(struct sink_event *e)
{
        free(e->ents);
        free(e->ments);
        vl_buf_release(&e->buf);
        vl_jobj_release(&e->jo);
        vl_jobj_release(&e->jents);
        vl_jobj_release(&e->jent);
        vl_jobj_release(&e->jments);
        vl_jobj_release(&e->jment);
        memset(e, 0, sizeof(*e));
}

static void reset(struct sink_event *e)
{
        e->object = false;
        e->schema = e->id = e->lang = e->site = e->source = NULL;
        e->published_at = e->title = e->text = NULL;
        e->dup = e->ents_jt = SINK_J_ABSENT;
        e->nents = 0;
        e->nments = 0;
        e->spans = NULL;
        vl_buf_reset(&e->buf);
}

static struct sink_eent *new_ent(struct sink_event *e)
{
        struct sink_eent *x;

        if (e->nents == e->capents) {
                e->capents = e->capents ? 2 * e->capents : 16;
                e->ents = vl_xrealloc(e->ents,
                                      (size_t)e->capents * sizeof(*e->ents));
        }
        x = &e->ents[e->nents++];
        memset(x, 0, sizeof(*x));
        x->ment0 = e->nments;
        return x;
}

static struct sink_ement *new_ment(struct sink_event *e)
{
        struct sink_ement *x;

        if (e->nments == e->capments) {
                e->capments = e->capments ? 2 * e->capments : 32;
                e->ments = vl_xrealloc(e->ments, (size_t)e->capments *
                                                         sizeof(*e->ments));
        }
        x = &e->ments[e->nments++];
        memset(x, 0, sizeof(*x));
        return x;
}

/* ---- without a tree ---- */

static enum sink_jt jt_of(const struct vl_jmember *m)
{
        if (!m)
                return SINK_J_ABSENT;
        switch (m->val[0]) {
        case '"': return SINK_J_STRING;
        case '[': return SINK_J_ARRAY;
        case '{': return SINK_J_OBJECT;
        case 'n': return SINK_J_NULL;
        default: return SINK_J_OTHER;
        }
}

/* The string value of @p m (in e->buf) decoded in place, or NULL. */
static const char *str(struct sink_event *e, const struct vl_jmember *m)
{
        size_t len;

        if (!m || m->val[0] != '"')
                return NULL;
        return vl_jstring_inplace(e->buf.data + (m->val - e->buf.data),
                                  m->vlen, &len);
}

static const struct vl_jmember *get(const struct vl_jobj *o, const char *k,
                                    size_t kl)
{
        for (size_t i = 0; i < o->n; i++)
                if (o->m[i].klen == kl && memcmp(o->m[i].key, k, kl) == 0)
                        return &o->m[i];
        return NULL;
}

#define GET(o, lit) get((o), (lit), sizeof(lit) - 1)

static bool is_integer(const char *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == '.' || v[i] == 'e' || v[i] == 'E')
                        return false;
        return true;
}

/* A mention's start, end or in as the match record would write it from
 * the text alone: a string, an integer, true, false or null. */
static bool span_ok(const struct vl_jmember *m)
{
        char c = m->val[0];

        return c == '"' || c == 't' || c == 'f' || c == 'n' ||
               ((c == '-' || (c >= '0' && c <= '9')) &&
                is_integer(m->val, m->vlen));
}

/* @returns false: leave it to jansson. */
static bool scan_mentions(struct sink_event *e, struct sink_eent *x,
                          const struct vl_jmember *ms)
{
        size_t i, k;

        vl_jscan_items(ms->val, ms->vlen, &e->jments);
        for (i = 0; i < e->jments.n; i++) {
                const struct vl_jmember *mn = &e->jments.m[i];
                struct sink_ement *y = new_ment(e);

                x->nments++;
                y->jt = jt_of(mn);
                if (y->jt != SINK_J_OBJECT)
                        continue;
                vl_jscan_items(mn->val, mn->vlen, &e->jment);
                for (k = 0; k < 3; k++) {
                        const struct vl_jmember *v =
                                get(&e->jment, span_keys[k],
                                    strlen(span_keys[k]));

                        if (!v)
                                continue;
                        if (!span_ok(v))
                                return false;
                        y->span[k] = (size_t)(v->val - e->buf.data);
                        y->spanlen[k] = v->vlen;
                }
                y->text_jt = jt_of(GET(&e->jment, "text"));
                y->text = str(e, GET(&e->jment, "text"));
        }
        return true;
}

static bool scan_entities(struct sink_event *e, const struct vl_jmember *es)
{
        size_t i;

        vl_jscan_items(es->val, es->vlen, &e->jents);
        for (i = 0; i < e->jents.n; i++) {
                const struct vl_jmember *en = &e->jents.m[i], *v;
                struct sink_eent *x = new_ent(e);

                x->jt = jt_of(en);
                if (x->jt != SINK_J_OBJECT)
                        continue;
                vl_jscan_items(en->val, en->vlen, &e->jent);
                v = GET(&e->jent, "salience");
                if (v && jt_of(v) == SINK_J_OTHER && v->val[0] != 't' &&
                    v->val[0] != 'f') {
                        x->has_salience = true;
                        x->salience = strtod(v->val, NULL);
                }
                v = GET(&e->jent, "mentions");
                x->ments_jt = jt_of(v);
                x->qid_jt = jt_of(GET(&e->jent, "qid"));
                x->type = str(e, GET(&e->jent, "type"));
                x->name = str(e, GET(&e->jent, "name"));
                x->qid = str(e, GET(&e->jent, "qid"));
                if (x->ments_jt == SINK_J_ARRAY && !scan_mentions(e, x, v))
                        return false;
        }
        return true;
}

enum sink_scan sink_event_scan(struct sink_event *e, const char *s, size_t n,
                               struct vl_err *err)
{
        struct vl_err jerr = { 0 };
        const struct vl_jmember *v;
        bool plain;

        reset(e);
        vl_buf_append(&e->buf, s, n, NULL);
        if (vl_jscan_object_deep(e->buf.data, n, &e->jo, &plain, &jerr)) {
                vl_err_set(err, VL_REJECT, "invalid enriched event: %s",
                           jerr.msg);
                return SINK_SCAN_REJECT;
        }
        if (!plain)
                return SINK_SCAN_TREE;
        e->object = true;
        e->spans = e->buf.data;
        e->dup = jt_of(GET(&e->jo, "duplicate_of"));
        v = GET(&e->jo, "entities");
        e->ents_jt = jt_of(v);
        if (e->ents_jt == SINK_J_ARRAY && !scan_entities(e, v))
                return SINK_SCAN_TREE;
        v = GET(&e->jo, "source");
        if (jt_of(v) == SINK_J_OBJECT) {
                vl_jscan_items(v->val, v->vlen, &e->jment);
                e->source = str(e, GET(&e->jment, "id"));
        } else {
                e->source = str(e, v);
        }
        e->schema = str(e, GET(&e->jo, "schema"));
        e->id = str(e, GET(&e->jo, "id"));
        e->lang = str(e, GET(&e->jo, "lang"));
        e->site = str(e, GET(&e->jo, "site"));
        e->published_at = str(e, GET(&e->jo, "published_at"));
        e->title = str(e, GET(&e->jo, "title"));
        e->text = str(e, GET(&e->jo, "text"));
        return SINK_SCAN_OK;
}

/* ---- from a jansson tree ---- */

static enum sink_jt jt_json(const json_t *v)
{
        if (!v)
                return SINK_J_ABSENT;
        switch (json_typeof(v)) {
        case JSON_NULL: return SINK_J_NULL;
        case JSON_STRING: return SINK_J_STRING;
        case JSON_ARRAY: return SINK_J_ARRAY;
        case JSON_OBJECT: return SINK_J_OBJECT;
        default: return SINK_J_OTHER;
        }
}

static const char *str_json(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* A span value as the match record writes it (json_dumps for what is
 * neither an integer nor a string). */
static void put_json_value(struct vl_buf *b, const json_t *v)
{
        char *s;

        if (json_is_integer(v)) {
                vl_buf_printf(b, "%lld", (long long)json_integer_value(v));
                return;
        }
        if (json_is_string(v)) {
                vl_json_put_string(b, json_string_value(v),
                                   json_string_length(v));
                return;
        }
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                  JSON_REAL_PRECISION(15));
        if (s)
                vl_buf_append(b, s, strlen(s), NULL);
        else
                vl_buf_append(b, "null", 4, NULL);
        free(s);
}

void sink_event_from_json(struct sink_event *e, const json_t *ev)
{
        const json_t *ents = json_object_get(ev, "entities");
        const json_t *src = json_object_get(ev, "source");
        size_t i, j, k;

        reset(e);
        e->object = json_is_object(ev);
        if (!e->object)
                return;
        e->schema = str_json(ev, "schema");
        e->id = str_json(ev, "id");
        e->dup = jt_json(json_object_get(ev, "duplicate_of"));
        e->ents_jt = jt_json(ents);
        for (i = 0; i < json_array_size(ents); i++) {
                const json_t *en = json_array_get(ents, i), *ms, *sal;
                struct sink_eent *x = new_ent(e);

                x->jt = jt_json(en);
                if (x->jt != SINK_J_OBJECT)
                        continue;
                x->type = str_json(en, "type");
                x->name = str_json(en, "name");
                x->qid = str_json(en, "qid");
                x->qid_jt = jt_json(json_object_get(en, "qid"));
                sal = json_object_get(en, "salience");
                x->has_salience = json_is_number(sal);
                x->salience = json_number_value(sal);
                ms = json_object_get(en, "mentions");
                x->ments_jt = jt_json(ms);
                for (j = 0; j < json_array_size(ms); j++) {
                        const json_t *mn = json_array_get(ms, j);
                        struct sink_ement *y = new_ment(e);

                        x->nments++;
                        y->jt = jt_json(mn);
                        y->text_jt = jt_json(json_object_get(mn, "text"));
                        y->text = str_json(mn, "text");
                        for (k = 0; k < 3; k++) {
                                const json_t *v =
                                        json_object_get(mn, span_keys[k]);

                                if (!v)
                                        continue;
                                y->span[k] = e->buf.len;
                                put_json_value(&e->buf, v);
                                y->spanlen[k] = e->buf.len - y->span[k];
                        }
                }
        }
        e->spans = e->buf.data;
        e->source = json_is_object(src) ? str_json(src, "id")
                                        : json_string_value(src);
        e->lang = str_json(ev, "lang");
        e->site = str_json(ev, "site");
        e->published_at = str_json(ev, "published_at");
        e->title = str_json(ev, "title");
        e->text = str_json(ev, "text");
}

/* ---- both ---- */

void sink_put_span(struct vl_buf *b, const char *v, size_t n,
                   struct vl_buf *scratch)
{
        if (v[0] == '"' && memchr(v, '\\', n)) {
                struct vl_jmember m = { .val = v, .vlen = n, .escaped = true };
                size_t len;
                const char *s = vl_jmember_string(&m, scratch, &len);

                vl_json_put_string(b, s, len);
                return;
        }
        if ((v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) &&
            is_integer(v, n) && n < 24) { /* jansson reads "-0" as 0 */
                char d[24];

                memcpy(d, v, n);
                d[n] = '\0';
                vl_buf_printf(b, "%lld", strtoll(d, NULL, 10));
                return;
        }
        vl_buf_append(b, v, n, NULL);
}

static enum vl_rc reject_entity(int i, const char *what, struct vl_err *err)
{
        return vl_err_set(err, VL_REJECT,
                          "invalid enriched event: entities[%d] %s", i, what);
}

enum vl_rc sink_event_check(const struct sink_event *e, struct vl_err *err)
{
        int i, j;

        if (!e->object)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: not an object");
        if (!e->schema || strcmp(e->schema, SINK_EVENT_SCHEMA) != 0)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: schema is not '%s'",
                                  SINK_EVENT_SCHEMA);
        if (!e->id || !e->id[0])
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: no 'id'");
        if (e->dup != SINK_J_ABSENT && e->dup != SINK_J_NULL &&
            e->dup != SINK_J_STRING)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: 'duplicate_of' is "
                                  "neither null nor a string");
        if (e->ents_jt != SINK_J_ABSENT && e->ents_jt != SINK_J_NULL &&
            e->ents_jt != SINK_J_ARRAY)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: 'entities' is not "
                                  "an array");
        for (i = 0; i < e->nents; i++) {
                const struct sink_eent *x = &e->ents[i];

                if (x->jt != SINK_J_OBJECT)
                        return reject_entity(i, "is not an object", err);
                if (!x->name)
                        return reject_entity(i, "has no 'name'", err);
                if (x->qid_jt != SINK_J_ABSENT && x->qid_jt != SINK_J_NULL &&
                    x->qid_jt != SINK_J_STRING)
                        return reject_entity(i, "'qid' is not a string", err);
                if (x->ments_jt != SINK_J_ABSENT &&
                    x->ments_jt != SINK_J_ARRAY)
                        return reject_entity(i, "'mentions' is not an array",
                                             err);
                for (j = x->ment0; j < x->ment0 + x->nments; j++) {
                        const struct sink_ement *y = &e->ments[j];

                        if (y->jt != SINK_J_OBJECT ||
                            (y->text_jt != SINK_J_ABSENT &&
                             y->text_jt != SINK_J_STRING))
                                return reject_entity(
                                        i, "has an invalid mention", err);
                }
        }
        return VL_OK;
}
