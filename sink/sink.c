/* The sink stage: validate an enriched event, append it to the JSONL file,
 * and publish one match record per watch that names one of its entities. */
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "veille/conf.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "sink.h"

#define TOPIC_MAX 249 /* Kafka's limit on a topic name */

const struct vl_conf_key sink_keys[] = {
        { "sink.watches", VL_CONF_STR, offsetof(struct sink_conf, watches),
          "", "watches file: one 'name: query' per line, see "
              "docs/watches.md (empty: no watches)", 0 },
        { "sink.watch.prefix", VL_CONF_STR,
          offsetof(struct sink_conf, watch_prefix), "veille.watch.",
          "matches of watch NAME go to topic <prefix>NAME", 0 },
        { "sink.file", VL_CONF_STR, offsetof(struct sink_conf, file), "",
          "append every enriched event to this JSONL file, synced before "
          "its offset is stored (empty: off)", 0 },
        { "sink.file.max.bytes", VL_CONF_INT,
          offsetof(struct sink_conf, file_max_bytes), "0",
          "rotate the JSONL file once it holds this many bytes, to "
          "<file>.<UTC time> (0: never)", 0 },
        { "sink.file.max.age", VL_CONF_INT,
          offsetof(struct sink_conf, file_max_age), "0",
          "rotate the JSONL file once its first line is this many seconds "
          "old (0: never)", 0 },
        { 0 }
};

struct sink {
        const struct sink_conf *cf; /* borrowed */
        const char *prefix;         /* borrowed from cf */
        struct sink_watchset *ws;
        struct sink_jsonl *jsonl;
        struct sink_hits hits; /* per-event scratch */
        atomic_ullong *matches;
        atomic_ullong *lines;
};

static int is_set(const char *s)
{
        return s && s[0];
}

/* Every watch's topic must be a legal Kafka topic name. */
static enum vl_rc check_topics(const struct sink *s,
                               const struct sink_watchset *ws,
                               struct vl_err *err)
{
        size_t plen = strlen(s->prefix);
        int i;

        for (i = 0; i < ws->n; i++)
                if (plen + strlen(ws->w[i].name) > TOPIC_MAX)
                        return vl_err_set(err, VL_REJECT,
                                          "%s:%d: topic '%s%s' is longer "
                                          "than %d characters",
                                          ws->origin, ws->w[i].line,
                                          s->prefix, ws->w[i].name, TOPIC_MAX);
        return VL_OK;
}

static enum vl_rc check_prefix(const char *p, struct vl_err *err)
{
        size_t i;

        for (i = 0; p[i]; i++) {
                char c = p[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return vl_err_set(err, VL_REJECT,
                                          "invalid sink.watch.prefix '%s' "
                                          "(a topic name: a-z, A-Z, 0-9, '.', "
                                          "'_' and '-')",
                                          p);
        }
        return VL_OK;
}

/* @returns new watch set from the configured file (empty if none). */
static struct sink_watchset *load_watches(const struct sink *s,
                                          struct vl_err *err)
{
        struct sink_watchset *ws;

        if (!is_set(s->cf->watches))
                return sink_watchset_new("(no watches)");
        ws = sink_watchset_load(s->cf->watches, err);
        if (ws && check_topics(s, ws, err)) {
                sink_watchset_destroy(ws);
                ws = NULL;
        }
        return ws;
}

enum vl_rc sink_init(void **state, const struct vl_stage_conf *sc, void *conf,
                     struct vl_metrics *m, struct vl_err *err)
{
        struct sink *s = vl_xcalloc(1, sizeof(*s));
        enum vl_rc rc;

        (void)sc;
        s->cf = conf;
        s->prefix = s->cf->watch_prefix ? s->cf->watch_prefix : "";
        rc = check_prefix(s->prefix, err);
        if (rc)
                goto fail;
        /* VL_REJECT here is a configuration error: exit 2 */
        s->ws = load_watches(s, err);
        if (!s->ws) {
                rc = VL_REJECT;
                goto fail;
        }
        if (is_set(s->cf->file)) {
                s->jsonl = sink_jsonl_open(s->cf->file, err);
                if (!s->jsonl) {
                        rc = err ? err->rc : VL_FATAL;
                        goto fail;
                }
        }
        if (m) {
                s->matches = vl_metrics_counter(
                        m, "veille_sink_matches_total", NULL,
                        "watch match records emitted");
                s->lines = vl_metrics_counter(
                        m, "veille_sink_file_lines_total", NULL,
                        "events appended and synced to the JSONL file");
        }
        VL_INFO("watch", "%d watch%s from %s", s->ws->n,
                s->ws->n == 1 ? "" : "es", s->ws->origin);
        *state = s;
        return VL_OK;
fail:
        sink_destroy(s);
        return rc;
}

static enum vl_rc reject_entity(size_t i, const char *what,
                                struct vl_err *err)
{
        return vl_err_set(err, VL_REJECT,
                          "invalid enriched event: entities[%zu] %s", i, what);
}

/* What the sink relies on; the rest of the event is passed on as it is. */
static enum vl_rc check_event(const json_t *ev, struct vl_err *err)
{
        const char *schema = json_string_value(json_object_get(ev, "schema"));
        const char *id = json_string_value(json_object_get(ev, "id"));
        const json_t *ents = json_object_get(ev, "entities");
        const json_t *dup = json_object_get(ev, "duplicate_of");
        size_t i, j;

        if (!json_is_object(ev))
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: not an object");
        if (!schema || strcmp(schema, SINK_EVENT_SCHEMA) != 0)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: schema is not '%s'",
                                  SINK_EVENT_SCHEMA);
        if (!id || !id[0])
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: no 'id'");
        if (dup && !json_is_null(dup) && !json_is_string(dup))
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: 'duplicate_of' is "
                                  "neither null nor a string");
        if (ents && !json_is_null(ents) && !json_is_array(ents))
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: 'entities' is not "
                                  "an array");
        for (i = 0; i < json_array_size(ents); i++) {
                const json_t *ent = json_array_get(ents, i);
                const json_t *qid = json_object_get(ent, "qid");
                const json_t *ms = json_object_get(ent, "mentions");

                if (!json_is_object(ent))
                        return reject_entity(i, "is not an object", err);
                if (!json_is_string(json_object_get(ent, "name")))
                        return reject_entity(i, "has no 'name'", err);
                if (qid && !json_is_null(qid) && !json_is_string(qid))
                        return reject_entity(i, "'qid' is not a string", err);
                if (ms && !json_is_array(ms))
                        return reject_entity(i, "'mentions' is not an array",
                                             err);
                for (j = 0; j < json_array_size(ms); j++) {
                        const json_t *mn = json_array_get(ms, j);
                        const json_t *text = json_object_get(mn, "text");

                        if (!json_is_object(mn) ||
                            (text && !json_is_string(text)))
                                return reject_entity(
                                        i, "has an invalid mention", err);
                }
        }
        return VL_OK;
}

/* {"start","end","in"} of every mention of the entity. */
static json_t *mention_spans(const json_t *ent)
{
        const json_t *ms = json_object_get(ent, "mentions");
        json_t *spans = json_array();
        size_t i;

        for (i = 0; i < json_array_size(ms); i++) {
                const json_t *mn = json_array_get(ms, i);
                json_t *span = json_object();
                const char *keys[] = { "start", "end", "in" };
                size_t k;

                for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                        json_t *v = json_object_get(mn, keys[k]);

                        if (v)
                                json_object_set(span, keys[k], v);
                }
                json_array_append_new(spans, span);
        }
        return spans;
}

static json_t *entity_entry(const struct sink_node *leaf, const json_t *ent)
{
        json_t *qid = json_object_get(ent, "qid");

        return json_pack("{s:s, s:O, s:O, s:o}", "term", leaf->text, "entity",
                         json_object_get(ent, "name"), "qid",
                         qid ? qid : json_null(), "mentions",
                         mention_spans(ent));
}

/* The written form of a leaf: "Q965", "coopération", "type:PER". */
static const char *leaf_term(const struct sink_node *leaf, char *buf,
                             size_t n)
{
        static const char *const field[] = {
                [SINK_N_TYPE] = "type",     [SINK_N_LANG] = "lang",
                [SINK_N_SOURCE] = "source", [SINK_N_SITE] = "site",
                [SINK_N_WITHIN] = "within",
        };

        if (leaf->kind < sizeof(field) / sizeof(field[0]) &&
            field[leaf->kind]) {
                snprintf(buf, n, "%s:%s", field[leaf->kind], leaf->text);
                return buf;
        }
        return leaf->text;
}

/* The entries of hits [i, k) of one watch: one per (entity leaf, entity),
 * one per word or phrase leaf with all its occurrences. */
static json_t *matched_list(const struct sink_watch *w,
                            const struct sink_hit *h, int i, int k,
                            const json_t *ents)
{
        json_t *matched = json_array();
        char buf[1024];

        while (i < k) {
                const struct sink_node *leaf = h[i].leaf;
                json_t *spans;
                int j;

                if (!leaf) { /* matched on NOT alone: the query says why */
                        json_array_append_new(
                                matched, json_pack("{s:s}", "term", w->query));
                        i++;
                        continue;
                }
                if (leaf->kind >= SINK_N_LANG) {
                        json_array_append_new(
                                matched,
                                json_pack("{s:s}", "term",
                                          leaf_term(leaf, buf, sizeof(buf))));
                        i++;
                        continue;
                }
                if (h[i].entity >= 0) {
                        json_t *e = entity_entry(
                                leaf,
                                json_array_get(ents, (size_t)h[i].entity));

                        if (leaf->kind == SINK_N_TYPE)
                                json_object_set_new(
                                        e, "term",
                                        json_string(leaf_term(
                                                leaf, buf, sizeof(buf))));
                        json_array_append_new(matched, e);
                        i++;
                        continue;
                }
                spans = json_array();
                for (j = i; j < k && h[j].leaf == leaf && h[j].entity < 0;
                     j++)
                        json_array_append_new(
                                spans,
                                json_pack("{s:i, s:i, s:s}", "start",
                                          h[j].start, "end", h[j].end, "in",
                                          h[j].in == SINK_IN_TITLE ? "title"
                                                                   : "text"));
                json_array_append_new(matched,
                                      json_pack("{s:s, s:o}", "term",
                                                leaf->text, "mentions",
                                                spans));
                i = j;
        }
        return matched;
}

/* One record per watch in @p hits (sorted by watch); @p art is the input's
 * bytes. */
static void emit_matches(struct sink *s, json_t *ev, const char *id,
                         const char *art, size_t alen, struct vl_out *out)
{
        const json_t *ents = json_object_get(ev, "entities");
        const struct sink_hit *h = s->hits.v;
        int i, k;

        while (alen > 0 && (art[alen - 1] == ' ' || art[alen - 1] == '\n' ||
                            art[alen - 1] == '\r' || art[alen - 1] == '\t'))
                alen--;
        while (alen > 0 && (art[0] == ' ' || art[0] == '\n' ||
                            art[0] == '\r' || art[0] == '\t')) {
                art++;
                alen--;
        }
        for (i = 0; i < s->hits.n; i = k) {
                const struct sink_watch *w = &s->ws->w[h[i].watch];
                struct vl_rec *rec;
                json_t *small;
                char *topic;

                for (k = i; k < s->hits.n && h[k].watch == h[i].watch; k++)
                        ;
                small = json_pack("{s:s, s:s, s:o}", "schema",
                                  SINK_MATCH_SCHEMA, "watch", w->name,
                                  "matched", matched_list(w, h, i, k, ents));
                topic = vl_xasprintf("%s%s", s->prefix, w->name);
                rec = vl_out_json_take(out, topic, id, SINK_MATCH_CE_TYPE,
                                       small);
                vl_rec_json_append(rec, "article", art, alen);
                free(topic);
                if (s->matches)
                        atomic_fetch_add(s->matches, 1);
        }
}

enum vl_rc sink_process(void *state, const struct vl_in *in,
                        struct vl_out *out, struct vl_err *err)
{
        struct sink *s = state;
        json_error_t jerr;
        json_t *ev;
        enum vl_rc rc;

        ev = json_loadb(in->value, in->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!ev)
                return vl_err_set(err, VL_REJECT,
                                  "invalid enriched event: %s at line %d "
                                  "column %d",
                                  jerr.text, jerr.line, jerr.column);
        rc = check_event(ev, err);
        if (rc)
                goto out;
        /* the file first: a failure there retries before anything is sent */
        if (s->jsonl) {
                rc = sink_jsonl_rotate_due(s->jsonl, s->cf->file_max_bytes,
                                           s->cf->file_max_age,
                                           (long long)time(NULL), err);
                if (rc)
                        goto out;
                rc = sink_jsonl_append(s->jsonl, ev, err);
                if (!rc)
                        rc = sink_jsonl_sync(s->jsonl, err);
                if (rc)
                        goto out;
                if (s->lines)
                        atomic_fetch_add(s->lines, 1);
        }
        sink_watchset_match(s->ws, ev, (long long)time(NULL), &s->hits);
        emit_matches(s, ev, json_string_value(json_object_get(ev, "id")),
                     in->value, in->len, out);
out:
        json_decref(ev);
        return rc;
}

enum vl_rc sink_reload(void *state, struct vl_err *err)
{
        struct sink *s = state;
        struct sink_watchset *ws;
        struct sink_jsonl *j;
        struct vl_err ferr = { 0 };
        enum vl_rc rc = VL_OK;

        ws = load_watches(s, err);
        if (ws) {
                sink_watchset_destroy(s->ws);
                s->ws = ws;
                VL_INFO("watch", "%d watch%s from %s", ws->n,
                        ws->n == 1 ? "" : "es", ws->origin);
        } else {
                rc = VL_REJECT; /* the runner logs err and goes on */
                if (err)
                        err->rc = rc;
        }
        /* reopen the file, so that a rotated one is let go */
        if (s->jsonl) {
                j = sink_jsonl_open(sink_jsonl_path(s->jsonl), &ferr);
                if (j) {
                        sink_jsonl_close(s->jsonl);
                        s->jsonl = j;
                } else if (rc) {
                        VL_ERROR("file", "keeping the open file: %s",
                                 ferr.msg);
                } else {
                        rc = vl_err_set(err, VL_REJECT,
                                        "keeping the open file: %s", ferr.msg);
                }
        }
        return rc;
}

void sink_destroy(void *state)
{
        struct sink *s = state;

        if (!s)
                return;
        sink_watchset_destroy(s->ws);
        sink_jsonl_close(s->jsonl);
        sink_hits_release(&s->hits);
        free(s);
}
