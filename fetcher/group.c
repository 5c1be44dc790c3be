/* Topic mode: several fetchers share the sources through Kafka.
 *
 * Sources live on sources.topic (veille.sources, compacted), one record a
 * site: key = the site (host, or registrable domain), value = the site's
 * sources. The fetchers are one consumer group on it, so each partition,
 * hence each site, has one owner at a time, and a site moves when its
 * owner leaves or dies: Kafka's group assignment does it all.
 *
 * Each owner publishes the polling state of its sites to state.topic
 * (veille.fetcher.state, compacted), with the site as key and in the
 * partition number the site's record has on the sources topic (given
 * explicitly, whatever partitioner wrote the sources). A fetcher assigned
 * partition p of the sources reads it from the beginning together with
 * partition p of the state topic; once both are read to their end
 * (enable.partition.eof) the sites of p are polled, starting from the
 * state their last owner left: validators, adapted interval, next poll,
 * failures, and the ids of the items of the feed that are settled (so that
 * they are not published again).
 *
 * Nothing is committed: every assignment reads its partitions whole, which
 * is what a compacted topic is for. All of it runs on the main thread,
 * inside fetcher_group_poll() and fetcher_group_close().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "veille/codec.h"
#include "veille/daemon.h"
#include "veille/kafka.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/out.h"
#include "fetcher.h"

#define POLL_BATCH 5000          /* records served a call */
#define METADATA_WAIT_MS 15000
#define PUBLISH_READ_MS 30000    /* --sources.publish: reading the topic */

struct part {
        bool assigned;
        bool src_eof;
        bool state_eof;
        bool ready;
        struct fetcher_map defs;   /* while loading: key -> json_t site */
        struct fetcher_map states; /* while loading: key -> json_t state */
};

struct fetcher_group {
        const struct vl_conf *cf;
        const struct fetcher_conf *fc;
        const struct vl_stage_conf *sc;
        struct fetcher_engine *e;
        struct vl_producer *p;
        rd_kafka_t *rk;
        struct part *parts;
        int nparts;
        struct vl_out out;
        int64_t next_flush_ms;
        int inflight;              /* state records awaiting delivery */
        bool resend;               /* a state record failed: publish all */
        atomic_ullong *c_records_ok;
        atomic_ullong *c_records_bad;
        atomic_ullong *c_state_published;
        atomic_ullong *c_state_failed;
        atomic_ullong *c_taken_over;
        atomic_ullong *c_rebalances;
        atomic_ullong *g_partitions;
        atomic_ullong *g_pending;
};

static void inc(atomic_ullong *c, unsigned long long n)
{
        if (c)
                atomic_fetch_add(c, n);
}

static void json_free(void *v)
{
        json_decref(v);
}

static struct part *part_of(struct fetcher_group *g, int32_t id)
{
        if (id < 0)
                return NULL;
        if (id >= g->nparts) {
                int n = id + 1;

                g->parts = vl_xrealloc(g->parts, (size_t)n * sizeof(*g->parts));
                memset(g->parts + g->nparts, 0,
                       (size_t)(n - g->nparts) * sizeof(*g->parts));
                g->nparts = n;
        }
        return &g->parts[id];
}

static void part_reset(struct part *pt)
{
        fetcher_map_release(&pt->defs, json_free);
        fetcher_map_release(&pt->states, json_free);
        memset(pt, 0, sizeof(*pt));
}

static void set_pending_gauge(struct fetcher_group *g)
{
        const struct fetcher_sources *ss = fetcher_engine_sources(g->e);
        unsigned long long dirty = 0;
        int ready = 0;

        for (int i = 0; i < ss->n; i++)
                dirty += ss->v[i]->dirty;
        for (int i = 0; i < g->nparts; i++)
                ready += g->parts[i].ready;
        if (g->g_pending)
                atomic_store(g->g_pending,
                             dirty + (unsigned long long)g->inflight);
        if (g->g_partitions)
                atomic_store(g->g_partitions, (unsigned long long)ready);
}

/* ------------------------------------------------------------ the state */

json_t *fetcher_group_state(const struct fetcher_sources *ss, const char *key)
{
        json_t *srcs = json_object();

        for (int i = 0; i < ss->n; i++)
                if (ss->v[i]->key && !strcmp(ss->v[i]->key, key))
                        json_object_set_new(srcs, ss->v[i]->url,
                                            fetcher_source_state(ss->v[i]));
        return json_pack("{s:s, s:s, s:o}", "schema",
                         "veille.fetcher.state.v1", "site", key, "sources",
                         srcs);
}

/* One record to the state topic, partition @p part: the site's state, or a
 * tombstone when @p st is NULL. */
static void send_state(struct fetcher_group *g, const char *key, int32_t part,
                       json_t *st)
{
        struct vl_err err;
        enum vl_rc rc;

        vl_out_clear(&g->out);
        vl_out_set_id_base(&g->out, "fetcher-state-%s-%lld", key,
                           (long long)vl_time_now_ms());
        if (st)
                vl_out_json_take(&g->out, g->fc->state_topic, key,
                                 "org.veille.fetcher.state.v1", st);
        else
                vl_out_raw(&g->out, g->fc->state_topic, key, NULL, 0);
        rc = vl_producer_send_part(g->p, &g->out.recs[0], part, g, &err);
        vl_out_clear(&g->out);
        if (rc != VL_OK) {
                VL_WARN("kafka", "cannot publish the state of '%s': %s", key,
                        err.msg);
                inc(g->c_state_failed, 1);
                g->resend = true;
                return;
        }
        g->inflight++;
}

/* Publish the state of every site with a source whose state changed (of
 * the partitions in @p only, when not NULL). */
static void publish_dirty(struct fetcher_group *g, const bool *only, int n)
{
        const struct fetcher_sources *ss = fetcher_engine_sources(g->e);
        struct fetcher_map keys;
        int i;

        fetcher_map_init(&keys);
        for (i = 0; i < ss->n; i++) {
                struct fetcher_source *s = ss->v[i];

                if (g->resend)
                        s->dirty = true;
                if (!s->dirty || !s->key)
                        continue;
                if (only && (s->partition < 0 || s->partition >= n ||
                             !only[s->partition]))
                        continue;
                s->dirty = false;
                fetcher_map_put(&keys, s->key, s);
        }
        g->resend = false;
        for (size_t b = 0; b < keys.nb; b++) {
                struct fetcher_map_entry *me;

                for (me = keys.b[b]; me; me = me->next) {
                        const struct fetcher_source *s = me->val;

                        send_state(g, me->key, s->partition,
                                   fetcher_group_state(ss, me->key));
                }
        }
        fetcher_map_release(&keys, NULL);
}

void fetcher_group_delivered(struct fetcher_group *g, rd_kafka_resp_err_t kerr)
{
        g->inflight--;
        if (kerr) {
                VL_WARN("kafka", "cannot deliver a state record: %s",
                        rd_kafka_err2str(kerr));
                inc(g->c_state_failed, 1);
                g->resend = true;
                return;
        }
        inc(g->c_state_published, 1);
}

/* --------------------------------------------------------- the sources */

static bool match_part(void *ctx, const struct fetcher_source *s)
{
        const int32_t *p = ctx;

        return s->partition == *p;
}

static bool match_key(void *ctx, const struct fetcher_source *s)
{
        return s->key && !strcmp(s->key, ctx);
}

struct parts_set {
        const bool *v;
        int n;
};

static bool match_parts(void *ctx, const struct fetcher_source *s)
{
        const struct parts_set *ps = ctx;

        return s->partition >= 0 && s->partition < ps->n && ps->v[s->partition];
}

/* The sources of site @p key from its record @p site, tagged with the key
 * and partition, each with its state from @p st (may be NULL). */
static enum vl_rc site_sources(struct fetcher_sources *ss, const char *key,
                               int32_t part, const json_t *site,
                               const json_t *st, int *taken,
                               struct vl_err *err)
{
        const json_t *states = json_object_get(st, "sources");
        int first = ss->n;
        enum vl_rc rc = fetcher_sources_from_json(ss, site, err);

        if (rc != VL_OK)
                return rc;
        for (int i = first; i < ss->n; i++) {
                struct fetcher_source *s = ss->v[i];
                const json_t *one = json_object_get(states, s->url);

                s->key = vl_xstrdup(key);
                s->partition = part;
                if (one) {
                        fetcher_source_apply_state(s, one);
                        (*taken)++;
                }
        }
        return VL_OK;
}

struct activate {
        struct fetcher_sources ss;
        struct part *pt;
        int32_t id;
        int sites;
        int taken;
};

static void activate_one(void *ctx, const char *key, void *val)
{
        struct activate *a = ctx;
        struct vl_err err;

        if (site_sources(&a->ss, key, a->id, val,
                         fetcher_map_get(&a->pt->states, key), &a->taken,
                         &err) != VL_OK)
                VL_ERROR("fetcher", "site '%s' of partition %d: %s", key,
                         (int)a->id, err.msg); /* checked when read */
        else
                a->sites++;
}

/* Both topics of partition @p id read to their end: poll its sites. */
static void activate(struct fetcher_group *g, int32_t id)
{
        struct activate a = { .pt = &g->parts[id], .id = id };

        fetcher_map_each(&a.pt->defs, activate_one, &a);
        VL_NOTICE("fetcher", "partition %d ready: %d sites, %d sources (%d "
                  "with the state of a previous owner)",
                  (int)id, a.sites, a.ss.n, a.taken);
        inc(g->c_taken_over, (unsigned long long)a.taken);
        fetcher_engine_replace_sources(g->e, match_part, &id, &a.ss);
        fetcher_map_release(&a.pt->defs, json_free);
        fetcher_map_release(&a.pt->states, json_free);
        a.pt->ready = true;
        set_pending_gauge(g);
}

static void dead_letter(struct fetcher_group *g, const rd_kafka_message_t *rkm,
                        const char *key, const struct vl_err *err)
{
        struct vl_err perr;

        inc(g->c_records_bad, 1);
        VL_ERROR("fetcher", "bad record '%s' at %s [%d] offset %lld: %s "
                 "(dead-lettered; the site keeps its sources)",
                 key, rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
                 (long long)rkm->offset, err->msg);
        vl_out_clear(&g->out);
        vl_out_set_id_base(&g->out, "%s-%d-%lld",
                           rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
                           (long long)rkm->offset);
        vl_out_dlq_take(&g->out, g->sc->dlq_topic, "fetcher", err, key,
                        vl_kafka_input_json(rkm, -1));
        if (vl_producer_send(g->p, &g->out.recs[0], NULL, &perr) != VL_OK)
                VL_WARN("kafka", "cannot dead-letter it: %s", perr.msg);
        vl_out_clear(&g->out);
}

/* A record of the sources topic: the site's sources (NULL: deleted). */
static void on_source(struct fetcher_group *g, struct part *pt,
                      const rd_kafka_message_t *rkm, char *key)
{
        json_t *site = NULL;
        struct fetcher_sources ss = { 0 };
        json_error_t jerr;
        struct vl_err err;
        int taken = 0;

        if (rkm->payload && rkm->len) {
                site = json_loadb(rkm->payload, rkm->len, JSON_REJECT_DUPLICATES,
                                  &jerr);
                if (!site) {
                        vl_err_set(&err, VL_REJECT, "not JSON: %s", jerr.text);
                        dead_letter(g, rkm, key, &err);
                        return;
                }
        }
        /* checked now, so that a bad record never replaces a good one */
        if (site && site_sources(&ss, key, rkm->partition, site, NULL, &taken,
                                 &err) != VL_OK) {
                json_decref(site);
                dead_letter(g, rkm, key, &err);
                return;
        }
        inc(g->c_records_ok, 1);
        if (!pt->ready) {
                if (site && ss.n) {
                        json_decref(fetcher_map_put(&pt->defs, key, site));
                } else {
                        json_decref(fetcher_map_del(&pt->defs, key));
                        json_decref(site);
                }
                fetcher_sources_release(&ss);
                return;
        }
        json_decref(site);
        if (!ss.n) {
                fetcher_engine_abort_sources(g->e, match_key, key);
                fetcher_engine_replace_sources(g->e, match_key, key,
                                               &ss);
                send_state(g, key, rkm->partition, NULL);
                VL_NOTICE("fetcher", "site '%s' deleted", key);
                return;
        }
        VL_INFO("fetcher", "site '%s': %d sources", key, ss.n);
        fetcher_engine_replace_sources(g->e, match_key, key, &ss);
}

static void on_message(struct fetcher_group *g, const rd_kafka_message_t *rkm)
{
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        bool is_src = !strcmp(topic, g->fc->sources_topic);
        struct part *pt = part_of(g, rkm->partition);
        char *key;

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (!pt || !pt->assigned)
                        return;
                if (is_src)
                        pt->src_eof = true;
                else
                        pt->state_eof = true;
                if (!pt->ready && pt->src_eof && pt->state_eof)
                        activate(g, rkm->partition);
                return;
        }
        if (rkm->err) {
                VL_WARN("kafka", "%s: %s", topic, rd_kafka_message_errstr(rkm));
                return;
        }
        if (!pt || !pt->assigned)
                return;
        if (!rkm->key || !rkm->key_len) {
                struct vl_err err;

                if (!is_src)
                        return;
                vl_err_set(&err, VL_REJECT, "a site record needs a key");
                dead_letter(g, rkm, "", &err);
                return;
        }
        key = vl_xstrndup(rkm->key, rkm->key_len);
        if (is_src) {
                on_source(g, pt, rkm, key);
        } else if (!pt->ready) {
                /* our own records once ready: the memory is the truth */
                json_t *st = rkm->payload && rkm->len
                                     ? json_loadb(rkm->payload, rkm->len, 0,
                                                  NULL)
                                     : NULL;

                if (st)
                        json_decref(fetcher_map_put(&pt->states, key, st));
                else
                        json_decref(fetcher_map_del(&pt->states, key));
        }
        free(key);
}

/* ---------------------------------------------------------- rebalances */

static void on_assign(struct fetcher_group *g, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *parts, bool coop)
{
        rd_kafka_topic_partition_list_t *both =
                rd_kafka_topic_partition_list_new(parts->cnt * 2);
        char ids[256] = "";
        size_t len = 0;

        for (int i = 0; i < parts->cnt; i++) {
                int32_t id = parts->elems[i].partition;
                struct part *pt = part_of(g, id);

                part_reset(pt);
                pt->assigned = true;
                rd_kafka_topic_partition_list_add(both, g->fc->sources_topic,
                                                  id)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
                rd_kafka_topic_partition_list_add(both, g->fc->state_topic,
                                                  id)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
                if (len < sizeof(ids) - 12)
                        len += (size_t)snprintf(ids + len, sizeof(ids) - len,
                                                "%s%d", i ? "," : "", (int)id);
        }
        VL_NOTICE("fetcher", "assigned partitions [%s] of '%s': reading them "
                  "and their state", ids, g->fc->sources_topic);
        if (coop)
                rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, both));
        else
                rd_kafka_assign(rk, both);
        rd_kafka_topic_partition_list_destroy(both);
}

static void on_revoke(struct fetcher_group *g, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *parts, bool coop)
{
        rd_kafka_topic_partition_list_t *both =
                rd_kafka_topic_partition_list_new(parts->cnt * 2);
        bool lost = rd_kafka_assignment_lost(rk);
        bool *set = vl_xcalloc((size_t)g->nparts + 1, sizeof(*set));
        struct parts_set ps = { set, g->nparts };
        struct fetcher_sources none = { 0 };

        for (int i = 0; i < parts->cnt; i++) {
                int32_t id = parts->elems[i].partition;

                if (id >= 0 && id < g->nparts)
                        set[id] = true;
                rd_kafka_topic_partition_list_add(both, g->fc->sources_topic,
                                                  id);
                rd_kafka_topic_partition_list_add(both, g->fc->state_topic,
                                                  id);
        }
        VL_NOTICE("fetcher", "%s %d partitions of '%s'",
                  lost ? "lost" : "revoked", parts->cnt, g->fc->sources_topic);
        /* no more requests to those sites; what was fetched is delivered
         * (and known) before the state goes, and the state is delivered
         * before the partitions go: their next owner reads it */
        fetcher_engine_abort_sources(g->e, match_parts, &ps);
        vl_producer_flush(g->p, (int)g->sc->drain_ms);
        if (!lost) /* else a new owner may be writing it already */
                publish_dirty(g, set, g->nparts);
        fetcher_engine_replace_sources(g->e, match_parts, &ps, &none);
        vl_producer_flush(g->p, (int)g->sc->drain_ms);
        for (int i = 0; i < g->nparts; i++)
                if (set[i])
                        part_reset(&g->parts[i]);
        free(set);
        if (coop)
                rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, both));
        else
                rd_kafka_assign(rk, NULL);
        rd_kafka_topic_partition_list_destroy(both);
        set_pending_gauge(g);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t kerr,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct fetcher_group *g = opaque;
        bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_topic_partition_list_t *src =
                rd_kafka_topic_partition_list_new(parts->cnt);

        inc(g->c_rebalances, 1);
        /* the state partitions come and go with the sources ones */
        for (int i = 0; i < parts->cnt; i++)
                if (!strcmp(parts->elems[i].topic, g->fc->sources_topic))
                        rd_kafka_topic_partition_list_add(
                                src, parts->elems[i].topic,
                                parts->elems[i].partition);
        if (kerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                on_assign(g, rk, src, coop);
        } else if (kerr == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                on_revoke(g, rk, src, coop);
        } else {
                VL_ERROR("kafka", "rebalance: %s", rd_kafka_err2str(kerr));
                rd_kafka_assign(rk, NULL);
        }
        rd_kafka_topic_partition_list_destroy(src);
}

/* ------------------------------------------------------------------ api */

static int partitions_of(rd_kafka_t *rk, const char *topic, struct vl_err *err)
{
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int64_t until = vl_time_mono_ms() + METADATA_WAIT_MS;
        int n = -1;

        while (n < 0) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_resp_err_t kerr =
                        rd_kafka_metadata(rk, 0, rkt, &md, 5000);

                if (!kerr && md->topic_cnt == 1 && !md->topics[0].err &&
                    md->topics[0].partition_cnt > 0)
                        n = md->topics[0].partition_cnt;
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (n >= 0 || vl_time_mono_ms() >= until ||
                    vl_daemon_stopping())
                        break;
                vl_kafka_serve_logs(rk);
                nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
        }
        rd_kafka_topic_destroy(rkt);
        if (n < 0)
                vl_err_set(err, VL_FATAL, "cannot read the metadata of topic "
                           "'%s' (does it exist?)", topic);
        return n;
}

static rd_kafka_t *consumer(const struct vl_conf *cf, const char *group,
                            void *opaque, struct vl_err *err)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        const char *const defaults[] = {
                "client.id", "veille-fetcher",
                "group.id", group,
                "auto.offset.reset", "earliest",
                NULL,
        };
        /* every assignment is read whole from its beginning, to its end */
        static const char *const forced[] = {
                "enable.auto.commit", "false",
                "enable.auto.offset.store", "false",
                "enable.partition.eof", "true",
                NULL,
        };

        vl_kafka_conf_pairs(kc, defaults);
        if (opaque) {
                rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
                rd_kafka_conf_set_opaque(kc, opaque);
        }
        return vl_consumer_new(cf, kc, forced, err);
}

struct fetcher_group *fetcher_group_new(const struct vl_conf *cf,
                                        const struct fetcher_conf *fc,
                                        const struct vl_stage_conf *sc,
                                        struct fetcher_engine *e,
                                        struct vl_producer *p,
                                        struct vl_metrics *m,
                                        struct vl_err *err)
{
        struct fetcher_group *g = vl_xcalloc(1, sizeof(*g));
        rd_kafka_topic_partition_list_t *sub;
        rd_kafka_resp_err_t kerr;
        int nsrc, nstate;

        g->cf = cf;
        g->fc = fc;
        g->sc = sc;
        g->e = e;
        g->p = p;
        vl_out_init(&g->out, "urn:veille:fetcher");
        g->c_records_ok = vl_metrics_counter(m,
                "veille_fetcher_source_records_total", "result=\"ok\"",
                "records read from the sources topic");
        g->c_records_bad = vl_metrics_counter(m,
                "veille_fetcher_source_records_total", "result=\"invalid\"",
                "records read from the sources topic");
        g->c_state_published = vl_metrics_counter(m,
                "veille_fetcher_state_published_total", NULL,
                "site states delivered to the state topic");
        g->c_state_failed = vl_metrics_counter(m,
                "veille_fetcher_state_failures_total", NULL,
                "site states Kafka did not take (published again)");
        g->c_taken_over = vl_metrics_counter(m,
                "veille_fetcher_sources_taken_over_total", NULL,
                "sources started from the state of a previous owner");
        g->c_rebalances = vl_metrics_counter(m,
                "veille_fetcher_rebalances_total", NULL,
                "partition assignments and revocations");
        g->g_partitions = vl_metrics_gauge(m, "veille_fetcher_partitions",
                "partitions of the sources topic owned and read");
        g->g_pending = vl_metrics_gauge(m, "veille_fetcher_state_pending",
                "sources whose state is not yet delivered to the state "
                "topic");
        g->rk = consumer(cf, fc->sources_group, g, err);
        if (!g->rk)
                goto fail;
        nsrc = partitions_of(g->rk, fc->sources_topic, err);
        if (nsrc < 0)
                goto fail;
        nstate = partitions_of(g->rk, fc->state_topic, err);
        if (nstate < 0)
                goto fail;
        if (nstate < nsrc) {
                vl_err_set(err, VL_FATAL, "topic '%s' has %d partitions, "
                           "fewer than the %d of '%s': a site's state must "
                           "have the partition number of its sources",
                           fc->state_topic, nstate, nsrc, fc->sources_topic);
                goto fail;
        }
        part_of(g, nsrc - 1);
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, fc->sources_topic,
                                          RD_KAFKA_PARTITION_UA);
        kerr = rd_kafka_subscribe(g->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (kerr) {
                vl_err_set(err, VL_FATAL, "cannot subscribe to '%s': %s",
                           fc->sources_topic, rd_kafka_err2str(kerr));
                goto fail;
        }
        fetcher_engine_set_group(e, g);
        VL_NOTICE("fetcher", "sources from topic '%s' (%d partitions), group "
                  "'%s', state on '%s'",
                  fc->sources_topic, nsrc, fc->sources_group, fc->state_topic);
        return g;
fail:
        fetcher_group_destroy(g);
        return NULL;
}

void fetcher_group_poll(struct fetcher_group *g)
{
        int64_t now = vl_time_mono_ms();

        for (int i = 0; i < POLL_BATCH; i++) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(g->rk, 0);

                if (!rkm)
                        break;
                on_message(g, rkm);
                rd_kafka_message_destroy(rkm);
        }
        if (now >= g->next_flush_ms) {
                g->next_flush_ms = now + g->fc->state_interval_ms;
                publish_dirty(g, NULL, 0);
                set_pending_gauge(g);
        }
}

void fetcher_group_close(struct fetcher_group *g)
{
        if (!g || !g->rk)
                return;
        publish_dirty(g, NULL, 0);
        vl_producer_flush(g->p, (int)g->sc->drain_ms);
        rd_kafka_consumer_close(g->rk); /* revokes: nothing left to send */
        rd_kafka_destroy(g->rk);
        g->rk = NULL;
        fetcher_engine_set_group(g->e, NULL);
}

void fetcher_group_destroy(struct fetcher_group *g)
{
        if (!g)
                return;
        if (g->rk) {
                rd_kafka_consumer_close(g->rk);
                rd_kafka_destroy(g->rk);
        }
        for (int i = 0; i < g->nparts; i++)
                part_reset(&g->parts[i]);
        free(g->parts);
        vl_out_release(&g->out);
        if (g->e)
                fetcher_engine_set_group(g->e, NULL);
        free(g);
}

/* -------------------------------------------------------- the publisher */

struct publish {
        int failed;
        int delivered;
};

static void publish_dr(void *ctx, void *opaque, rd_kafka_resp_err_t kerr,
                       const rd_kafka_message_t *rkm)
{
        struct publish *pb = ctx;

        (void)opaque;
        if (kerr) {
                pb->failed++;
                VL_ERROR("kafka", "cannot publish site '%.*s': %s",
                         (int)rkm->key_len, (const char *)rkm->key,
                         rd_kafka_err2str(kerr));
        } else {
                pb->delivered++;
        }
}

/* The topic as it is: key -> value (a new string), last record wins. */
static enum vl_rc read_topic(const struct vl_conf *cf, const char *topic,
                             struct fetcher_map *cur, struct vl_err *err)
{
        rd_kafka_t *rk = consumer(cf, "veille-fetcher-publish", NULL, err);
        rd_kafka_topic_partition_list_t *all;
        int64_t until = vl_time_mono_ms() + PUBLISH_READ_MS;
        enum vl_rc rc = VL_OK;
        int n, eofs = 0;
        bool *eof = NULL;

        if (!rk)
                return err->rc;
        n = partitions_of(rk, topic, err);
        if (n < 0) {
                rc = err->rc;
                goto out;
        }
        eof = vl_xcalloc((size_t)n, sizeof(*eof));
        all = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(all, topic, i)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, all);
        rd_kafka_topic_partition_list_destroy(all);
        while (eofs < n) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);

                if (vl_time_mono_ms() >= until || vl_daemon_stopping()) {
                        rc = vl_err_set(err, VL_FATAL, "cannot read topic "
                                        "'%s' to its end", topic);
                        if (rkm)
                                rd_kafka_message_destroy(rkm);
                        break;
                }
                if (!rkm)
                        continue;
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (rkm->partition >= 0 && rkm->partition < n &&
                            !eof[rkm->partition]) {
                                eof[rkm->partition] = true;
                                eofs++;
                        }
                } else if (!rkm->err && rkm->key) {
                        char *key = vl_xstrndup(rkm->key, rkm->key_len);

                        if (rkm->payload && rkm->len)
                                free(fetcher_map_put(
                                        cur, key,
                                        vl_xstrndup(rkm->payload, rkm->len)));
                        else
                                free(fetcher_map_del(cur, key));
                        free(key);
                }
                rd_kafka_message_destroy(rkm);
        }
        rd_kafka_assign(rk, NULL);
out:
        free(eof);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return rc;
}

int fetcher_group_publish(const struct vl_conf *cf,
                          const struct fetcher_conf *fc, const char *path)
{
        enum fetcher_polite_key mode = !strcmp(fc->politeness_key, "domain")
                                               ? FETCHER_POLITE_DOMAIN
                                               : FETCHER_POLITE_HOST;
        struct fetcher_sources ss = { 0 };
        struct fetcher_map sites, cur;
        struct publish pb = { 0 };
        struct vl_producer *p = NULL;
        struct vl_out out;
        struct vl_err err;
        int code = VL_EXIT_OK;
        int changed = 0, same = 0, deleted = 0;

        fetcher_map_init(&sites);
        fetcher_map_init(&cur);
        vl_out_init(&out, "urn:veille:fetcher");
        if (fetcher_sources_load(&ss, path, &err) != VL_OK) {
                fprintf(stderr, "veille-fetcher: %s\n", err.msg);
                code = VL_EXIT_USAGE;
                goto out;
        }
        /* one record a site, its sources in file order */
        for (int i = 0; i < ss.n; i++) {
                char *key = fetcher_site_key(ss.v[i]->url, mode);
                json_t *site;

                if (!key)
                        continue; /* checked by the parser: never */
                site = fetcher_map_get(&sites, key);
                if (!site) {
                        site = json_pack("{s:s, s:s, s:[]}", "schema",
                                         "veille.source.v1", "site", key,
                                         "sources");
                        fetcher_map_put(&sites, key, site);
                }
                json_array_append_new(json_object_get(site, "sources"),
                                      fetcher_source_to_json(ss.v[i]));
                free(key);
        }
        if (read_topic(cf, fc->sources_topic, &cur, &err) != VL_OK) {
                VL_ERROR("fetcher", "%s", err.msg);
                code = VL_EXIT_FATAL;
                goto out;
        }
        p = vl_producer_new(cf, "veille-fetcher-publish", publish_dr, &pb,
                            &err);
        if (!p) {
                VL_ERROR("kafka", "%s", err.msg);
                code = VL_EXIT_FATAL;
                goto out;
        }
        for (size_t b = 0; b < sites.nb; b++) {
                for (struct fetcher_map_entry *me = sites.b[b]; me;
                     me = me->next) {
                        char *v = json_dumps(me->val,
                                             JSON_COMPACT | JSON_SORT_KEYS);
                        const char *old = fetcher_map_get(&cur, me->key);

                        if (old && !strcmp(old, v)) {
                                same++;
                                free(v);
                                continue;
                        }
                        vl_out_clear(&out);
                        vl_out_raw(&out, fc->sources_topic, me->key, v,
                                   strlen(v));
                        vl_rec_header(&out.recs[0], "content-type",
                                      "application/json");
                        free(v);
                        if (vl_producer_send(p, &out.recs[0], NULL, &err) !=
                            VL_OK) {
                                VL_ERROR("kafka", "%s", err.msg);
                                pb.failed++;
                        }
                        changed++;
                }
        }
        /* the sites the file no longer has: tombstones */
        for (size_t b = 0; b < cur.nb; b++) {
                for (struct fetcher_map_entry *me = cur.b[b]; me;
                     me = me->next) {
                        if (fetcher_map_get(&sites, me->key))
                                continue;
                        vl_out_clear(&out);
                        vl_out_raw(&out, fc->sources_topic, me->key, NULL, 0);
                        if (vl_producer_send(p, &out.recs[0], NULL, &err) !=
                            VL_OK) {
                                VL_ERROR("kafka", "%s", err.msg);
                                pb.failed++;
                        }
                        deleted++;
                }
        }
        if (vl_producer_flush(p, 30000) > 0)
                pb.failed++;
        if (pb.failed) {
                code = VL_EXIT_FATAL;
                VL_ERROR("fetcher", "publishing '%s' to '%s': %d records "
                         "failed", path, fc->sources_topic, pb.failed);
                goto out;
        }
        VL_NOTICE("fetcher", "published '%s' to '%s': %d sources in %d "
                  "sites, %d new or changed, %d unchanged, %d deleted",
                  path, fc->sources_topic, ss.n, (int)sites.n, changed, same,
                  deleted);
out:
        vl_producer_destroy(p);
        vl_out_release(&out);
        fetcher_map_release(&sites, json_free);
        fetcher_map_release(&cur, free);
        fetcher_sources_release(&ss);
        return code;
}
