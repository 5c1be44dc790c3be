/* The stage callbacks: an article event in, the same object enriched out. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "veille/buf.h"
#include "veille/codec.h"
#include "veille/date.h"
#include "veille/kafka.h"
#include "veille/jscan.h"
#include "veille/lang.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "enricher.h"
#include "enricher_model.h"

#ifndef VEILLE_ENRICHER_GAZETTEER
#define VEILLE_ENRICHER_GAZETTEER "gazetteer.tsv"
#endif
#ifndef VEILLE_ENRICHER_MODEL
#define VEILLE_ENRICHER_MODEL "ner-model.bin"
#endif

#define ARTICLE_SCHEMA "veille.article.v1"
#define ENRICHED_SCHEMA "veille.enriched.v1"
#define ENRICHED_TYPE "org.veille.enriched.v1"
#define LANG_SOURCE_DETECTED "detect" /* lang_source when we guessed it */

struct enricher_state {
        const struct enricher_conf *cf;
        const struct vl_stage_conf *sc;
        struct enricher_gazetteer *gz;
        struct enricher_model *model; /* NULL: no statistical tagger */
        struct enricher_tag *tg;
        atomic_ullong *entities, *mentions, *detected;
        /* per article, reused */
        struct vl_jobj jobj;
        struct vl_buf textbuf, titlebuf, idbuf, sbuf, outbuf;
        uint32_t *chain; /* put_entities(): mentions per group */
        size_t capchain;
        uint64_t simhash;
        uint32_t minhash[ENRICHER_MINHASH_K];
        char dup_of[ENRICHER_DEDUP_ID_MAX + 1]; /* "" or the original */
        int64_t dup_t;  /* the article's time for the index (s); */
        bool dup_index; /* false: not indexed (too short or long id) */
        /* near-duplicates: the index, the fingerprint topic's reader */
        struct enricher_dedup *dd;
        rd_kafka_t *feed;
        pthread_t feeder; /* reads the topic into dd, under lock */
        pthread_mutex_t lock;
        atomic_int stop;
        bool feeding;
        char instance[64]; /* header veille_instance of our records */
        struct vl_jobj fobj;
        struct vl_buf fbuf;
        atomic_ullong *dups, *fp_read, *fp_bad;
        atomic_ullong *dd_size;
};

#define INSTANCE_HEADER "veille_instance"
#define FINGERPRINT_TYPE "org.veille.fingerprint.v1"

#define F(x) offsetof(struct enricher_conf, x)
const struct vl_conf_key enricher_keys[] = {
        {"enricher.gazetteer", VL_CONF_STR, F(gazetteer),
         VEILLE_ENRICHER_GAZETTEER,
         "gazetteer file: canonical<TAB>PER|ORG|LOC<TAB>qid<TAB>alias|alias "
         "(if the default is missing, gazetteer.tsv next to the binary and "
         "../share/veille/gazetteer.tsv are tried)", 0},
        {"enricher.user.aliases", VL_CONF_STR, F(user_aliases), NULL,
         "extra file of the same format loaded on top of the gazetteer "
         "(reloaded on SIGHUP)", 0},
        {"enricher.model", VL_CONF_STR, F(model), VEILLE_ENRICHER_MODEL,
         "statistical tagger for names the gazetteer does not know (made by "
         "veille-enricher-train); empty: none (if the default is missing, "
         "ner-model.bin next to the binary and ../share/veille/ are tried)",
         0},
        {"enricher.max.text.bytes", VL_CONF_INT, F(max_text_bytes), "4194304",
         "articles whose text is longer are rejected", 0},
        {"enricher.dedup.topic", VL_CONF_STR, F(dedup_topic),
         "veille.fingerprints",
         "topic of the near-duplicate fingerprints: every instance writes "
         "its articles' there and reads all of it; empty: this instance's "
         "articles only", 0},
        {"enricher.dedup.window.s", VL_CONF_INT, F(dedup_window_s), "604800",
         "duplicate_of names an article published at most this long before "
         "(seconds); fingerprints this old are read at start-up", 0},
        {"enricher.dedup.max", VL_CONF_INT, F(dedup_max), "200000",
         "fingerprints held in memory (about 200 bytes each); the oldest go "
         "first; 0: no near-duplicate detection", 0},
        {"enricher.dedup.similarity", VL_CONF_DOUBLE, F(dedup_similarity),
         "0.6",
         "texts whose word 3-shingles have at least this Jaccard similarity "
         "(estimated by MinHash, 0 to 1) are near-duplicates", 0},
        {"enricher.dedup.min.words", VL_CONF_INT, F(dedup_min_words), "30",
         "texts with fewer words are neither indexed nor linked", 0},
        {"enricher.dedup.load.ms", VL_CONF_INT, F(dedup_load_ms), "30000",
         "at start-up, wait at most this long to read the fingerprint "
         "topic's recent records before taking articles", 0},
        {0},
};
#undef F

/* ---- the tables --------------------------------------------------------- */

/* A data file of an installed binary: next to it, or in ../share/veille.
 * @returns 0 and the path in @p path, or -1. */
static int installed_path(const char *name, char *path, size_t size)
{
        static const char *const rel[] = {"", "../share/veille/"};
        char exe[PATH_MAX], *slash;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n <= 0)
                return -1;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return -1;
        *slash = '\0';
        for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
                snprintf(path, size, "%s/%s%s", exe, rel[i], name);
                if (access(path, R_OK) == 0)
                        return 0;
        }
        return -1;
}

static enum vl_rc load_installed(struct enricher_gazetteer *gz,
                                 struct vl_err *err)
{
        char path[PATH_MAX + 64];

        if (installed_path("gazetteer.tsv", path, sizeof(path)) != 0)
                return VL_FATAL;
        return enricher_gazetteer_load(gz, path, err);
}

/* The model of enricher.model: NULL in @p out when the key is empty. */
static enum vl_rc load_model(const struct enricher_conf *cf,
                             struct enricher_model **out, struct vl_err *err)
{
        char path[PATH_MAX + 64];
        const char *p = cf->model;

        *out = NULL;
        if (!p || !*p)
                return VL_OK;
        if (strcmp(p, VEILLE_ENRICHER_MODEL) == 0 && access(p, R_OK) != 0 &&
            installed_path("ner-model.bin", path, sizeof(path)) == 0)
                p = path;
        if (enricher_model_load(out, p, err) != VL_OK)
                return VL_FATAL;
        VL_INFO("enricher", "model: %s (%zu features)", p, (*out)->used);
        return VL_OK;
}

static enum vl_rc load_tables(const struct enricher_conf *cf,
                              struct enricher_gazetteer **out,
                              struct vl_err *err)
{
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        const char *path = cf->gazetteer && *cf->gazetteer
                                   ? cf->gazetteer
                                   : VEILLE_ENRICHER_GAZETTEER;
        enum vl_rc rc;

        if (strcmp(path, VEILLE_ENRICHER_GAZETTEER) == 0 &&
            access(path, R_OK) != 0 && load_installed(gz, err) == VL_OK)
                rc = VL_OK;
        else
                rc = enricher_gazetteer_load(gz, path, err);
        if (rc == VL_OK && cf->user_aliases && *cf->user_aliases)
                rc = enricher_gazetteer_load(gz, cf->user_aliases, err);
        if (rc != VL_OK) {
                enricher_gazetteer_destroy(gz);
                return rc;
        }
        VL_INFO("enricher", "gazetteer: %zu entities, %zu aliases", gz->nent,
                gz->nal);
        *out = gz;
        return VL_OK;
}

/* ---- near-duplicates: the fingerprint topic ------------------------------ */

static const char *member_str(const struct vl_jobj *o, const char *key,
                              struct vl_buf *buf, size_t *len);

/* One record of the fingerprint topic into the index (ours are there
 * already). */
static void feed_one(struct enricher_state *es, const rd_kafka_message_t *rkm)
{
        rd_kafka_headers_t *hdrs = NULL;
        const void *hv;
        size_t hn;
        char id[ENRICHER_DEDUP_ID_MAX + 1];
        uint32_t sig[ENRICHER_MINHASH_K];
        int64_t t;
        struct vl_err err = {0};

        if (rkm->err) {
                if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        VL_WARN("enricher", "%s: %s", es->cf->dedup_topic,
                                rd_kafka_message_errstr(rkm));
                return;
        }
        if (!rkm->payload) /* a tombstone */
                return;
        if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(hdrs, INSTANCE_HEADER, &hv, &hn) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR &&
            hn == strlen(es->instance) && memcmp(hv, es->instance, hn) == 0)
                return;
        if (enricher_dedup_parse(rkm->payload, rkm->len, &es->fobj, &es->fbuf,
                                 id, sig, &t, &err) != VL_OK) {
                if (es->fp_bad)
                        atomic_fetch_add(es->fp_bad, 1);
                VL_DEBUG("enricher", "%s [%d] @%lld: %s", es->cf->dedup_topic,
                         (int)rkm->partition, (long long)rkm->offset, err.msg);
                return;
        }
        enricher_dedup_add(es->dd, id, sig, t);
        if (es->fp_read)
                atomic_fetch_add(es->fp_read, 1);
}

/* The feeder thread: the topic's records into the index as they come, so
 * that an idle instance is up to date when its next article comes. */
static void *feeder(void *arg)
{
        struct enricher_state *es = arg;

        while (!atomic_load(&es->stop)) {
                rd_kafka_message_t *rkm =
                        rd_kafka_consumer_poll(es->feed, 200);

                if (!rkm)
                        continue;
                pthread_mutex_lock(&es->lock);
                feed_one(es, rkm);
                if (es->dd_size)
                        atomic_store(es->dd_size, enricher_dedup_size(es->dd));
                pthread_mutex_unlock(&es->lock);
                rd_kafka_message_destroy(rkm);
        }
        return NULL;
}

/* The reader of the fingerprint topic: every partition assigned (no group),
 * from the first record of the window, read up to the current end before
 * the first article. */
static enum vl_rc feed_start(struct enricher_state *es, struct vl_err *err)
{
        static const char *const forced[] = {
                /* assign() wants a group, which is never joined: no
                 * subscribe, no commit, the offsets are ours */
                "group.id", "veille-enricher-fingerprints",
                "enable.auto.commit", "false",
                "enable.auto.offset.store", "false",
                "auto.offset.reset", "earliest",
                "enable.partition.eof", "false",
                "queued.max.messages.kbytes", "16384",
                NULL};
        const char *topic = es->cf->dedup_topic;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_topic_t *rkt;
        int64_t until, t0 = vl_time_now_ms();
        int np = 0;

        es->feed = vl_consumer_new(es->sc->conf, rd_kafka_conf_new(), forced,
                                   err);
        if (!es->feed)
                return err->rc;
        rkt = rd_kafka_topic_new(es->feed, topic, NULL);
        until = vl_time_mono_ms() + 10000;
        do { /* the topic's partitions (the broker may still be starting) */
                kerr = rd_kafka_metadata(es->feed, 0, rkt, &md, 2000);
                if (!kerr && md->topic_cnt == 1 && !md->topics[0].err)
                        np = md->topics[0].partition_cnt;
                if (md)
                        rd_kafka_metadata_destroy(md);
                md = NULL;
        } while (np == 0 && vl_time_mono_ms() < until);
        rd_kafka_topic_destroy(rkt);
        if (np == 0)
                return vl_err_set(err, VL_FATAL,
                                  "enricher.dedup.topic %s: no such topic "
                                  "(create it, or set it empty to link only "
                                  "this instance's articles)", topic);
        parts = rd_kafka_topic_partition_list_new(np);
        for (int i = 0; i < np; i++)
                rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
                        t0 - es->cf->dedup_window_s * 1000;
        /* from the first record of the window; where the broker has no
         * answer (the mock cluster has none), from the beginning: the
         * topic's retention bounds what is read, the ring what is kept */
        kerr = rd_kafka_offsets_for_times(es->feed, parts, 10000);
        for (int i = 0; i < np; i++)
                if (kerr || parts->elems[i].err || parts->elems[i].offset < 0)
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        kerr = rd_kafka_assign(es->feed, parts);
        if (kerr) {
                rd_kafka_topic_partition_list_destroy(parts);
                return vl_err_set(err, VL_FATAL, "%s: assign: %s", topic,
                                  rd_kafka_err2str(kerr));
        }
        /* catch up: until every partition's position reaches the end it
         * had now */
        {
                int64_t *end = vl_xcalloc((size_t)np, sizeof(*end));
                int done = 0;

                for (int i = 0; i < np; i++) {
                        int64_t lo = 0, hi = 0;

                        if (rd_kafka_query_watermark_offsets(
                                    es->feed, topic, i, &lo, &hi, 5000) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR)
                                end[i] = hi;
                }
                until = vl_time_mono_ms() + es->cf->dedup_load_ms;
                while (!done && vl_time_mono_ms() < until) {
                        rd_kafka_message_t *rkm =
                                rd_kafka_consumer_poll(es->feed, 100);

                        if (rkm) {
                                feed_one(es, rkm);
                                rd_kafka_message_destroy(rkm);
                        }
                        rd_kafka_position(es->feed, parts);
                        done = 1;
                        for (int i = 0; i < np; i++)
                                if (end[i] > 0 &&
                                    parts->elems[i].offset < end[i])
                                        done = 0;
                }
                free(end);
                if (!done)
                        VL_WARN("enricher", "%s: not read to its end in %lld "
                                "ms; going on", topic,
                                (long long)es->cf->dedup_load_ms);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        if (pthread_create(&es->feeder, NULL, feeder, es) != 0)
                return vl_err_set(err, VL_FATAL, "cannot start a thread");
        es->feeding = true;
        VL_INFO("enricher", "%s: %d partition(s), %zu fingerprint(s) of the "
                "last %lld s in %lld ms", topic, np,
                enricher_dedup_size(es->dd), (long long)es->cf->dedup_window_s,
                (long long)(vl_time_now_ms() - t0));
        return VL_OK;
}

static enum vl_rc dedup_init(struct enricher_state *es, struct vl_metrics *m,
                             struct vl_err *err)
{
        const struct enricher_conf *cf = es->cf;

        if (cf->dedup_max == 0) /* no near-duplicate detection */
                return VL_OK;
        if (cf->dedup_max < 0 || !(cf->dedup_similarity > 0) ||
            cf->dedup_similarity > 1 || cf->dedup_window_s < 0)
                return vl_err_set(err, VL_REJECT,
                                  "enricher.dedup.max must be >= 0, "
                                  "enricher.dedup.similarity in (0, 1] and "
                                  "enricher.dedup.window.s >= 0");
        pthread_mutex_init(&es->lock, NULL);
        es->dd = enricher_dedup_new(
                (size_t)cf->dedup_max, cf->dedup_window_s,
                (int)(cf->dedup_similarity * ENRICHER_MINHASH_K + 0.999));
        {
                char host[40] = "";
                struct timespec ts;

                gethostname(host, sizeof(host) - 1);
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(es->instance, sizeof(es->instance), "%s/%d/%lx",
                         host, (int)getpid(),
                         (unsigned long)ts.tv_nsec ^
                                 (unsigned long)ts.tv_sec);
        }
        if (m) {
                es->dups = vl_metrics_counter(
                        m, "veille_enricher_duplicates_total", NULL,
                        "articles found to repeat an earlier one "
                        "(duplicate_of set)");
                es->fp_read = vl_metrics_counter(
                        m, "veille_enricher_fingerprints_read_total", NULL,
                        "other instances' fingerprints read from the "
                        "fingerprint topic");
                es->fp_bad = vl_metrics_counter(
                        m, "veille_enricher_fingerprints_invalid_total", NULL,
                        "records of the fingerprint topic that were not "
                        "fingerprints (skipped)");
                es->dd_size = vl_metrics_gauge(
                        m, "veille_enricher_fingerprints",
                        "fingerprints in the near-duplicate index");
        }
        /* one-shot mode and the tools: no broker, this process's articles */
        if (!es->sc || es->sc->file || !es->sc->conf || !cf->dedup_topic ||
            !*cf->dedup_topic)
                return VL_OK;
        return feed_start(es, err);
}

/* The article's time in the index: published, else fetched, else now. */
static int64_t article_time(const struct vl_jobj *o, struct vl_buf *buf)
{
        static const char *const keys[] = {"published_at", "fetched_at"};
        size_t len;

        for (size_t i = 0; i < 2; i++) {
                const char *s = member_str(o, keys[i], buf, &len);
                struct vl_date dt;

                if (s && vl_date_parse(s, 0, &dt, NULL) == VL_OK)
                        return vl_date_epoch(&dt);
        }
        return vl_time_now_ms() / 1000;
}

/* Link the article to the original it repeats, and index it. */
static void dedup_article(struct enricher_state *es, const struct vl_jobj *o,
                          const char *id, size_t idlen)
{
        es->dup_of[0] = '\0';
        es->dup_index = false;
        if (!es->dd || idlen > ENRICHER_DEDUP_ID_MAX ||
            es->tg->text.n < (size_t)es->cf->dedup_min_words)
                return;
        es->dup_t = article_time(o, &es->sbuf);
        pthread_mutex_lock(&es->lock);
        if (enricher_dedup_find(es->dd, id, es->minhash, es->dup_t,
                                es->dup_of) &&
            es->dups)
                atomic_fetch_add(es->dups, 1);
        enricher_dedup_add(es->dd, id, es->minhash, es->dup_t);
        if (es->dd_size)
                atomic_store(es->dd_size, enricher_dedup_size(es->dd));
        pthread_mutex_unlock(&es->lock);
        es->dup_index = true;
}

/* ---- stage callbacks ---------------------------------------------------- */

enum vl_rc enricher_init(void **state, const struct vl_stage_conf *sc,
                         void *conf, struct vl_metrics *m, struct vl_err *err)
{
        struct enricher_state *es = vl_xcalloc(1, sizeof(*es));
        enum vl_rc rc;

        es->cf = conf;
        es->sc = sc;
        rc = load_tables(es->cf, &es->gz, err);
        if (rc != VL_OK) {
                free(es);
                return rc;
        }
        rc = load_model(es->cf, &es->model, err);
        if (rc != VL_OK) {
                enricher_gazetteer_destroy(es->gz);
                free(es);
                return rc;
        }
        es->tg = enricher_tag_new(es->gz);
        enricher_tag_set_model(es->tg, es->model);
        rc = dedup_init(es, m, err);
        if (rc != VL_OK) {
                enricher_destroy(es);
                return rc;
        }
        if (m) {
                es->entities = vl_metrics_counter(
                        m, "veille_enricher_entities_total", NULL,
                        "distinct entities found in articles");
                es->mentions = vl_metrics_counter(
                        m, "veille_enricher_mentions_total", NULL,
                        "entity mentions found in articles");
                es->detected = vl_metrics_counter(
                        m, "veille_enricher_lang_detected_total", NULL,
                        "articles without a language whose language the "
                        "enricher guessed");
        }
        *state = es;
        return VL_OK;
}

enum vl_rc enricher_reload(void *state, struct vl_err *err)
{
        struct enricher_state *es = state;
        struct enricher_gazetteer *gz;
        struct enricher_model *model = NULL;
        enum vl_rc rc = load_tables(es->cf, &gz, err);

        if (rc == VL_OK) {
                rc = load_model(es->cf, &model, err);
                if (rc != VL_OK)
                        enricher_gazetteer_destroy(gz);
        }
        if (rc != VL_OK) {
                VL_WARN("enricher", "reload failed, keeping the old tables: %s",
                        err->msg);
                return VL_OK;
        }
        enricher_tag_destroy(es->tg);
        enricher_gazetteer_destroy(es->gz);
        enricher_model_destroy(es->model);
        es->gz = gz;
        es->model = model;
        es->tg = enricher_tag_new(gz);
        enricher_tag_set_model(es->tg, model);
        return VL_OK;
}

void enricher_destroy(void *state)
{
        struct enricher_state *es = state;

        if (!es)
                return;
        enricher_tag_destroy(es->tg);
        enricher_gazetteer_destroy(es->gz);
        enricher_model_destroy(es->model);
        if (es->feeding) {
                atomic_store(&es->stop, 1);
                pthread_join(es->feeder, NULL);
        }
        if (es->feed) {
                rd_kafka_consumer_close(es->feed);
                rd_kafka_destroy(es->feed);
        }
        if (es->dd)
                pthread_mutex_destroy(&es->lock);
        enricher_dedup_destroy(es->dd);
        vl_jobj_release(&es->jobj);
        vl_jobj_release(&es->fobj);
        vl_buf_release(&es->fbuf);
        vl_buf_release(&es->textbuf);
        vl_buf_release(&es->titlebuf);
        vl_buf_release(&es->idbuf);
        vl_buf_release(&es->sbuf);
        vl_buf_release(&es->outbuf);
        free(es->chain);
        free(es);
}

/* ---- the enriched event ------------------------------------------------- */

static void put(struct vl_buf *b, const char *s)
{
        vl_buf_append(b, s, strlen(s), NULL);
}

static void put_uint(struct vl_buf *b, uint64_t v)
{
        char d[24];
        size_t i = sizeof(d);

        do {
                d[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        vl_buf_append(b, d + i, sizeof(d) - i, NULL);
}

/* A salience (rounded to 3 decimals by tag.c) as a JSON real: "0.25",
 * "1.0". */
static void put_salience(struct vl_buf *b, double s)
{
        long m = (long)(s * 1000.0 + 0.5);
        char d[8];
        int n = 3;

        if (m <= 0) {
                put(b, "0.0");
                return;
        }
        if (m >= 1000) {
                put(b, "1.0");
                return;
        }
        put(b, "0.");
        d[0] = (char)('0' + m / 100);
        d[1] = (char)('0' + m / 10 % 10);
        d[2] = (char)('0' + m % 10);
        while (n > 1 && d[n - 1] == '0')
                n--;
        vl_buf_append(b, d, (size_t)n, NULL);
}

/* The "entities" array of tg's results: each group with its mentions (in
 * text order). */
static void put_entities(struct enricher_state *es, struct vl_buf *b,
                         const char *title, const char *text)
{
        const struct enricher_tag *tg = es->tg;
        uint32_t *first, *next;

        put(b, "[");
        if (!tg->ng) {
                put(b, "]");
                return;
        }
        /* mentions chained per group, in order */
        if (es->capchain < tg->ng + tg->nm) {
                es->capchain = (tg->ng + tg->nm) * 2;
                es->chain = vl_xrealloc(es->chain,
                                        es->capchain * sizeof(*es->chain));
        }
        first = es->chain;
        next = es->chain + tg->ng;
        for (size_t k = 0; k < tg->ng; k++)
                first[k] = ENRICHER_NONE;
        for (size_t k = tg->nm; k-- > 0;) {
                next[k] = first[tg->m[k].group];
                first[tg->m[k].group] = (uint32_t)k;
        }
        for (size_t k = 0; k < tg->ng; k++) {
                const struct enricher_group *g = &tg->g[k];
                const char *qid = g->entity >= 0 ? tg->gz->ent[g->entity].qid
                                                 : "";
                size_t nl;
                const char *name = enricher_tag_group_name(tg, g, &nl);

                put(b, k ? ",{\"type\":\"" : "{\"type\":\"");
                put(b, enricher_type_name(g->type));
                put(b, "\",\"name\":");
                vl_json_put_string(b, name, nl);
                put(b, ",\"qid\":");
                if (*qid)
                        vl_json_put_string(b, qid, strlen(qid));
                else
                        put(b, "null");
                put(b, ",\"salience\":");
                put_salience(b, g->salience);
                put(b, ",\"count\":");
                put_uint(b, g->count);
                put(b, ",\"mentions\":[");
                for (uint32_t i = first[k]; i != ENRICHER_NONE; i = next[i]) {
                        const struct enricher_mention *m = &tg->m[i];
                        const char *src =
                                m->where == ENRICHER_IN_TITLE ? title : text;

                        put(b, i == first[k] ? "{\"start\":" : ",{\"start\":");
                        put_uint(b, m->start);
                        put(b, ",\"end\":");
                        put_uint(b, m->end);
                        put(b, ",\"text\":");
                        vl_json_put_string(b, src + m->bstart,
                                           m->bend - m->bstart);
                        put(b, m->where == ENRICHER_IN_TITLE
                                       ? ",\"in\":\"title\"}"
                                       : ",\"in\":\"text\"}");
                }
                put(b, "]}");
        }
        put(b, "]");
}

/* Members of the article that the enriched event writes itself. */
static bool replaced(const struct vl_jmember *m, bool lang_too)
{
        static const char *const own[] = {"schema", "entities", "fingerprint",
                                          "duplicate_of", "enriched_at"};

        for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
                if (m->klen == strlen(own[i]) &&
                    memcmp(m->key, own[i], m->klen) == 0)
                        return true;
        return lang_too && ((m->klen == 4 && memcmp(m->key, "lang", 4) == 0) ||
                            (m->klen == 11 &&
                             memcmp(m->key, "lang_source", 11) == 0));
}

/* A string member decoded into @p buf (NUL-terminated), or NULL when the
 * member is missing or not a string. */
static const char *member_str(const struct vl_jobj *o, const char *key,
                              struct vl_buf *buf, size_t *len)
{
        const struct vl_jmember *m = vl_jobj_get(o, key);
        const char *s;

        if (!vl_jmember_is_string(m))
                return NULL;
        s = vl_jmember_string(m, buf, len);
        if (s != buf->data) { /* not escaped: copy, to NUL-terminate */
                vl_buf_reset(buf);
                vl_buf_append(buf, s, *len, NULL);
        }
        return buf->data;
}

enum vl_rc enricher_enrich_raw(void *state, const char *in, size_t n,
                               struct vl_buf *out, struct vl_err *err)
{
        struct enricher_state *es = state;
        struct vl_jobj *o = &es->jobj;
        const struct vl_jmember *jlang;
        const char *text, *title = NULL, *id, *schema, *lang = NULL;
        size_t len, tlen = 0, idlen, slen;
        char fp[17], now[32];

        if (vl_jscan_object(in, n, o, err) != VL_OK) {
                char why[sizeof(err->msg)];

                memcpy(why, err->msg, sizeof(why));
                return vl_err_set(err, VL_REJECT,
                                  "invalid article JSON: %.200s", why);
        }
        schema = member_str(o, "schema", &es->sbuf, &slen);
        if (vl_jobj_get(o, "schema") &&
            (!schema || strcmp(schema, ARTICLE_SCHEMA) != 0))
                return vl_err_set(err, VL_REJECT,
                                  "unexpected schema '%.64s' (want %s)",
                                  schema ? schema : "?", ARTICLE_SCHEMA);
        id = member_str(o, "id", &es->idbuf, &idlen);
        if (!id || !idlen)
                return vl_err_set(err, VL_REJECT, "article without an id");
        if (!vl_jmember_is_string(vl_jobj_get(o, "text")))
                return vl_err_set(err, VL_REJECT,
                                  "article '%.40s' without a text", id);
        text = vl_jmember_string(vl_jobj_get(o, "text"), &es->textbuf, &len);
        if (es->cf->max_text_bytes > 0 &&
            len > (size_t)es->cf->max_text_bytes)
                return vl_err_set(err, VL_REJECT,
                                  "article '%.40s' text too long (%zu bytes > "
                                  "%lld)", id, len,
                                  (long long)es->cf->max_text_bytes);
        if (len > UINT32_MAX / 2)
                return vl_err_set(err, VL_REJECT, "text too long (%zu bytes)",
                                  len);
        if (vl_jmember_is_string(vl_jobj_get(o, "title"))) {
                title = vl_jmember_string(vl_jobj_get(o, "title"),
                                          &es->titlebuf, &tlen);
                if (tlen > 65536)
                        tlen = 0; /* not a title: ignore rather than reject */
        }
        /* no language from the parser: guess it from the text */
        jlang = vl_jobj_get(o, "lang");
        if (!vl_jmember_is_string(jlang) || jlang->vlen <= 2) {
                /* vl_lang_detect() reads a NUL-terminated text */
                if (text != es->textbuf.data) {
                        vl_buf_reset(&es->textbuf);
                        vl_buf_append(&es->textbuf, text, len, NULL);
                        text = es->textbuf.data;
                }
                lang = vl_lang_detect(text, NULL);
                if (lang && es->detected)
                        atomic_fetch_add(es->detected, 1);
        }
        enricher_tag_article(es->tg, title, tlen, text, len);
        enricher_fingerprint(&es->tg->text, &es->simhash, es->minhash);
        snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)es->simhash);
        dedup_article(es, o, id, idlen);
        vl_time_rfc3339(now);

        vl_buf_reset(out);
        put(out, "{\"schema\":\"" ENRICHED_SCHEMA "\"");
        for (size_t i = 0; i < o->n; i++) {
                if (replaced(&o->m[i], lang != NULL))
                        continue;
                put(out, ",");
                vl_buf_append(out, o->m[i].raw, o->m[i].rawlen, NULL);
        }
        if (lang) {
                put(out, ",\"lang\":");
                vl_json_put_string(out, lang, strlen(lang));
                put(out, ",\"lang_source\":\"" LANG_SOURCE_DETECTED "\"");
        }
        put(out, ",\"entities\":");
        put_entities(es, out, title, text);
        put(out, ",\"fingerprint\":{\"simhash\":\"");
        put(out, fp);
        put(out, "\"},\"duplicate_of\":");
        if (es->dup_of[0])
                vl_json_put_string(out, es->dup_of, strlen(es->dup_of));
        else
                put(out, "null");
        put(out, ",\"enriched_at\":\"");
        put(out, now);
        put(out, "\"}");
        if (es->entities)
                atomic_fetch_add(es->entities, es->tg->ng);
        if (es->mentions)
                atomic_fetch_add(es->mentions, es->tg->nm);
        return VL_OK;
}

enum vl_rc enricher_enrich_json(void *state, json_t *article,
                                struct vl_err *err)
{
        struct enricher_state *es = state;
        struct vl_buf out;
        char *in;
        json_t *doc;
        enum vl_rc rc;

        if (!json_is_object(article))
                return vl_err_set(err, VL_REJECT,
                                  "article is not a JSON object");
        in = json_dumps(article, JSON_COMPACT);
        vl_buf_init(&out, 0);
        rc = enricher_enrich_raw(es, in, strlen(in), &out, err);
        free(in);
        if (rc == VL_OK) {
                doc = json_loadb(out.data, out.len, 0, NULL);
                json_object_clear(article);
                json_object_update(article, doc);
                json_decref(doc);
        }
        vl_buf_release(&out);
        return rc;
}

enum vl_rc enricher_process(void *state, const struct vl_in *in,
                            struct vl_out *out, struct vl_err *err)
{
        struct enricher_state *es = state;
        struct vl_rec *rec;
        enum vl_rc rc;

        rc = enricher_enrich_raw(es, in->value, in->len, &es->outbuf, err);
        if (rc != VL_OK)
                return rc;
        /* the record with its CloudEvents headers, then the event's bytes
         * as its value */
        rec = vl_out_json_take(out, es->sc->output_topic, es->idbuf.data,
                               ENRICHED_TYPE, json_object());
        free(rec->value);
        rec->value = vl_buf_take(&es->outbuf, &rec->len);
        /* the fingerprint, for the other instances (and our next start) */
        if (es->feed && es->dup_index) {
                char fp[512];
                int n = enricher_dedup_record(fp, sizeof(fp), es->idbuf.data,
                                              es->minhash, es->dup_t);

                rec = vl_out_json_take(out, es->cf->dedup_topic,
                                       es->idbuf.data, FINGERPRINT_TYPE,
                                       json_object());
                free(rec->value);
                rec->value = vl_xmemdup(fp, (size_t)n + 1);
                rec->len = (size_t)n;
                vl_rec_header(rec, INSTANCE_HEADER, es->instance);
        }
        return VL_OK;
}
