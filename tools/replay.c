/*
 * veille-replay: republish dead letters after a fix. Reads the dead-letter
 * topic from its beginning to its end, keeps the records that match the
 * filters (stage, error text, time range), and produces each one's input
 * (its original bytes, key and headers) to the topic it came from, so that
 * the stage that rejected it sees it again. Records whose input was
 * truncated in the dead letter cannot be replayed and are reported.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "veille/codec.h"
#include "veille/conf.h"
#include "veille/daemon.h"
#include "veille/kafka.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/out.h"

struct replay_conf {
        char *dlq_topic;
        char *stage;
        char *error;
        char *since;
        char *until;
        bool dry_run;
        char *log_level;
};

#define F(x) offsetof(struct replay_conf, x)
static const struct vl_conf_key replay_keys[] = {
        {"dlq.topic", VL_CONF_STR, F(dlq_topic), "veille.dlq",
         "dead-letter topic to read", 0},
        {"stage", VL_CONF_STR, F(stage), NULL,
         "replay only the dead letters of this stage (fetcher, parser, "
         "enricher, sink)", 0},
        {"error", VL_CONF_STR, F(error), NULL,
         "replay only dead letters whose error message contains this text",
         0},
        {"since", VL_CONF_STR, F(since), NULL,
         "replay only dead letters failed at or after this RFC 3339 UTC "
         "time (2024-03-12T10:00:00Z)", 0},
        {"until", VL_CONF_STR, F(until), NULL,
         "replay only dead letters failed before this RFC 3339 UTC time", 0},
        {"dry.run", VL_CONF_BOOL, F(dry_run), "false",
         "list what would be replayed, produce nothing", 0},
        {"log.level", VL_CONF_STR, F(log_level), "notice",
         "error, warning, notice, info or debug", 0},
        {0},
};
#undef F

struct counts {
        long read, matched, replayed, delivered, failed, unreplayable;
};

static void dr_cb(void *ctx, void *opaque, rd_kafka_resp_err_t kerr,
                  const rd_kafka_message_t *rkm)
{
        struct counts *c = ctx;

        (void)opaque;
        if (kerr) {
                c->failed++;
                VL_ERROR("replay", "delivery to '%s' failed: %s",
                         rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(kerr));
        } else {
                c->delivered++;
        }
}

/* "failed_at" values are our own RFC 3339 UTC strings of one fixed form,
 * so that comparing them as strings compares the times */
static bool wanted(const struct replay_conf *rc, json_t *dl)
{
        const char *stage = json_string_value(json_object_get(dl, "stage"));
        const char *msg = json_string_value(
                json_object_get(json_object_get(dl, "error"), "message"));
        const char *at = json_string_value(json_object_get(dl, "failed_at"));

        if (rc->stage && *rc->stage && (!stage || strcmp(stage, rc->stage)))
                return false;
        if (rc->error && *rc->error && (!msg || !strstr(msg, rc->error)))
                return false;
        if (rc->since && *rc->since && (!at || strcmp(at, rc->since) < 0))
                return false;
        if (rc->until && *rc->until && (!at || strcmp(at, rc->until) >= 0))
                return false;
        return true;
}

/* Republish one dead letter's input. */
static void replay_one(const struct replay_conf *rc, struct vl_producer *p,
                       struct vl_out *out, json_t *dl, struct counts *c)
{
        json_t *in = json_object_get(dl, "input");
        const char *topic = json_string_value(json_object_get(in, "topic"));
        const char *b64 = json_string_value(json_object_get(in, "value_b64"));
        const char *key = json_string_value(json_object_get(in, "key"));
        json_t *hdrs = json_object_get(in, "headers");
        struct vl_err err = {0};
        unsigned char *value;
        struct vl_rec *rec;
        const char *name;
        json_t *v;
        size_t len;

        if (!topic || !b64 || json_is_true(json_object_get(in, "truncated"))) {
                c->unreplayable++;
                VL_WARN("replay", "cannot replay a dead letter of %s: %s",
                        topic ? topic : "no topic",
                        b64 ? "its input was truncated" : "no input bytes");
                return;
        }
        value = vl_base64_decode(b64, strlen(b64), &len, &err);
        if (!value) {
                c->unreplayable++;
                VL_WARN("replay", "cannot replay: %s", err.msg);
                return;
        }
        printf("%s %s [%s] offset %lld key %s: %s\n",
               rc->dry_run ? "would replay" : "replay", topic,
               json_string_value(json_object_get(dl, "stage")),
               (long long)json_integer_value(json_object_get(in, "offset")),
               key ? key : "-",
               json_string_value(json_object_get(
                       json_object_get(dl, "error"), "message")));
        if (!rc->dry_run) {
                vl_out_clear(out);
                rec = vl_out_raw(out, topic, key, value, len);
                json_object_foreach(hdrs, name, v) {
                        if (json_is_string(v))
                                vl_rec_header(rec, name, json_string_value(v));
                }
                vl_rec_header(rec, "veille_replayed", "1");
                if (vl_producer_send(p, rec, NULL, &err) != VL_OK)
                        VL_ERROR("replay", "%s", err.msg);
                else
                        c->replayed++;
        }
        free(value);
}

static rd_kafka_t *consumer_new(const struct vl_conf *cf, struct vl_err *err)
{
        /* a reader of the whole topic: no commits, told where it ends */
        static const char *const forced[] = {
                "group.id", "veille-replay",
                "enable.auto.commit", "false",
                "enable.partition.eof", "true",
                NULL,
        };

        return vl_consumer_new(cf, rd_kafka_conf_new(), forced, err);
}

/* Assign every partition of the topic from its beginning.
 * @returns the number of partitions, or -1. */
static int assign_all(rd_kafka_t *rk, const char *topic, struct vl_err *err)
{
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t kerr;
        int n = -1;

        kerr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        if (kerr || md->topic_cnt != 1 || md->topics[0].err) {
                vl_err_set(err, VL_FATAL, "cannot read the metadata of '%s': %s",
                           topic,
                           rd_kafka_err2str(kerr ? kerr : md->topics[0].err));
                goto out;
        }
        n = md->topics[0].partition_cnt;
        parts = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(parts, topic,
                                                  md->topics[0].partitions[i].id)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
out:
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return n;
}

int main(int argc, char **argv)
{
        struct replay_conf rc = {0};
        struct counts c = {0};
        struct vl_err err = {0};
        struct vl_producer *p = NULL;
        struct vl_out out;
        struct vl_conf *cf;
        rd_kafka_t *rk = NULL;
        int code, parts, eofs = 0, lvl;

        vl_log_init("veille-replay");
        cf = vl_conf_new("veille-replay",
                         "republish dead letters (veille.dlq) to the topics "
                         "their inputs came from, after a fix");
        vl_conf_add_table(cf, replay_keys, &rc);
        vl_out_init(&out, "urn:veille:replay");
        code = vl_conf_parse(cf, argc, argv);
        if (code >= 0)
                goto done;
        lvl = vl_log_parse_level(rc.log_level);
        if (lvl < 0) {
                fprintf(stderr, "veille-replay: invalid log.level '%s'\n",
                        rc.log_level);
                code = VL_EXIT_USAGE;
                goto done;
        }
        vl_log_level = lvl;
        vl_daemon_signals();
        code = VL_EXIT_FATAL;
        if (!rc.dry_run) {
                p = vl_producer_new(cf, "veille-replay", dr_cb, &c, &err);
                if (!p)
                        goto fail;
        }
        rk = consumer_new(cf, &err);
        if (!rk)
                goto fail;
        parts = assign_all(rk, rc.dlq_topic, &err);
        if (parts < 0)
                goto fail;
        while (eofs < parts && !vl_daemon_stopping()) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 500);
                json_t *dl;

                if (p)
                        vl_producer_poll(p, 0);
                if (!rkm)
                        continue;
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        eofs++;
                } else if (rkm->err) {
                        VL_WARN("replay", "%s", rd_kafka_message_errstr(rkm));
                } else {
                        c.read++;
                        dl = json_loadb(rkm->payload, rkm->len, 0, NULL);
                        if (!dl || !json_is_object(json_object_get(dl, "input"))) {
                                VL_WARN("replay", "offset %lld is not a dead "
                                        "letter", (long long)rkm->offset);
                                c.unreplayable++;
                        } else if (wanted(&rc, dl)) {
                                c.matched++;
                                replay_one(&rc, p, &out, dl, &c);
                        }
                        json_decref(dl);
                }
                rd_kafka_message_destroy(rkm);
        }
        if (p && vl_producer_flush(p, 60000) > 0)
                VL_ERROR("replay", "some records were not delivered");
        fprintf(stderr,
                "veille-replay: %ld dead letters read, %ld matched, %ld "
                "replayed, %ld delivered, %ld failed, %ld not replayable\n",
                c.read, c.matched, c.replayed, c.delivered, c.failed,
                c.unreplayable);
        code = c.failed || (p && c.delivered < c.replayed) ? VL_EXIT_FATAL
                                                           : VL_EXIT_OK;
        goto done;
fail:
        fprintf(stderr, "veille-replay: %s\n", err.msg);
        if (err.rc == VL_REJECT)
                code = VL_EXIT_USAGE;
done:
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        vl_producer_destroy(p);
        vl_out_release(&out);
        vl_conf_destroy(cf);
        return code;
}
