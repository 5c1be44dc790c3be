/* The sink stage: validate an enriched event, append it to the JSONL file,
 * and publish one match record per watch that matches it (and hand it to
 * the webhook thread when the watch has a webhook). */
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "veille/buf.h"
#include "veille/conf.h"
#include "veille/jscan.h"
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
        { "sink.webhook.timeout.ms", VL_CONF_INT,
          offsetof(struct sink_conf, hook_timeout_ms), "10000",
          "time allowed for one webhook POST, connection included", 0 },
        { "sink.webhook.retries", VL_CONF_INT,
          offsetof(struct sink_conf, hook_retries), "5",
          "webhook retries after a network error, a 5xx or a 429, before "
          "the match goes to the dead-letter topic", 0 },
        { "sink.webhook.backoff.ms", VL_CONF_INT,
          offsetof(struct sink_conf, hook_backoff_ms), "1000",
          "wait before the first webhook retry (doubles at each one)", 0 },
        { "sink.webhook.backoff.max.ms", VL_CONF_INT,
          offsetof(struct sink_conf, hook_backoff_max_ms), "60000",
          "longest wait between webhook attempts, Retry-After included", 0 },
        { "sink.webhook.max.pending", VL_CONF_INT,
          offsetof(struct sink_conf, hook_max_pending), "1000",
          "webhook deliveries held at once; beyond, consumption waits", 0 },
        { "sink.webhook.allow.private", VL_CONF_BOOL,
          offsetof(struct sink_conf, hook_allow_private), "false",
          "let webhooks reach loopback, private and link-local addresses",
          0 },
        { "sink.webhook.secret", VL_CONF_STR,
          offsetof(struct sink_conf, hook_secret), "",
          "sign each webhook body: X-Veille-Signature: sha256=<hex "
          "HMAC-SHA256 of the body with this key> (empty: unsigned)",
          VL_CONF_SECRET },
        { 0 }
};

struct sink {
        const struct sink_conf *cf; /* borrowed */
        const char *prefix;         /* borrowed from cf */
        struct sink_watchset *ws;
        struct sink_jsonl *jsonl;
        struct sink_hits hits; /* per-event scratch */
        struct vl_buf rec;     /* a match record being written */
        struct vl_jobj jo;     /* the input's members */
        struct vl_buf rest;    /* the input but its text */
        struct vl_buf scratch; /* its text, when it has escapes */
        struct sink_event ev;  /* what is read of the input */
        bool tree;             /* always read the input with jansson */
        atomic_ullong *matches;
        atomic_ullong *lines;
        struct sink_hook_conf hc;
        struct sink_hooks *hooks; /* NULL in one-shot mode */
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
        /* sc is NULL in unit tests: no webhooks */
        if (sc && (s->cf->hook_timeout_ms <= 0 || s->cf->hook_retries < 0 ||
            s->cf->hook_backoff_ms < 0 ||
            s->cf->hook_backoff_max_ms < s->cf->hook_backoff_ms ||
            s->cf->hook_max_pending <= 0)) {
                rc = vl_err_set(err, VL_REJECT,
                                "sink.webhook.*: timeout.ms and max.pending "
                                "must be above 0, retries and backoff.ms at "
                                "least 0, backoff.max.ms at least backoff.ms");
                goto fail;
        }
        s->hc = (struct sink_hook_conf){
                .timeout_ms = s->cf->hook_timeout_ms,
                .retries = s->cf->hook_retries,
                .backoff_ms = s->cf->hook_backoff_ms,
                .backoff_max_ms = s->cf->hook_backoff_max_ms,
                .max_pending = s->cf->hook_max_pending,
                .allow_private = s->cf->hook_allow_private,
                .secret = s->cf->hook_secret,
                .dlq_topic = sc ? sc->dlq_topic : "veille.dlq",
                .dlq_max_input_bytes = sc ? sc->dlq_max_input_bytes : 0,
        };
        /* one-shot mode delivers nothing itself: it prints */
        if (sc && !sc->file) {
                s->hooks = sink_hooks_start(&s->hc, m, err);
                if (!s->hooks) {
                        rc = VL_FATAL;
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

/* The match records are written as text, not built with jansson and
 * dumped: the same compact JSON, at a fraction of the cost. */
#define PUT(b, lit) vl_buf_append((b), (lit), sizeof(lit) - 1, NULL)

static void put_int(struct vl_buf *b, long long v)
{
        char d[24];
        int n = sizeof(d);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                     : (unsigned long long)v;

        do {
                d[--n] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                d[--n] = '-';
        vl_buf_append(b, d + n, sizeof(d) - (size_t)n, NULL);
}

static void put_str(struct vl_buf *b, const char *s)
{
        vl_json_put_string(b, s, strlen(s));
}

/* [{"start","end","in"}...] of every mention of entity @p x. */
static void put_mention_spans(struct sink *s, const struct sink_eent *x)
{
        const struct sink_event *e = &s->ev;
        static const char *const keys[] = { "\"start\":", "\"end\":",
                                            "\"in\":" };
        struct vl_buf *b = &s->rec;
        int i, k;

        PUT(b, "[");
        for (i = x->ment0; i < x->ment0 + x->nments; i++) {
                const struct sink_ement *y = &e->ments[i];
                int first = 1;

                if (i > x->ment0)
                        PUT(b, ",");
                for (k = 0; k < 3; k++) {
                        if (!y->spanlen[k])
                                continue;
                        vl_buf_append(b, first ? "{" : ",", 1, NULL);
                        vl_buf_append(b, keys[k], strlen(keys[k]), NULL);
                        first = 0;
                        sink_put_span(b, e->spans + y->span[k], y->spanlen[k],
                                      &s->scratch);
                }
                if (first)
                        PUT(b, "{");
                PUT(b, "}");
        }
        PUT(b, "]");
}

/* {"term","entity","qid","mentions"} */
static void put_entity_entry(struct sink *s, const char *term,
                             const struct sink_eent *x)
{
        struct vl_buf *b = &s->rec;

        PUT(b, "{\"term\":");
        put_str(b, term);
        PUT(b, ",\"entity\":");
        put_str(b, x->name);
        PUT(b, ",\"qid\":");
        if (x->qid)
                put_str(b, x->qid);
        else
                PUT(b, "null");
        PUT(b, ",\"mentions\":");
        put_mention_spans(s, x);
        PUT(b, "}");
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

static void put_term_only(struct vl_buf *b, const char *term)
{
        PUT(b, "{\"term\":");
        put_str(b, term);
        PUT(b, "}");
}

/* The entries of hits [i, k) of one watch: one per (entity leaf, entity),
 * one per word or phrase leaf with all its occurrences. */
static void put_matched_list(struct sink *s, const struct sink_watch *w,
                             const struct sink_hit *h, int i, int k)
{
        struct vl_buf *b = &s->rec;
        char buf[1024];
        int first = 1;

        PUT(b, "[");
        while (i < k) {
                const struct sink_node *leaf = h[i].leaf;
                int j;

                if (!first)
                        PUT(b, ",");
                first = 0;
                if (!leaf) { /* matched on NOT alone: the query says why */
                        put_term_only(b, w->query);
                        i++;
                        continue;
                }
                if (leaf->kind >= SINK_N_LANG) {
                        put_term_only(b, leaf_term(leaf, buf, sizeof(buf)));
                        i++;
                        continue;
                }
                if (h[i].entity >= 0) {
                        put_entity_entry(
                                s,
                                leaf->kind == SINK_N_TYPE
                                        ? leaf_term(leaf, buf, sizeof(buf))
                                        : leaf->text,
                                &s->ev.ents[h[i].entity]);
                        i++;
                        continue;
                }
                PUT(b, "{\"term\":");
                put_str(b, leaf->text);
                PUT(b, ",\"mentions\":[");
                for (j = i; j < k && h[j].leaf == leaf && h[j].entity < 0;
                     j++) {
                        if (j > i)
                                PUT(b, ",");
                        PUT(b, "{\"start\":");
                        put_int(b, h[j].start);
                        PUT(b, ",\"end\":");
                        put_int(b, h[j].end);
                        if (h[j].in == SINK_IN_TITLE)
                                PUT(b, ",\"in\":\"title\"}");
                        else
                                PUT(b, ",\"in\":\"text\"}");
                }
                PUT(b, "]}");
                i = j;
        }
        PUT(b, "]");
}

/* One record per watch in @p hits (sorted by watch), and its webhook
 * POST if the watch has one. */
static void emit_matches(struct sink *s, const struct vl_in *in,
                         struct vl_out *out)
{
        const char *id = s->ev.id;
        const struct sink_hit *h = s->hits.v;
        const char *art = in->value;
        size_t alen = in->len;
        struct vl_buf *b = &s->rec;
        char topic[TOPIC_MAX + 1];
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

                for (k = i; k < s->hits.n && h[k].watch == h[i].watch; k++)
                        ;
                vl_buf_reset(b);
                PUT(b, "{\"schema\":\"" SINK_MATCH_SCHEMA "\",\"watch\":");
                put_str(b, w->name);
                PUT(b, ",\"matched\":");
                put_matched_list(s, w, h, i, k);
                PUT(b, ",\"article\":");
                vl_buf_append(b, art, alen, NULL);
                PUT(b, "}");
                /* check_topics() keeps it within TOPIC_MAX */
                snprintf(topic, sizeof(topic), "%s%s", s->prefix, w->name);
                rec = vl_out_json_raw(out, topic, id, SINK_MATCH_CE_TYPE,
                                      b->data, b->len);
                if (w->webhook && s->hooks) {
                        struct vl_ticket *t = vl_out_ticket(out);

                        if (t)
                                sink_hooks_post(s->hooks, t, w->name,
                                                w->webhook, rec, in);
                }
                if (s->matches)
                        atomic_fetch_add(s->matches, 1);
        }
}

/* The event as a jansson tree, its text decoded apart: jansson's decoder
 * reads a long string a byte at a time, and the text is most of an event.
 * vl_jscan checks the whole event as jansson would, then jansson parses the
 * event with an empty text, and the text is set in its place. */
static json_t *parse_event(struct sink *s, const struct vl_in *in,
                           struct vl_err *err)
{
        const struct vl_jmember *text;
        json_error_t jerr;
        json_t *ev;
        const char *p;
        size_t i, len;
        struct vl_err jerr2 = { 0 };

        if (vl_jscan_object(in->value, in->len, &s->jo, &jerr2) != VL_OK) {
                vl_err_set(err, VL_REJECT, "invalid enriched event: %s",
                           jerr2.msg);
                return NULL;
        }
        text = vl_jobj_get(&s->jo, "text");
        if (!vl_jmember_is_string(text)) {
                p = in->value;
                len = in->len;
        } else {
                vl_buf_reset(&s->rest);
                PUT(&s->rest, "{");
                for (i = 0; i < s->jo.n; i++) {
                        const struct vl_jmember *m = &s->jo.m[i];

                        if (i)
                                PUT(&s->rest, ",");
                        if (m == text) /* kept in its place, for the file */
                                PUT(&s->rest, "\"text\":\"\"");
                        else
                                vl_buf_append(&s->rest, m->raw, m->rawlen,
                                              NULL);
                }
                PUT(&s->rest, "}");
                p = s->rest.data;
                len = s->rest.len;
        }
        ev = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!ev) {
                vl_err_set(err, VL_REJECT,
                           "invalid enriched event: %s at line %d column %d",
                           jerr.text, jerr.line, jerr.column);
                return NULL;
        }
        if (vl_jmember_is_string(text)) {
                p = vl_jmember_string(text, &s->scratch, &len);
                json_object_set_new_nocheck(ev, "text",
                                            json_stringn_nocheck(p, len));
        }
        return ev;
}

void sink_use_tree(void *state, bool on)
{
        ((struct sink *)state)->tree = on;
}

enum vl_rc sink_process(void *state, const struct vl_in *in,
                        struct vl_out *out, struct vl_err *err)
{
        struct sink *s = state;
        json_t *ev = NULL;
        enum vl_rc rc;

        /* without the file, the event is read without a jansson tree; the
         * file is written from the tree, and jansson has the last word on
         * inputs the scan cannot tell about */
        switch (s->tree || s->jsonl
                        ? SINK_SCAN_TREE
                        : sink_event_scan(&s->ev, in->value, in->len, err)) {
        case SINK_SCAN_OK:
                break;
        case SINK_SCAN_REJECT:
                return VL_REJECT;
        case SINK_SCAN_TREE:
                ev = parse_event(s, in, err);
                if (!ev)
                        return VL_REJECT;
                sink_event_from_json(&s->ev, ev);
                break;
        }
        rc = sink_event_check(&s->ev, err);
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
        sink_watchset_match_event(s->ws, &s->ev, (long long)time(NULL),
                                  &s->hits);
        emit_matches(s, in, out);
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
        sink_hooks_stop(s->hooks);
        sink_watchset_destroy(s->ws);
        sink_jsonl_close(s->jsonl);
        sink_hits_release(&s->hits);
        vl_buf_release(&s->rec);
        vl_buf_release(&s->rest);
        vl_buf_release(&s->scratch);
        vl_jobj_release(&s->jo);
        sink_event_release(&s->ev);
        free(s);
}
