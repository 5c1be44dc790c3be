/* The stage runner: consume, transform, produce, at-least-once.
 * See docs/internals/STAGE.md for the delivery argument. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "veille/stage.h"
#include "veille/buf.h"
#include "veille/codec.h"
#include "veille/daemon.h"
#include "veille/kafka.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/offsets.h"
#include "veille/ticket.h"

#define F(x) offsetof(struct vl_stage_conf, x)
/* What every daemon has, the fetcher included. */
const struct vl_conf_key vl_daemon_keys[] = {
        {"output.topic", VL_CONF_STR, F(output_topic), NULL,
         "topic to produce to", 0},
        {"dlq.topic", VL_CONF_STR, F(dlq_topic), "veille.dlq",
         "dead-letter topic for rejected inputs", 0},
        {"metrics.listen", VL_CONF_STR, F(metrics_listen), "",
         "serve /metrics and /healthz on HOST:PORT (empty: off)", 0},
        {"log.level", VL_CONF_STR, F(log_level), "info",
         "error, warning, notice, info or debug", 0},
        {"drain.ms", VL_CONF_INT, F(drain_ms), "30000",
         "on stop, time allowed to deliver what is in flight", 0},
        {0},
};

/* What a consuming stage adds. */
const struct vl_conf_key vl_stage_keys[] = {
        {"input.topic", VL_CONF_STR, F(input_topic), NULL,
         "topic to consume", 0},
        {"group.id", VL_CONF_STR, F(group_id), NULL,
         "consumer group (instances of a stage share it)", 0},
        {"max.inflight", VL_CONF_INT, F(max_inflight), "10000",
         "inputs in flight before consumption pauses (backpressure)", 0},
        {"dlq.max.input.bytes", VL_CONF_INT, F(dlq_max_input_bytes), "1048576",
         "bytes of a rejected input kept in its dead-letter record", 0},
        {"retries", VL_CONF_INT, F(retries), "3",
         "attempts after a transient error before rejecting", 0},
        {"retry.backoff.ms", VL_CONF_INT, F(retry_backoff_ms), "200",
         "first backoff after a transient error (doubles)", 0},
        {"file", VL_CONF_STR, F(file), NULL,
         "one-shot mode: process this file ('-' for stdin), print the "
         "result, no broker",
         VL_CONF_CLI},
        {0},
};
#undef F

void vl_stage_conf_defaults(struct vl_stage_conf *sc, const char *name,
                            const char *input_topic, const char *output_topic)
{
        memset(sc, 0, sizeof(*sc));
        sc->input_topic = vl_xstrdup(input_topic);
        sc->output_topic = vl_xstrdup(output_topic);
        /* a producer-only daemon (no input topic) has no group */
        sc->group_id = input_topic ? vl_xasprintf("veille-%s", name) : NULL;
}

struct runner {
        const struct vl_stage *st;
        struct vl_stage_conf *sc;
        struct vl_conf *cf;
        void *state;
        struct vl_metrics m;
        struct vl_producer *p;
        rd_kafka_t *c;
        struct vl_offsets *offs;
        struct vl_tickets *tickets; /* outputs the stage delivers itself */
        struct vl_out out;
        struct vl_buf val;
        char ce_source[64];
        char **hdr_copies; /* header values handed out for one message */
        int nhdr_copies;
        int fatal;
};

/* ---- one input ---------------------------------------------------------- */

struct hdr_ctx {
        const rd_kafka_message_t *rkm;
        struct runner *r;
};

static const char *kafka_header(const struct vl_in *in, const char *name)
{
        const struct hdr_ctx *hc = in->priv;
        const rd_kafka_message_t *rkm = hc->rkm;
        struct runner *r = hc->r;
        rd_kafka_headers_t *hdrs = NULL;
        const void *v = NULL;
        size_t n = 0;
        char *copy;

        if (rd_kafka_message_headers(rkm, &hdrs) || !hdrs ||
            rd_kafka_header_get_last(hdrs, name, &v, &n) || !v)
                return NULL;
        copy = vl_xmemdup(v, n);
        r->hdr_copies = vl_xrealloc(r->hdr_copies,
                                    (size_t)(r->nhdr_copies + 1) *
                                            sizeof(*r->hdr_copies));
        r->hdr_copies[r->nhdr_copies++] = copy;
        return copy;
}

static void free_hdr_copies(struct runner *r)
{
        for (int i = 0; i < r->nhdr_copies; i++)
                free(r->hdr_copies[i]);
        r->nhdr_copies = 0;
}

/* The input as a dead-letter record describes it: enough to replay it. */
static json_t *describe_input(struct runner *r, const rd_kafka_message_t *rkm)
{
        return vl_kafka_input_json(rkm, r->sc->dlq_max_input_bytes);
}

static void sleep_ms(struct runner *r, int64_t ms)
{
        int64_t until = vl_time_mono_ms() + ms;

        while (vl_time_mono_ms() < until && !vl_daemon_stopping()) {
                if (r->p)
                        vl_producer_poll(r->p, 50);
                else
                        nanosleep(&(struct timespec){0, 50000000}, NULL);
                vl_daemon_tick(&r->m);
        }
}

/* process() with retries; VL_RETRY that persists becomes a rejection */
static enum vl_rc process_one(struct runner *r, const struct vl_in *in,
                              struct vl_err *err)
{
        int64_t backoff = r->sc->retry_backoff_ms;
        enum vl_rc rc;

        for (int64_t attempt = 0;; attempt++) {
                vl_out_clear(&r->out);
                memset(err, 0, sizeof(*err));
                rc = r->st->process(r->state, in, &r->out, err);
                if (rc != VL_RETRY)
                        return rc;
                if (attempt >= r->sc->retries || vl_daemon_stopping()) {
                        char msg[sizeof(err->msg)];

                        snprintf(msg, sizeof(msg), "%s", err->msg);
                        return vl_err_set(err, VL_REJECT,
                                          "gave up after %lld retries: %s",
                                          (long long)attempt, msg);
                }
                atomic_fetch_add(r->m.retries, 1);
                VL_WARN(r->st->name, "transient error, retrying in %lld ms: %s",
                        (long long)backoff, err->msg);
                sleep_ms(r, backoff);
                backoff *= 2;
        }
}

static void dispatch(struct runner *r, const rd_kafka_message_t *rkm)
{
        struct vl_in in;
        struct hdr_ctx hc = {rkm, r};
        struct vl_err err = {0};
        struct vl_inflight *inf;
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        enum vl_rc rc;

        atomic_fetch_add(r->m.consumed, 1);
        memset(&in, 0, sizeof(in));
        if (r->st->raw_value) {
                in.value = rkm->payload ? rkm->payload : "";
        } else {
                /* a buffer grown by one large message is not kept */
                if (r->val.cap > (1u << 20))
                        vl_buf_release(&r->val);
                vl_buf_reset(&r->val);
                vl_buf_append(&r->val, rkm->payload ? rkm->payload : "",
                              rkm->len, NULL);
                in.value = r->val.data;
        }
        in.topic = topic;
        in.partition = rkm->partition;
        in.offset = rkm->offset;
        in.key = rkm->key;
        in.key_len = rkm->key_len;
        in.len = rkm->len;
        in.header = kafka_header;
        in.priv = &hc;
        vl_out_set_id_base(&r->out, "%s-%d-%lld", topic, (int)rkm->partition,
                           (long long)rkm->offset);

        rc = process_one(r, &in, &err);
        free_hdr_copies(r);
        if (rc == VL_FATAL) {
                /* not tracked: its offset is never stored */
                VL_ERROR(r->st->name, "fatal error at %s [%d] @%lld: %s",
                         topic, (int)rkm->partition, (long long)rkm->offset,
                         err.msg);
                atomic_fetch_add(r->m.errors, 1);
                r->fatal = 1;
                vl_tickets_bind(&r->out, NULL);
                return;
        }
        if (rc == VL_REJECT) {
                char *key = rkm->key ? vl_xmemdup(rkm->key, rkm->key_len)
                                     : NULL;

                VL_WARN(r->st->name, "rejected %s [%d] @%lld: %s", topic,
                        (int)rkm->partition, (long long)rkm->offset, err.msg);
                vl_out_clear(&r->out);
                vl_out_set_id_base(&r->out, "%s-%d-%lld-dlq", topic,
                                   (int)rkm->partition,
                                   (long long)rkm->offset);
                vl_out_dlq_take(&r->out, r->sc->dlq_topic, r->st->name, &err,
                                key, describe_input(r, rkm));
                free(key);
                atomic_fetch_add(r->m.rejected, 1);
        }
        /* one extra count while sending, so that an early report cannot
         * complete the input before all its outputs are queued */
        inf = vl_offsets_track(r->offs, topic, rkm->partition, rkm->offset,
                               r->out.n + r->out.nheld + 1);
        vl_tickets_bind(&r->out, inf);
        for (int i = 0; i < r->out.n; i++) {
                /* handed over, not copied: a 15 MiB article is not held
                 * twice while it waits for the broker */
                if (vl_producer_send_take(r->p, &r->out.recs[i], inf, &err) !=
                    VL_OK) {
                        VL_ERROR(r->st->name, "%s", err.msg);
                        vl_offsets_done(r->offs, inf, 0);
                        r->fatal = 1;
                }
        }
        vl_offsets_done(r->offs, inf, 1);
}

/* ---- offsets ------------------------------------------------------------ */

/* A ticket the stage settled (veille/ticket.h): produce what replaces it,
 * then count it done. Not delivered while stopping: the input stays
 * incomplete, its offset is not stored. */
static void on_ticket(void *ctx, void *owner, bool ok, struct vl_out *instead)
{
        struct runner *r = ctx;
        struct vl_inflight *inf = owner;
        struct vl_err err = {0};

        if (instead && inf && ok) {
                vl_offsets_add(inf, instead->n);
                for (int i = 0; i < instead->n; i++)
                        if (vl_producer_send(r->p, &instead->recs[i], inf,
                                             &err) != VL_OK) {
                                VL_ERROR(r->st->name, "%s", err.msg);
                                vl_offsets_done(r->offs, inf, 0);
                                r->fatal = 1;
                        }
        }
        if (instead) {
                vl_out_release(instead);
                free(instead);
        }
        if (!inf || (!ok && vl_daemon_stopping()))
                return;
        vl_offsets_done(r->offs, inf, ok);
}

static void take_tickets(struct runner *r)
{
        if (r->tickets)
                vl_tickets_take(r->tickets, on_ticket, r);
}

static void on_complete(void *ctx, int64_t us)
{
        vl_metrics_observe_latency(ctx, us);
}

static void store_offsets(struct runner *r)
{
        rd_kafka_topic_partition_list_t *list =
                rd_kafka_topic_partition_list_new(4);
        rd_kafka_resp_err_t kerr;

        if (vl_offsets_collect(r->offs, list, on_complete, &r->m) > 0) {
                kerr = rd_kafka_offsets_store(r->c, list);
                if (kerr)
                        VL_DEBUG(r->st->name, "offsets store: %s",
                                 rd_kafka_err2str(kerr));
        }
        rd_kafka_topic_partition_list_destroy(list);
}

static void dr_cb(void *ctx, void *opaque, rd_kafka_resp_err_t kerr,
                  const rd_kafka_message_t *rkm)
{
        struct runner *r = ctx;
        struct vl_inflight *inf = opaque;

        if (kerr) {
                /* never move the watermark past it: stop, and the input is
                 * consumed again after the restart */
                VL_ERROR(r->st->name, "delivery to '%s' failed: %s",
                         rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(kerr));
                atomic_fetch_add(r->m.errors, 1);
                r->fatal = 1;
        } else {
                atomic_fetch_add(r->m.produced, 1);
        }
        if (inf)
                vl_offsets_done(r->offs, inf, !kerr);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t kerr,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct runner *r = opaque;
        int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");

        if (kerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                VL_INFO(r->st->name, "assigned %d partition(s)", parts->cnt);
                if (coop)
                        rd_kafka_error_destroy(
                                rd_kafka_incremental_assign(rk, parts));
                else
                        rd_kafka_assign(rk, parts);
                return;
        }
        /* revoked: deliver what is in flight and store its offsets while
         * they are still ours, then let the partitions go */
        VL_INFO(r->st->name, "revoking %d partition(s)", parts->cnt);
        take_tickets(r);
        vl_producer_flush(r->p, (int)r->sc->drain_ms);
        store_offsets(r);
        if (!rd_kafka_assignment_lost(rk))
                rd_kafka_commit(rk, NULL, 0);
        for (int i = 0; i < parts->cnt; i++)
                vl_offsets_forget(r->offs, parts->elems[i].topic,
                                  parts->elems[i].partition);
        if (coop)
                rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
                rd_kafka_assign(rk, NULL);
}

/* ---- modes -------------------------------------------------------------- */

static int run_oneshot(struct runner *r)
{
        struct vl_buf raw;
        struct vl_err err = {0};
        struct vl_in in;
        char *value = NULL;
        size_t len = 0;
        enum vl_rc rc;
        int code = VL_EXIT_OK;

        vl_buf_init(&raw, 256u << 20);
        if (vl_buf_read_file(&raw, r->sc->file, &err) != VL_OK) {
                fprintf(stderr, "veille-%s: %s\n", r->st->name, err.msg);
                vl_buf_release(&raw);
                return VL_EXIT_USAGE;
        }
        if (r->st->oneshot_input) {
                rc = r->st->oneshot_input(r->state, raw.data, raw.len, &value,
                                          &len, &err);
                if (rc != VL_OK) {
                        fprintf(stderr, "veille-%s: %s\n", r->st->name,
                                err.msg);
                        code = rc == VL_FATAL ? VL_EXIT_FATAL : VL_EXIT_USAGE;
                        goto out;
                }
        } else {
                value = vl_buf_take(&raw, &len);
        }
        memset(&in, 0, sizeof(in));
        in.topic = "-";
        in.partition = -1;
        in.offset = -1;
        in.value = value;
        in.len = len;
        vl_out_set_id_base(&r->out, "oneshot-%lld",
                           (long long)vl_time_now_ms());
        rc = process_one(r, &in, &err);
        if (rc != VL_OK) {
                /* the dead-letter record is the output of a rejected input */
                fprintf(stderr, "veille-%s: %s: %s\n", r->st->name,
                        vl_rc_name(rc), err.msg);
                vl_out_clear(&r->out);
                vl_out_dlq_take(&r->out, r->sc->dlq_topic, r->st->name, &err,
                                NULL, json_pack("{s:s, s:I}", "topic", "-",
                                                "value_bytes", (json_int_t)len));
                code = VL_EXIT_FATAL;
        }
        vl_out_print(&r->out, stdout, isatty(STDOUT_FILENO));
out:
        free(value);
        vl_buf_release(&raw);
        return code;
}

static rd_kafka_t *consumer_new(struct runner *r, struct vl_err *err)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        char client[96];
        const char *const defaults[] = {
                "client.id", client,
                "group.id", r->sc->group_id,
                /* the stored offsets are committed in the background */
                "enable.auto.commit", "true",
                /* a crash repeats at most this much work */
                "auto.commit.interval.ms", "1000",
                /* a new group must not skip what was produced before it */
                "auto.offset.reset", "earliest",
                /* a broker that answers a fetch only at its deadline (the
                 * mock cluster does, whatever arrives) costs each hop this
                 * much: 100 ms instead of 500 keeps the demo well under
                 * 2 s end to end (bench/sink/e2e-latency.sh); Kafka
                 * answers as soon as data arrives either way */
                "fetch.wait.max.ms", "100",
                NULL,
        };
        /* whatever the user set, at-least-once needs manual stores: an
         * offset is stored only after its outputs are delivered */
        static const char *const forced[] = {
                "enable.auto.offset.store", "false", NULL,
        };

        snprintf(client, sizeof(client), "veille-%s", r->st->name);
        vl_kafka_conf_pairs(kc, defaults);
        rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
        rd_kafka_conf_set_opaque(kc, r);
        return vl_consumer_new(r->cf, kc, forced, err);
}

static int run_kafka(struct runner *r)
{
        struct vl_err err = {0};
        rd_kafka_topic_partition_list_t *sub;
        rd_kafka_resp_err_t kerr;
        char client[96];
        int left;

        snprintf(client, sizeof(client), "veille-%s", r->st->name);
        r->offs = vl_offsets_new();
        r->tickets = vl_tickets_new();
        r->out.tickets = r->tickets;
        r->p = vl_producer_new(r->cf, client, dr_cb, r, &err);
        if (!r->p)
                goto fail;
        r->c = consumer_new(r, &err);
        if (!r->c)
                goto fail;
        if (vl_metrics_start(&r->m, r->sc->metrics_listen, NULL, &err) !=
            VL_OK)
                goto fail;
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, r->sc->input_topic,
                                          RD_KAFKA_PARTITION_UA);
        kerr = rd_kafka_subscribe(r->c, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (kerr) {
                vl_err_set(&err, VL_FATAL, "cannot subscribe to '%s': %s",
                           r->sc->input_topic, rd_kafka_err2str(kerr));
                goto fail;
        }
        VL_NOTICE(r->st->name, "consuming '%s' as group '%s', producing '%s'",
                  r->sc->input_topic, r->sc->group_id, r->sc->output_topic);
        atomic_store(&r->m.ready, 1);
        vl_daemon_ready("consuming");

        while (!vl_daemon_stopping() && !r->fatal) {
                rd_kafka_message_t *rkm;

                vl_daemon_tick(&r->m);
                vl_producer_poll(r->p, 0); /* delivery reports */
                take_tickets(r);
                store_offsets(r);
                if (vl_daemon_take_reload() && r->st->reload) {
                        if (r->st->reload(r->state, &err) == VL_OK)
                                VL_NOTICE(r->st->name, "reloaded");
                        else
                                VL_ERROR(r->st->name,
                                         "reload failed, keeping the old "
                                         "settings: %s",
                                         err.msg);
                }
                /* backpressure: wait for deliveries before consuming more */
                if (vl_offsets_inflight(r->offs) >= r->sc->max_inflight) {
                        vl_producer_poll(r->p, 100);
                        continue;
                }
                rkm = rd_kafka_consumer_poll(r->c, 250);
                if (!rkm)
                        continue;
                if (rkm->err) {
                        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                VL_WARN(r->st->name, "consumer: %s",
                                        rd_kafka_message_errstr(rkm));
                } else {
                        dispatch(r, rkm);
                }
                rd_kafka_message_destroy(rkm);
                if (vl_offsets_failed(r->offs))
                        r->fatal = 1;
        }

        VL_NOTICE(r->st->name, "stopping: delivering what is in flight");
        vl_daemon_notify("STOPPING=1\nSTATUS=draining");
        atomic_store(&r->m.ready, 0);
        /* outputs the stage delivers itself (their dead letters are
         * produced), then everything produced */
        for (int64_t until = vl_time_mono_ms() + r->sc->drain_ms;
             vl_tickets_pending(r->tickets) > 0 && vl_time_mono_ms() < until;)
                vl_producer_poll(r->p, 50);
        take_tickets(r);
        left = vl_producer_flush(r->p, (int)r->sc->drain_ms);
        if (left)
                VL_WARN(r->st->name, "%d message(s) undelivered at stop: their "
                        "inputs will be consumed again", left);
        store_offsets(r);
        kerr = rd_kafka_commit(r->c, NULL, 0);
        if (kerr && kerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
                VL_WARN(r->st->name, "final commit: %s", rd_kafka_err2str(kerr));
        rd_kafka_consumer_close(r->c);
        rd_kafka_destroy(r->c);
        r->c = NULL;
        vl_producer_destroy(r->p);
        r->p = NULL;
        vl_metrics_stop(&r->m);
        VL_NOTICE(r->st->name, "stopped");
        return r->fatal ? VL_EXIT_FATAL : VL_EXIT_OK;
fail:
        VL_ERROR(r->st->name, "%s", err.msg);
        if (r->c)
                rd_kafka_destroy(r->c);
        vl_producer_destroy(r->p);
        vl_metrics_stop(&r->m);
        return err.rc == VL_REJECT ? VL_EXIT_USAGE : VL_EXIT_FATAL;
}

int vl_stage_main(const struct vl_stage *st, int argc, char **argv)
{
        struct runner r;
        struct vl_stage_conf sc;
        struct vl_err err = {0};
        char prog[64];
        int code, lvl;

        memset(&r, 0, sizeof(r));
        snprintf(prog, sizeof(prog), "veille-%s", st->name);
        snprintf(r.ce_source, sizeof(r.ce_source), "urn:veille:%s", st->name);
        vl_log_init(prog);
        vl_stage_conf_defaults(&sc, st->name, st->input_topic,
                               st->output_topic);
        r.st = st;
        r.sc = &sc;
        r.cf = vl_conf_new(prog, st->summary);
        sc.conf = r.cf;
        vl_conf_add_table(r.cf, vl_daemon_keys, &sc);
        vl_conf_add_table(r.cf, vl_stage_keys, &sc);
        if (st->keys)
                vl_conf_add_table(r.cf, st->keys, st->conf);
        code = vl_conf_parse(r.cf, argc, argv);
        if (code >= 0)
                goto out;
        lvl = vl_log_parse_level(sc.log_level);
        if (lvl < 0) {
                fprintf(stderr, "%s: invalid log.level '%s'\n", prog,
                        sc.log_level);
                code = VL_EXIT_USAGE;
                goto out;
        }
        vl_log_level = lvl;
        vl_daemon_signals();
        vl_metrics_init(&r.m, st->name);
        vl_out_init(&r.out, r.ce_source);
        vl_buf_init(&r.val, 0);
        if (st->init(&r.state, &sc, st->conf, &r.m, &err) != VL_OK) {
                fprintf(stderr, "%s: %s\n", prog, err.msg);
                code = err.rc == VL_FATAL ? VL_EXIT_FATAL : VL_EXIT_USAGE;
                goto out;
        }
        code = sc.file ? run_oneshot(&r) : run_kafka(&r);
        if (st->destroy)
                st->destroy(r.state);
        /* after destroy: the stage may settle its last tickets there */
        vl_tickets_destroy(r.tickets);
out:
        vl_out_release(&r.out);
        vl_buf_release(&r.val);
        vl_offsets_destroy(r.offs);
        free(r.hdr_copies);
        vl_conf_destroy(r.cf);
        return code;
}
