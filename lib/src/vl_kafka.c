#include <stdlib.h>
#include <string.h>
#include "veille/kafka.h"
#include "veille/codec.h"
#include "veille/daemon.h"
#include "veille/log.h"
#include "veille/mem.h"

struct vl_producer {
        rd_kafka_t *rk;
        vl_dr_fn *dr;
        void *ctx;
};

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        (void)rk;
        /* librdkafka uses syslog levels too; its 6 (info) is chatty */
        VL_LOG(level < VL_LOG_ERR ? VL_LOG_ERR : level, "kafka", "%s: %s",
               fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        char fatal[256];

        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                VL_ERROR("kafka", "fatal error: %s: stopping", fatal);
                vl_daemon_request_stop();
                return;
        }
        /* transport errors and all-brokers-down are retried by librdkafka */
        VL_WARN("kafka", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
                reason);
}

void vl_kafka_conf_common(rd_kafka_conf_t *kc)
{
        char errstr[128];

        rd_kafka_conf_set_log_cb(kc, log_cb);
        rd_kafka_conf_set_error_cb(kc, error_cb);
        /* logs on our main thread, through vl_kafka_serve_logs or poll */
        rd_kafka_conf_set(kc, "log.queue", "true", errstr, sizeof(errstr));
}

void vl_kafka_conf_pairs(rd_kafka_conf_t *kc, const char *const *kv)
{
        char errstr[128];

        for (; kv && kv[0] && kv[1]; kv += 2)
                rd_kafka_conf_set(kc, kv[0], kv[1], errstr, sizeof(errstr));
}

rd_kafka_t *vl_consumer_new(const struct vl_conf *cf, rd_kafka_conf_t *kc,
                            const char *const *forced, struct vl_err *err)
{
        char errstr[512];
        rd_kafka_t *rk;

        vl_kafka_conf_common(kc);
        if (vl_conf_kafka_apply(cf, kc, RD_KAFKA_CONSUMER, err) != VL_OK) {
                rd_kafka_conf_destroy(kc);
                return NULL;
        }
        vl_kafka_conf_pairs(kc, forced);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof(errstr));
        if (!rk) {
                rd_kafka_conf_destroy(kc);
                vl_err_set(err, VL_FATAL, "cannot create consumer: %s", errstr);
                return NULL;
        }
        rd_kafka_set_log_queue(rk, NULL);
        rd_kafka_poll_set_consumer(rk);
        return rk;
}

void vl_kafka_serve_logs(rd_kafka_t *rk)
{
        rd_kafka_poll(rk, 0);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque)
{
        struct vl_producer *p = opaque;

        (void)rk;
        if (p->dr)
                p->dr(p->ctx, rkm->_private, rkm->err, rkm);
}

struct vl_producer *vl_producer_new(const struct vl_conf *cf,
                                    const char *client_id, vl_dr_fn *dr,
                                    void *ctx, struct vl_err *err)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        struct vl_producer *p = vl_xcalloc(1, sizeof(*p));
        char errstr[512];
        static const char *const defaults[][2] = {
                /* no duplicates or reordering on retry; implies acks=all */
                {"enable.idempotence", "true"},
                /* pages are HTML: zstd shrinks them several times */
                {"compression.type", "zstd"},
                {"linger.ms", "10"},
                /* a page event can be several MiB (see docs/operations.md) */
                {"message.max.bytes", "16777216"},
        };

        p->dr = dr;
        p->ctx = ctx;
        vl_kafka_conf_common(kc);
        rd_kafka_conf_set_dr_msg_cb(kc, dr_msg_cb);
        rd_kafka_conf_set_opaque(kc, p);
        rd_kafka_conf_set(kc, "client.id", client_id, errstr, sizeof(errstr));
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
                rd_kafka_conf_set(kc, defaults[i][0], defaults[i][1], errstr,
                                  sizeof(errstr));
        if (vl_conf_kafka_apply(cf, kc, RD_KAFKA_PRODUCER, err) != VL_OK) {
                err->rc = VL_FATAL;
                goto fail;
        }
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
        if (!p->rk) {
                vl_err_set(err, VL_FATAL, "cannot create producer: %s", errstr);
                goto fail;
        }
        kc = NULL; /* rd_kafka_new took it */
        rd_kafka_set_log_queue(p->rk, NULL);
        return p;
fail:
        if (kc)
                rd_kafka_conf_destroy(kc);
        free(p);
        return NULL;
}

enum vl_rc vl_producer_send(struct vl_producer *p, const struct vl_rec *rec,
                            void *opaque, struct vl_err *err)
{
        return vl_producer_send_part(p, rec, RD_KAFKA_PARTITION_UA, opaque,
                                     err);
}

static enum vl_rc send_flags(struct vl_producer *p, const struct vl_rec *rec,
                             int32_t partition, int msgflags, void *opaque,
                             struct vl_err *err);

enum vl_rc vl_producer_send_part(struct vl_producer *p,
                                 const struct vl_rec *rec, int32_t partition,
                                 void *opaque, struct vl_err *err)
{
        return send_flags(p, rec, partition, RD_KAFKA_MSG_F_COPY, opaque, err);
}

enum vl_rc vl_producer_send_take(struct vl_producer *p, struct vl_rec *rec,
                                 void *opaque, struct vl_err *err)
{
        enum vl_rc rc = send_flags(p, rec, RD_KAFKA_PARTITION_UA,
                                   rec->value ? RD_KAFKA_MSG_F_FREE : 0,
                                   opaque, err);

        if (rc == VL_OK)
                rec->value = NULL; /* librdkafka frees it */
        return rc;
}

static enum vl_rc send_flags(struct vl_producer *p, const struct vl_rec *rec,
                             int32_t partition, int msgflags, void *opaque,
                             struct vl_err *err)
{
        for (;;) {
                rd_kafka_headers_t *hdrs =
                        rd_kafka_headers_new((size_t)rec->nhdrs);
                rd_kafka_resp_err_t kerr;

                for (int i = 0; i < rec->nhdrs; i++)
                        rd_kafka_header_add(hdrs, rec->hdrs[i].name, -1,
                                            rec->hdrs[i].value, -1);
                kerr = rd_kafka_producev(
                        p->rk, RD_KAFKA_V_TOPIC(rec->topic),
                        RD_KAFKA_V_PARTITION(partition),
                        RD_KAFKA_V_KEY(rec->key,
                                       rec->key ? strlen(rec->key) : 0),
                        RD_KAFKA_V_VALUE(rec->value, rec->len),
                        RD_KAFKA_V_MSGFLAGS(msgflags),
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
                        RD_KAFKA_V_END);
                if (!kerr)
                        return VL_OK; /* the message owns hdrs now */
                rd_kafka_headers_destroy(hdrs);
                if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        return vl_err_set(err,
                                          kerr == RD_KAFKA_RESP_ERR__FATAL ||
                                                          rd_kafka_fatal_error(
                                                                  p->rk, NULL,
                                                                  0)
                                                  ? VL_FATAL
                                                  : VL_REJECT,
                                          "cannot produce to '%s': %s",
                                          rec->topic, rd_kafka_err2str(kerr));
                /* backpressure: serve delivery reports until there is room,
                 * and keep telling the watchdog that we are alive */
                rd_kafka_poll(p->rk, 100);
                vl_daemon_tick(NULL);
                if (rd_kafka_fatal_error(p->rk, NULL, 0))
                        return vl_err_set(err, VL_FATAL,
                                          "producer failed while queue full");
        }
}

void vl_producer_poll(struct vl_producer *p, int timeout_ms)
{
        rd_kafka_poll(p->rk, timeout_ms);
}

int vl_producer_flush(struct vl_producer *p, int timeout_ms)
{
        rd_kafka_flush(p->rk, timeout_ms);
        return rd_kafka_outq_len(p->rk);
}

int vl_producer_outq(struct vl_producer *p)
{
        return rd_kafka_outq_len(p->rk);
}

int vl_producer_failed(struct vl_producer *p)
{
        return rd_kafka_fatal_error(p->rk, NULL, 0) != 0;
}

rd_kafka_t *vl_producer_rk(struct vl_producer *p)
{
        return p->rk;
}

void vl_producer_destroy(struct vl_producer *p)
{
        if (!p)
                return;
        rd_kafka_destroy(p->rk);
        free(p);
}

json_t *vl_kafka_input_json(const rd_kafka_message_t *rkm, int64_t max_bytes)
{
        size_t keep = rkm->len;
        rd_kafka_headers_t *hdrs = NULL;
        json_t *in, *h = json_object();
        char *b64;
        rd_kafka_timestamp_type_t tstype;
        int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);

        if (max_bytes >= 0 && keep > (size_t)max_bytes)
                keep = (size_t)max_bytes;
        if (!rd_kafka_message_headers(rkm, &hdrs) && hdrs) {
                const char *name;
                const void *v;
                size_t n;

                for (size_t i = 0;
                     !rd_kafka_header_get_all(hdrs, i, &name, &v, &n); i++)
                        json_object_set_new(h, name,
                                            v ? json_stringn_nocheck(v, n)
                                              : json_null());
        }
        b64 = vl_base64_encode(rkm->payload, keep, NULL);
        in = json_pack("{s:s, s:i, s:I, s:I, s:o, s:o, s:s, s:I, s:b}",
                       "topic", rd_kafka_topic_name(rkm->rkt), "partition",
                       (int)rkm->partition, "offset", (json_int_t)rkm->offset,
                       "timestamp", (json_int_t)ts, "key",
                       rkm->key ? json_stringn_nocheck(rkm->key, rkm->key_len)
                                : json_null(),
                       "headers", h, "value_b64", b64, "value_bytes",
                       (json_int_t)rkm->len, "truncated", keep < rkm->len);
        free(b64);
        return in;
}
