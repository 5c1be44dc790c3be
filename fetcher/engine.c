/* The fetcher's scheduler, on the main thread:
 *
 *   source due -> feed transfer -> parse -> for each new item link:
 *   page transfer -> page event (or, failing for good, a DLQ record)
 *   -> producer -> delivery report -> seen store
 *
 * A page is in e->pages (by article id) from the moment its item is taken
 * until its record is delivered or it is dropped, so that a feed polled
 * again meanwhile does not start it twice. It is marked seen only when
 * Kafka confirms its record: a crash in between fetches it again rather than
 * losing it (at-least-once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "veille/daemon.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/out.h"
#include "veille/url.h"
#include "fetcher.h"

#define TICK_MS 250
#define EXPIRE_EVERY_MS (3600 * 1000)
#define FEED_LOG_EVERY_MS (3600 * 1000)
#define RETRY_MAX_DELAY_MS (10 * 60 * 1000)
#define RETRY_AFTER_MAX_S 3600
#define FEED_REVALIDATE_EVERY 12 /* 304s in a row before a full read */
#define SITEMAP_CHILDREN_PER_POLL 20 /* sitemaps of an index fetched a poll */

struct engine_counters {
        atomic_ullong *feed_polls;
        atomic_ullong *feed_errors;
        atomic_ullong *feed_not_modified;
        atomic_ullong *feed_malformed;
        atomic_ullong *feed_items;
        atomic_ullong *items_new;
        atomic_ullong *pages_fetched;
        atomic_ullong *pages_published;
        atomic_ullong *bytes_fetched;
        atomic_ullong *errors_transient;
        atomic_ullong *errors_permanent;
        atomic_ullong *retries;
        atomic_ullong *dlq;
        atomic_ullong *delivery_errors;
        atomic_ullong *seen_errors;
        atomic_ullong *revalidations;
        atomic_ullong *stale_validators;
        atomic_ullong *states_saved;
        atomic_ullong *g_sources;
        atomic_ullong *g_transfers;
        atomic_ullong *g_pages;
};

struct fetcher_engine {
        const struct fetcher_conf *fc;
        struct fetcher_group *g;      /* topic mode; NULL: sources.file */
        const struct vl_stage_conf *sc;
        struct vl_metrics *m;
        struct engine_counters c;
        struct fetcher_http *http;
        struct vl_producer *p;        /* NULL: print on stdout */
        struct fetcher_seen *seen;    /* NULL: no store */
        struct fetcher_sources sources;
        struct fetcher_map pages;     /* article id -> page, until settled */
        struct fetcher_map settled;   /* without a seen store: ids done in
                                         this run (one-shot modes) */
        struct fetcher_page *waiting; /* pages waiting for a retry */
        struct vl_out out;
        struct fetcher_engine_stats stats;
        int producing;                /* records awaiting a delivery report */
        bool once;
        bool stopping;
        bool fatal;
        int64_t stop_deadline_ms;
        int64_t next_expire_ms;
        int64_t next_save_ms;         /* sources.file mode: the states */
        int states_loaded;            /* from the seen store, last change */
        int64_t seen_log_ms;
        uint64_t rng;
};

static char settled_mark; /* the value of e->settled's entries */
static char known_mark;   /* the value of a source's known ids */

/* Topic mode: remember that @p id is settled for @p src, for its state. */
static void know(struct fetcher_map *known, const char *id)
{
        if (known && known->n < FETCHER_KNOWN_MAX)
                fetcher_map_put(known, id, &known_mark);
}

static void inc(atomic_ullong *c, unsigned long long n)
{
        if (c)
                atomic_fetch_add(c, n);
}

static void gauge(atomic_ullong *c, unsigned long long v)
{
        if (c)
                atomic_store(c, v);
}

static uint64_t rnd(struct fetcher_engine *e)
{
        /* xorshift64: jitter only */
        e->rng ^= e->rng << 13;
        e->rng ^= e->rng >> 7;
        e->rng ^= e->rng << 17;
        return e->rng;
}

static void counters_init(struct engine_counters *c, struct vl_metrics *m)
{
        c->feed_polls = vl_metrics_counter(m,
                "veille_fetcher_feed_polls_total", NULL,
                "feed requests made");
        c->feed_errors = vl_metrics_counter(m,
                "veille_fetcher_feed_errors_total", NULL,
                "feed polls that failed (fetch or parse)");
        c->feed_not_modified = vl_metrics_counter(m,
                "veille_fetcher_feed_not_modified_total", NULL,
                "feed polls answered 304 Not Modified");
        c->feed_malformed = vl_metrics_counter(m,
                "veille_fetcher_feed_malformed_total", NULL,
                "feeds read only in part (malformed XML)");
        c->feed_items = vl_metrics_counter(m,
                "veille_fetcher_feed_items_total", NULL,
                "items read from feeds");
        c->items_new = vl_metrics_counter(m,
                "veille_fetcher_items_new_total", NULL,
                "items neither seen nor in flight, whose page was fetched");
        c->pages_fetched = vl_metrics_counter(m,
                "veille_fetcher_pages_fetched_total", NULL,
                "pages fetched with a 2xx response");
        c->pages_published = vl_metrics_counter(m,
                "veille_fetcher_pages_published_total", NULL,
                "page events delivered to Kafka");
        c->bytes_fetched = vl_metrics_counter(m,
                "veille_fetcher_bytes_fetched_total", NULL,
                "decompressed page bytes fetched");
        c->errors_transient = vl_metrics_counter(m,
                "veille_fetcher_fetch_errors_total", "class=\"transient\"",
                "page fetches that failed");
        c->errors_permanent = vl_metrics_counter(m,
                "veille_fetcher_fetch_errors_total", "class=\"permanent\"",
                "page fetches that failed");
        c->retries = vl_metrics_counter(m,
                "veille_fetcher_fetch_retries_total", NULL,
                "page fetches retried after a transient failure");
        c->dlq = vl_metrics_counter(m, "veille_fetcher_dlq_total", NULL,
                "pages sent to the dead-letter topic");
        c->delivery_errors = vl_metrics_counter(m,
                "veille_fetcher_delivery_errors_total", NULL,
                "records Kafka failed to deliver (fetched again later)");
        c->seen_errors = vl_metrics_counter(m,
                "veille_fetcher_seen_errors_total", NULL,
                "seen store errors");
        c->revalidations = vl_metrics_counter(m,
                "veille_fetcher_feed_revalidations_total", NULL,
                "feed polls made without validators after many 304s");
        c->stale_validators = vl_metrics_counter(m,
                "veille_fetcher_feed_stale_validators_total", NULL,
                "feeds caught answering 304 over new items");
        c->states_saved = vl_metrics_counter(m,
                "veille_fetcher_states_saved_total", NULL,
                "sources' polling states saved to the seen store "
                "(sources.file mode)");
        c->g_sources = vl_metrics_gauge(m, "veille_fetcher_sources",
                "sources configured");
        c->g_transfers = vl_metrics_gauge(m, "veille_fetcher_transfers",
                "HTTP transfers started or queued");
        c->g_pages = vl_metrics_gauge(m, "veille_fetcher_pages_in_flight",
                "pages taken from feeds and not yet delivered");
}

/* ---------------------------------------------------------------- pages */

static void drop_page(struct fetcher_engine *e, struct fetcher_page *pg)
{
        if (fetcher_map_get(&e->pages, pg->id) == pg)
                fetcher_map_del(&e->pages, pg->id);
        fetcher_page_destroy(pg);
}

/* A page given up before its record was delivered (a stop, a site that
 * moves to another fetcher): not seen, and its feed's validators are
 * forgotten, so that the next full read of the feed (here, or by the
 * site's next owner, from the state) takes it again rather than a 304
 * hiding it. */
static void abandon_page(struct fetcher_engine *e, struct fetcher_page *pg)
{
        if (pg->src) {
                fetcher_source_forget_validators(pg->src);
                pg->src->dirty = true;
        }
        drop_page(e, pg);
}

static void drop_waiting(struct fetcher_engine *e)
{
        struct fetcher_page *pg = e->waiting;

        e->waiting = NULL;
        while (pg) {
                struct fetcher_page *next = pg->next;

                abandon_page(e, pg);
                pg = next;
        }
}

static void start_page(struct fetcher_engine *e, struct fetcher_page *pg)
{
        struct fetcher_xfer *x = fetcher_xfer_new(FETCHER_XFER_PAGE, pg->url,
                                                  pg);

        pg->state = FETCHER_PAGE_FETCHING;
        pg->attempts++;
        pg->next = NULL;
        fetcher_http_submit(e->http, x);
}

static void publish_dlq(struct fetcher_engine *e, struct fetcher_page *pg,
                        const struct vl_err *err, long status);

/* Hand the record in e->out, derived from @p pg, to Kafka (or print it). */
static void emit(struct fetcher_engine *e, struct fetcher_page *pg)
{
        struct vl_err err;
        enum vl_rc rc;

        if (e->out.n != 1) {
                VL_ERROR("fetcher", "cannot build the record of '%s'",
                         pg->url);
                drop_page(e, pg);
                goto out;
        }
        if (!e->p) {
                vl_out_print(&e->out, stdout, isatty(STDOUT_FILENO));
                fflush(stdout);
                fetcher_map_put(&e->settled, pg->id, &settled_mark);
                if (pg->dlq)
                        e->stats.pages_failed++;
                else
                        e->stats.pages_ok++;
                drop_page(e, pg);
                goto out;
        }
        pg->state = FETCHER_PAGE_PRODUCING;
        e->producing++;
        rc = vl_producer_send(e->p, &e->out.recs[0], pg, &err);
        vl_out_clear(&e->out);
        if (rc == VL_OK)
                return;
        e->producing--;
        if (rc == VL_REJECT && !pg->dlq) {
                /* this record will never go (too large for the broker, say):
                 * dead-letter the page rather than fetch it forever */
                publish_dlq(e, pg, &err, pg->status);
                return;
        }
        if (rc == VL_FATAL) {
                VL_ERROR("kafka", "cannot produce '%s': %s", pg->url, err.msg);
                e->fatal = true;
        } else {
                VL_WARN("kafka", "cannot produce '%s': %s", pg->url, err.msg);
        }
        abandon_page(e, pg); /* the next full read takes it again */
        return;
out:
        vl_out_clear(&e->out);
}

static void publish_page(struct fetcher_engine *e, struct fetcher_page *pg,
                         const struct fetcher_xfer *x)
{
        char ts[32];
        json_t *ev;

        vl_time_rfc3339(ts);
        ev = fetcher_page_event(pg, x, ts);
        vl_out_clear(&e->out);
        vl_out_set_id_base(&e->out, "fetcher-%s-%lld", pg->id,
                           (long long)vl_time_now_ms());
        vl_out_json_take(&e->out, e->sc->output_topic, pg->id,
                         "org.veille.page.v1", ev);
        pg->dlq = false;
        emit(e, pg);
}

static void publish_dlq(struct fetcher_engine *e, struct fetcher_page *pg,
                        const struct vl_err *err, long status)
{
        inc(e->c.dlq, 1);
        if (!e->p) {
                VL_WARN("fetcher", "%s", err->msg);
                fetcher_map_put(&e->settled, pg->id, &settled_mark);
                e->stats.pages_failed++;
                drop_page(e, pg);
                return;
        }
        VL_INFO("fetcher", "dead-lettering: %s", err->msg);
        vl_out_clear(&e->out);
        vl_out_set_id_base(&e->out, "fetcher-%s-%lld", pg->id,
                           (long long)vl_time_now_ms());
        vl_out_dlq_take(&e->out, e->sc->dlq_topic, "fetcher", err, pg->id,
                        fetcher_page_dlq_input(pg, status));
        pg->dlq = true;
        emit(e, pg);
}

static void schedule_retry(struct fetcher_engine *e, struct fetcher_page *pg,
                           const struct fetcher_xfer *x,
                           const struct vl_err *err)
{
        int64_t delay = e->fc->retry_backoff_ms;
        int i;

        for (i = 1; i < pg->attempts && delay < RETRY_MAX_DELAY_MS; i++)
                delay *= 2;
        if (delay > RETRY_MAX_DELAY_MS)
                delay = RETRY_MAX_DELAY_MS;
        delay += (int64_t)(rnd(e) % (uint64_t)(delay / 4 + 1));
        if (x->retry_after_s >= 0) {
                int64_t ra = x->retry_after_s < RETRY_AFTER_MAX_S
                                     ? x->retry_after_s
                                     : RETRY_AFTER_MAX_S;

                if (ra * 1000 > delay)
                        delay = ra * 1000;
        }
        VL_DEBUG("fetcher", "retry %d of '%s' in %lld ms: %s", pg->attempts,
                 pg->url, (long long)delay, err->msg);
        inc(e->c.retries, 1);
        inc(e->m->retries, 1);
        pg->state = FETCHER_PAGE_WAITING;
        pg->due_ms = vl_time_mono_ms() + delay;
        pg->next = e->waiting;
        e->waiting = pg;
}

static void page_done(struct fetcher_engine *e, struct fetcher_xfer *x)
{
        struct fetcher_page *pg = x->priv;
        struct vl_err err;
        enum vl_rc rc;

        if (x->aborted) {
                abandon_page(e, pg); /* fetched again next time */
                return;
        }
        pg->status = x->status;
        rc = fetcher_xfer_result(x, &err);
        if (rc == VL_OK && x->status / 100 != 2)
                rc = vl_err_set(&err, VL_REJECT,
                                "cannot fetch '%s': unexpected HTTP %ld",
                                pg->url, x->status);
        if (rc == VL_OK) {
                inc(e->c.pages_fetched, 1);
                inc(e->c.bytes_fetched, x->body.len);
                VL_DEBUG("fetcher", "fetched '%s': HTTP %ld, %zu bytes, "
                         "%lld ms", pg->url, x->status, x->body.len,
                         (long long)x->elapsed_ms);
                publish_page(e, pg, x);
                return;
        }
        inc(rc == VL_RETRY ? e->c.errors_transient : e->c.errors_permanent,
            1);
        if (rc == VL_RETRY) {
                struct vl_err gave_up;

                if (e->stopping) {
                        abandon_page(e, pg);
                        return;
                }
                if (pg->attempts <= e->fc->retries) {
                        schedule_retry(e, pg, x, &err);
                        return;
                }
                vl_err_set(&gave_up, VL_RETRY, "%s (gave up after %d attempts)",
                           err.msg, pg->attempts);
                err = gave_up;
        }
        publish_dlq(e, pg, &err, x->status);
}

static void start_due_retries(struct fetcher_engine *e, int64_t now)
{
        struct fetcher_page **pp = &e->waiting;

        while (*pp) {
                struct fetcher_page *pg = *pp;

                if (pg->due_ms > now) {
                        pp = &pg->next;
                        continue;
                }
                *pp = pg->next;
                start_page(e, pg);
        }
}

void fetcher_engine_on_delivery(void *ctx, void *opaque,
                                rd_kafka_resp_err_t kerr,
                                const rd_kafka_message_t *rkm)
{
        struct fetcher_engine *e = ctx;
        struct fetcher_page *pg = opaque;
        struct vl_err err;

        (void)rkm;
        if (e->g && opaque == (void *)e->g) {
                fetcher_group_delivered(e->g, kerr);
                return;
        }
        if (!pg)
                return;
        e->producing--;
        if (kerr) {
                inc(e->c.delivery_errors, 1);
                inc(e->m->errors, 1);
                VL_WARN("kafka", "cannot deliver the record of '%s': %s",
                        pg->url, rd_kafka_err2str(kerr));
                abandon_page(e, pg);
                return;
        }
        if (e->seen && fetcher_seen_mark(e->seen, pg->id, pg->canonical,
                                         vl_time_now_ms(), &err) != VL_OK) {
                inc(e->c.seen_errors, 1);
                VL_ERROR("seen", "%s", err.msg);
        }
        if (e->g && pg->src && !pg->src->removed) {
                know(&pg->src->known, pg->id);
                pg->src->dirty = true;
        }
        inc(e->m->produced, 1);
        if (pg->dlq) {
                e->stats.pages_failed++;
                inc(e->m->rejected, 1);
        } else {
                e->stats.pages_ok++;
                inc(e->c.pages_published, 1);
                vl_metrics_observe_latency(
                        e->m, (vl_time_mono_ms() - pg->first_ms) * 1000);
        }
        drop_page(e, pg);
}

/* ---------------------------------------------------------------- feeds */

int64_t fetcher_poll_delay_ms(int64_t base_ms, int64_t *cur_ms, int fresh,
                              int64_t hint_s, int failures)
{
        int64_t lo = base_ms / 4 > 1000 ? base_ms / 4
                                        : (base_ms < 1000 ? base_ms : 1000);
        int64_t hi = base_ms * 4;
        int64_t cur = *cur_ms > 0 ? *cur_ms : base_ms;
        int64_t ms;
        int k;

        if (fresh > 0)
                cur /= 2;
        else if (fresh == 0)
                cur += cur / 2;
        if (cur < lo)
                cur = lo;
        if (cur > hi)
                cur = hi;
        if (hint_s > 0 && hint_s * 1000 > cur)
                cur = hint_s * 1000 < hi ? hint_s * 1000 : hi;
        *cur_ms = cur;
        ms = cur;
        for (k = 1; k < failures && ms < FETCHER_POLL_MAX_BACKOFF_MS; k++)
                ms *= 2;
        if (ms > FETCHER_POLL_MAX_BACKOFF_MS && ms > cur)
                ms = cur > FETCHER_POLL_MAX_BACKOFF_MS
                             ? cur
                             : FETCHER_POLL_MAX_BACKOFF_MS;
        return ms;
}

bool fetcher_validators_stale(const char *old_etag, const char *old_lm,
                              const char *new_etag, const char *new_lm,
                              int fresh)
{
        if (fresh <= 0)
                return false;
        if (old_etag || new_etag)
                return old_etag && new_etag && !strcmp(old_etag, new_etag);
        return old_lm && new_lm && !strcmp(old_lm, new_lm);
}

/* Then +-10 % of jitter, so that sources started together drift apart. */
static int64_t interval_ms(struct fetcher_engine *e,
                           struct fetcher_source *src, int fresh,
                           int64_t hint_s)
{
        int64_t base = (src->interval_s ? src->interval_s
                                        : e->fc->poll_interval_s) * 1000;
        int64_t ms = fetcher_poll_delay_ms(base, &src->cur_interval_ms, fresh,
                                           hint_s, src->failures);

        return ms - ms / 10 + (int64_t)(rnd(e) % (uint64_t)(ms / 5 + 1));
}

/* Topic mode: a poll that changes nothing but the time of the next one
 * leaves the state clean: a new owner only polls such a source a little
 * early. sources.file mode saves every next poll (to the seen store: no
 * network), so that a restart polls no source before its time. */
static void schedule(struct fetcher_engine *e, struct fetcher_source *src,
                     int fresh, int64_t hint_s)
{
        int64_t cur = src->cur_interval_ms;

        src->next_poll_ms = vl_time_mono_ms() +
                            interval_ms(e, src, fresh, hint_s);
        if (src->cur_interval_ms != cur || src->failures || !e->g)
                src->dirty = true;
}

static void feed_failed(struct fetcher_engine *e, struct fetcher_source *src,
                        const struct vl_err *err)
{
        int64_t now = vl_time_mono_ms();

        e->stats.feeds_failed++;
        inc(e->c.feed_errors, 1);
        src->failures++;
        schedule(e, src, -1, 0);
        if (src->failures == 1 || now - src->last_log_ms >= FEED_LOG_EVERY_MS) {
                VL_WARN("feed", "%s (%d in a row)", err->msg, src->failures);
                src->last_log_ms = now;
        }
}

static void feed_ok(struct fetcher_engine *e, struct fetcher_source *src)
{
        e->stats.feeds_ok++;
        if (src->failures > 0) {
                VL_NOTICE("feed", "feed '%s' is back after %d failures",
                          src->url, src->failures);
                src->dirty = true;
        }
        src->failures = 0;
}

/* @returns 1 if a page was started, 0 if the item was skipped, -1 if the
 * seen store failed. In topic mode, the id of an item already settled goes
 * to @p known (may be NULL). */
static int take_item(struct fetcher_engine *e, struct fetcher_source *src,
                     const struct fetcher_feed *feed, struct fetcher_item *it,
                     struct fetcher_map *known)
{
        struct fetcher_page *pg;
        struct vl_err err;
        bool found = false;

        if (!it->link)
                return 0;
        pg = fetcher_page_new(it->link, &err);
        if (!pg) {
                VL_DEBUG("feed", "skipping an item of '%s': %s", src->url,
                         err.msg);
                return 0;
        }
        if (fetcher_map_get(&e->pages, pg->id)) {
                fetcher_page_destroy(pg);
                return 0;
        }
        /* a previous owner of the site settled it (topic mode) */
        if (fetcher_map_get(&e->settled, pg->id) ||
            fetcher_map_get(&src->known, pg->id)) {
                know(known, pg->id);
                fetcher_page_destroy(pg);
                return 0;
        }
        if (e->seen &&
            fetcher_seen_has(e->seen, pg->id, &found, &err) != VL_OK) {
                int64_t now = vl_time_mono_ms();

                inc(e->c.seen_errors, 1);
                if (now - e->seen_log_ms >= 60000) {
                        VL_ERROR("seen", "%s", err.msg);
                        e->seen_log_ms = now;
                }
                fetcher_page_destroy(pg);
                return -1;
        }
        if (found) {
                know(known, pg->id);
                fetcher_page_destroy(pg);
                return 0;
        }
        pg->src = fetcher_source_ref(src);
        src->pages++;
        pg->site = vl_xstrdup(src->site ? src->site : feed->title);
        pg->lang = vl_xstrdup(src->lang ? src->lang : feed->lang);
        pg->item = *it;
        memset(it, 0, sizeof(*it));
        pg->has_item = true;
        pg->first_ms = vl_time_mono_ms();
        fetcher_map_put(&e->pages, pg->id, pg);
        inc(e->c.items_new, 1);
        start_page(e, pg);
        return 1;
}

static int child_cmp(const void *a, const void *b)
{
        const struct fetcher_child *x = a, *y = b;

        /* newest first (ISO 8601 sorts as text); no lastmod last */
        if (!x->lastmod || !y->lastmod)
                return (!x->lastmod) - (!y->lastmod);
        return strcmp(y->lastmod, x->lastmod);
}

/* A sitemap index: fetch its sitemaps that are new or changed since the
 * last poll (by lastmod; one without lastmod, at every poll), newest first,
 * at most SITEMAP_CHILDREN_PER_POLL a poll (the rest come at the next
 * polls). */
static void poll_children(struct fetcher_engine *e, struct fetcher_source *src,
                          struct fetcher_feed *feed, int depth)
{
        int i, started = 0;

        qsort(feed->children, (size_t)feed->nchildren,
              sizeof(*feed->children), child_cmp);
        for (i = 0; i < feed->nchildren &&
                    started < SITEMAP_CHILDREN_PER_POLL;
             i++) {
                const struct fetcher_child *ch = &feed->children[i];
                const char *seen = fetcher_map_get(&src->children, ch->url);
                struct fetcher_xfer *x;

                if (seen && ch->lastmod && !strcmp(seen, ch->lastmod))
                        continue;
                free(fetcher_map_put(&src->children, ch->url,
                                     vl_xstrdup(ch->lastmod ? ch->lastmod
                                                            : "")));
                x = fetcher_xfer_new(FETCHER_XFER_FEED, ch->url,
                                     fetcher_source_ref(src));
                x->child = depth;
                src->children_in_flight++;
                started++;
                inc(e->c.feed_polls, 1);
                fetcher_http_submit(e->http, x);
        }
        if (started)
                VL_INFO("feed", "'%s': %d sitemaps or feeds, fetching %d",
                        src->url, feed->nchildren, started);
}

/* One sitemap of an index: its items, as if from the index's source. */
static void child_done(struct fetcher_engine *e, struct fetcher_xfer *x)
{
        struct fetcher_source *src = x->priv;
        struct fetcher_feed feed;
        struct vl_err err, perr;
        enum vl_rc rc;
        int i, fresh = 0;

        src->children_in_flight--;
        if (x->aborted || src->removed) {
                free(fetcher_map_del(&src->children, x->url));
                goto out;
        }
        rc = fetcher_xfer_result(x, &err);
        if (rc == VL_OK)
                rc = fetcher_feed_parse(&feed, x->body.data ? x->body.data
                                                            : "",
                                        x->body.len,
                                        x->final_url ? x->final_url : x->url,
                                        src->type == FETCHER_FEED_SITE
                                                ? FETCHER_FEED_AUTO
                                                : FETCHER_FEED_SITEMAP,
                                        &perr);
        else
                perr = err;
        if (rc != VL_OK) {
                inc(e->c.feed_errors, 1);
                VL_WARN("feed", "sitemap '%s' of '%s': %s", x->url, src->url,
                        perr.msg);
                /* fetched again at the next poll */
                free(fetcher_map_del(&src->children, x->url));
                goto out;
        }
        if (feed.nchildren && x->child < 2 && !e->stopping)
                poll_children(e, src, &feed, x->child + 1);
        else if (feed.nchildren)
                VL_WARN("feed", "sitemap '%s' of '%s' is an index two levels "
                        "down: its %d sitemaps are not followed",
                        x->url, src->url, feed.nchildren);
        inc(e->c.feed_items, (unsigned long long)feed.n);
        for (i = 0; i < feed.n && !e->stopping; i++) {
                int r = take_item(e, src, &feed, &feed.items[i],
                                  e->g ? &src->known : NULL);

                if (r < 0)
                        free(fetcher_map_del(&src->children, x->url));
                else
                        fresh += r;
        }
        VL_DEBUG("feed", "sitemap '%s': %d items, %d new", x->url, feed.n,
                 fresh);
        fetcher_feed_release(&feed);
out:
        fetcher_source_unref(src);
}

/* A site's home page: poll the feeds it announces and the sitemaps of its
 * robots.txt, as children of the source. */
static void site_done(struct fetcher_engine *e, struct fetcher_source *src,
                      struct fetcher_xfer *x)
{
        const char *page = x->final_url ? x->final_url : src->url;
        struct fetcher_discovered *found = NULL;
        struct fetcher_feed kids;
        char **sm = NULL;
        int n, nsm, i;
        struct vl_err err;

        memset(&kids, 0, sizeof(kids));
        n = fetcher_discover_feeds(x->body.data ? x->body.data : "",
                                   x->body.len, page, &found);
        nsm = fetcher_http_sitemaps(e->http, page, &sm);
        kids.children = vl_xcalloc((size_t)(n + nsm) + 1,
                                   sizeof(*kids.children));
        for (i = 0; i < n; i++)
                kids.children[kids.nchildren++].url = vl_xstrdup(found[i].url);
        for (i = 0; i < nsm; i++) {
                char *u = vl_url_resolve(page, sm[i], NULL);

                if (u)
                        kids.children[kids.nchildren++].url = u;
        }
        fetcher_discovered_free(found, n);
        if (!kids.nchildren) {
                vl_err_set(&err, VL_REJECT, "site '%s' announces no feed "
                           "and its robots.txt no sitemap", src->url);
                feed_failed(e, src, &err);
        } else {
                VL_DEBUG("feed", "site '%s': %d feeds, %d sitemaps",
                         src->url, n, kids.nchildren - n);
                feed_ok(e, src);
                if (!e->stopping)
                        poll_children(e, src, &kids, 1);
        }
        fetcher_feed_release(&kids);
}

static void feed_done(struct fetcher_engine *e, struct fetcher_xfer *x)
{
        struct fetcher_source *src = x->priv;
        struct fetcher_map known;
        struct fetcher_feed feed;
        struct vl_err err, perr;
        bool store_failed = false;
        int fresh = 0;
        enum vl_rc rc;
        int i;

        src->in_flight = false;
        if (x->aborted)
                goto out;
        src->polls++;
        rc = fetcher_xfer_result(x, &err);
        if (rc != VL_OK) {
                feed_failed(e, src, &err);
                goto out;
        }
        if (x->status == 304) {
                inc(e->c.feed_not_modified, 1);
                VL_DEBUG("feed", "feed '%s' not modified", src->url);
                src->not_modified++;
                feed_ok(e, src);
                schedule(e, src, 0, x->max_age_s);
                goto out;
        }
        if (src->removed)
                goto out;
        if (src->type == FETCHER_FEED_SITE) {
                site_done(e, src, x);
                schedule(e, src, -2, x->max_age_s); /* no adaptation */
                goto out;
        }
        rc = fetcher_feed_parse(&feed, x->body.data ? x->body.data : "",
                                x->body.len,
                                x->final_url ? x->final_url : src->url,
                                src->type, &perr);
        if (rc != VL_OK) {
                vl_err_set(&err, rc, "cannot read feed '%s': %s", src->url,
                           perr.msg);
                feed_failed(e, src, &err);
                goto out;
        }
        if (feed.malformed) {
                inc(e->c.feed_malformed, 1);
                int64_t now = vl_time_mono_ms();

                if (src->failures == 0 &&
                    now - src->last_log_ms >= FEED_LOG_EVERY_MS) {
                        VL_WARN("feed", "feed '%s' is malformed (%s): kept "
                                "its first %d items",
                                src->url, feed.warning, feed.n);
                        src->last_log_ms = now;
                }
        }
        inc(e->c.feed_items, (unsigned long long)feed.n);
        /* topic mode: the known ids become those of this version of the
         * feed (plus, as they are delivered, those of its new items) */
        fetcher_map_init(&known);
        for (i = 0; i < feed.n && !e->stopping; i++) {
                int r = take_item(e, src, &feed, &feed.items[i],
                                  e->g ? &known : NULL);

                if (r < 0)
                        store_failed = true;
                else
                        fresh += r;
        }
        if (e->g && !store_failed && !e->stopping && !feed.nchildren) {
                fetcher_map_release(&src->known, NULL);
                src->known = known;
                fetcher_map_init(&known);
        }
        fetcher_map_release(&known, NULL);
        /* the same validator as the one the server answered 304 with, over
         * new items: its validators are stale, stop trusting them */
        if (!src->stale_validators &&
            fetcher_validators_stale(src->etag, src->last_modified, x->etag,
                                     x->last_modified, fresh)) {
                src->stale_validators = true;
                inc(e->c.stale_validators, 1);
                VL_WARN("feed", "feed '%s' brought %d new items under the "
                        "validator it answered 304 with: conditional GET is "
                        "off for it", src->url, fresh);
        }
        src->not_modified = 0;
        src->dirty = true;
        /* keep the validators only if every item was considered: a 304
         * must never hide an item we skipped */
        if (!store_failed && !e->stopping) {
                free(src->etag);
                free(src->last_modified);
                src->etag = x->etag ? vl_xstrdup(x->etag) : NULL;
                src->last_modified =
                        x->last_modified ? vl_xstrdup(x->last_modified) : NULL;
        }
        if (feed.nchildren && !e->stopping)
                poll_children(e, src, &feed, 1);
        if (fresh)
                VL_INFO("feed", "feed '%s': %d items, %d new", src->url,
                        feed.n, fresh);
        else
                VL_DEBUG("feed", "feed '%s': %d items, none new", src->url,
                         feed.n);
        feed_ok(e, src);
        schedule(e, src, fresh,
                 feed.ttl_s > x->max_age_s ? feed.ttl_s : x->max_age_s);
        fetcher_feed_release(&feed);
out:
        fetcher_source_unref(src);
}

static void poll_feed(struct fetcher_engine *e, struct fetcher_source *src)
{
        struct fetcher_xfer *x = fetcher_xfer_new(
                FETCHER_XFER_FEED, src->url, fetcher_source_ref(src));

        VL_DEBUG("feed", "polling '%s'", src->url);
        /* conditional GET, but a full read after FEED_REVALIDATE_EVERY
         * 304s in a row (a server whose validators never change must not
         * hide new items forever), and never for a site's home page or a
         * feed caught with stale validators */
        if (src->not_modified >= FEED_REVALIDATE_EVERY &&
            (src->etag || src->last_modified)) {
                inc(e->c.revalidations, 1);
                VL_DEBUG("feed", "feed '%s': full read after %d 304s",
                         src->url, src->not_modified);
        } else if (!src->stale_validators &&
                   src->type != FETCHER_FEED_SITE) {
                x->if_none_match = vl_xstrdup(src->etag);
                x->if_modified_since = vl_xstrdup(src->last_modified);
        }
        src->in_flight = true;
        inc(e->c.feed_polls, 1);
        fetcher_http_submit(e->http, x);
}

/* Feeds wait while too many pages are unsettled: memory stays bounded
 * however many new items the feeds bring (a feed brings at most
 * FETCHER_FEED_MAX_ITEMS above the limit). */
static bool source_idle(const struct fetcher_engine *e,
                        const struct fetcher_source *src)
{
        return !src->in_flight && src->children_in_flight == 0 &&
               !(e->once && src->polls > 0) &&
               (int64_t)e->pages.n < e->fc->max_pending;
}

static void poll_due_feeds(struct fetcher_engine *e, int64_t now)
{
        int i;

        for (i = 0; i < e->sources.n; i++) {
                struct fetcher_source *src = e->sources.v[i];

                if (source_idle(e, src) && src->next_poll_ms <= now)
                        poll_feed(e, src);
        }
}

static void on_xfer_done(void *ctx, struct fetcher_xfer *x)
{
        struct fetcher_engine *e = ctx;

        if (x->kind == FETCHER_XFER_FEED && x->child)
                child_done(e, x);
        else if (x->kind == FETCHER_XFER_FEED)
                feed_done(e, x);
        else
                page_done(e, x);
        fetcher_xfer_destroy(x);
}

/* ----------------------------------------------------------------- api */

struct fetcher_engine *fetcher_engine_new(const struct fetcher_conf *fc,
                                          const struct vl_stage_conf *sc,
                                          struct vl_metrics *m,
                                          struct vl_err *err)
{
        struct fetcher_engine *e = vl_xcalloc(1, sizeof(*e));
        struct fetcher_http_conf hc = {
                .user_agent = fc->user_agent,
                .connect_timeout_ms = fc->connect_timeout_ms,
                .timeout_ms = fc->timeout_ms,
                .max_body_bytes = fc->max_body_bytes,
                .max_concurrent = (int)fc->max_concurrent,
                .max_per_host = (int)fc->max_per_host,
                .allow_private = fc->allow_private,
                .robots = fc->robots,
                .host_delay_ms = fc->host_delay_ms,
                .max_crawl_delay_ms = fc->max_crawl_delay_s * 1000,
                .max_host_failures = (int)fc->host_max_failures,
                .host_pause_ms = fc->host_pause_ms,
                .polite_key = fc->politeness_key &&
                                              !strcmp(fc->politeness_key,
                                                      "domain")
                                      ? FETCHER_POLITE_DOMAIN
                                      : FETCHER_POLITE_HOST,
                .m = m,
        };

        e->fc = fc;
        e->sc = sc;
        e->m = m;
        e->rng = (uint64_t)vl_time_now_ms() ^ ((uint64_t)getpid() << 32) ^
                 0x9e3779b97f4a7c15ULL;
        fetcher_map_init(&e->pages);
        fetcher_map_init(&e->settled);
        vl_out_init(&e->out, "urn:veille:fetcher");
        counters_init(&e->c, m);
        e->http = fetcher_http_new(&hc, on_xfer_done, e, err);
        if (!e->http) {
                fetcher_engine_destroy(e);
                return NULL;
        }
        return e;
}

static void destroy_page_cb(void *val)
{
        fetcher_page_destroy(val);
}

void fetcher_engine_destroy(struct fetcher_engine *e)
{
        if (!e)
                return;
        fetcher_http_destroy(e->http); /* aborted pages are dropped */
        e->http = NULL;
        e->waiting = NULL; /* all of them are in e->pages */
        fetcher_map_release(&e->pages, destroy_page_cb);
        fetcher_map_release(&e->settled, NULL);
        fetcher_sources_release(&e->sources);
        vl_out_release(&e->out);
        free(e);
}

void fetcher_engine_set_producer(struct fetcher_engine *e,
                                 struct vl_producer *p)
{
        e->p = p;
}

void fetcher_engine_set_seen(struct fetcher_engine *e, struct fetcher_seen *s)
{
        e->seen = s;
}

static void swap_settings(struct fetcher_source *a, struct fetcher_source *b)
{
        struct fetcher_source t = *a;

        a->site = b->site;
        a->lang = b->lang;
        a->tags = b->tags;
        a->ntags = b->ntags;
        a->type = b->type;
        a->interval_s = b->interval_s;
        a->line = b->line;
        b->site = t.site;
        b->lang = t.lang;
        b->tags = t.tags;
        b->ntags = t.ntags;
        b->type = t.type;
        b->interval_s = t.interval_s;
        b->line = t.line;
}

/* sources.file mode: a new source starts from the state an earlier run
 * saved for its URL, if any (not its next poll with --once: it polls each
 * source once, now). */
static void load_state(struct fetcher_engine *e, struct fetcher_source *s)
{
        struct vl_err err;
        json_t *st = NULL;

        if (!e->seen)
                return;
        if (fetcher_seen_state_get(e->seen, s->url, &st, &err) != VL_OK) {
                inc(e->c.seen_errors, 1);
                VL_ERROR("seen", "%s", err.msg);
                return;
        }
        if (!st)
                return;
        fetcher_source_apply_state(s, st);
        json_decref(st);
        if (e->fc->once)
                s->next_poll_ms = 0;
        e->states_loaded++;
}

/* sources.file mode: save the changed states (one transaction); those of
 * sources no longer configured expire with the seen entries. */
static void save_states(struct fetcher_engine *e)
{
        struct vl_err err;
        int n = 0;

        if (!e->seen || e->g)
                return;
        if (fetcher_seen_state_save(e->seen, &e->sources, vl_time_now_ms(),
                                    &n, &err) != VL_OK) {
                inc(e->c.seen_errors, 1);
                VL_ERROR("seen", "%s", err.msg);
                return;
        }
        inc(e->c.states_saved, (unsigned long long)n);
}

void fetcher_engine_replace_sources(struct fetcher_engine *e,
                                    fetcher_source_match_fn *match,
                                    void *ctx, struct fetcher_sources *ss)
{
        struct fetcher_sources next = { 0 };
        struct fetcher_map old;
        int64_t now = vl_time_mono_ms();
        int i;

        fetcher_map_init(&old);
        for (i = 0; i < e->sources.n; i++) {
                struct fetcher_source *o = e->sources.v[i];

                if (!match || match(ctx, o))
                        fetcher_map_put(&old, o->url, o);
                else
                        fetcher_sources_add_take(&next, fetcher_source_ref(o));
        }
        for (i = 0; i < ss->n; i++) {
                struct fetcher_source *s = ss->v[i];
                struct fetcher_source *o = fetcher_map_del(&old, s->url);

                ss->v[i] = NULL;
                if (o) {
                        swap_settings(o, s);
                        fetcher_source_unref(s);
                        fetcher_sources_add_take(&next, fetcher_source_ref(o));
                } else {
                        if (!e->g)
                                load_state(e, s);
                        /* a state taken over from a previous owner (or
                         * saved by an earlier run) may have set the next
                         * poll already */
                        if (!s->next_poll_ms)
                                s->next_poll_ms = now;
                        fetcher_sources_add_take(&next, s);
                }
        }
        ss->n = 0;
        fetcher_sources_release(ss);
        for (i = 0; i < e->sources.n; i++)
                if (fetcher_map_get(&old, e->sources.v[i]->url) ==
                    e->sources.v[i])
                        e->sources.v[i]->removed = true;
        fetcher_map_release(&old, NULL);
        fetcher_sources_release(&e->sources);
        e->sources = next;
        gauge(e->c.g_sources, (unsigned long long)e->sources.n);
}

void fetcher_engine_set_sources(struct fetcher_engine *e,
                                struct fetcher_sources *ss)
{
        fetcher_engine_replace_sources(e, NULL, NULL, ss);
}

struct drop_ctx {
        fetcher_source_match_fn *match;
        void *ctx;
};

static bool xfer_of(void *ctx, const struct fetcher_xfer *x)
{
        struct drop_ctx *d = ctx;
        const struct fetcher_source *src = NULL;

        if (x->kind == FETCHER_XFER_FEED)
                src = x->priv;
        else if (x->kind == FETCHER_XFER_PAGE && x->priv)
                src = ((const struct fetcher_page *)x->priv)->src;
        return src && d->match(d->ctx, src);
}

void fetcher_engine_abort_sources(struct fetcher_engine *e,
                                  fetcher_source_match_fn *match, void *ctx)
{
        struct drop_ctx d = { match, ctx };
        struct fetcher_page **pp = &e->waiting;

        /* no request to their sites from here on: another instance may own
         * them in a moment (pages not delivered are not seen: the new
         * owner fetches them) */
        fetcher_http_abort_if(e->http, xfer_of, &d);
        while (*pp) {
                struct fetcher_page *pg = *pp;

                if (pg->src && match(ctx, pg->src)) {
                        *pp = pg->next;
                        abandon_page(e, pg);
                } else {
                        pp = &pg->next;
                }
        }
}

const struct fetcher_sources *
fetcher_engine_sources(const struct fetcher_engine *e)
{
        return &e->sources;
}

void fetcher_engine_set_group(struct fetcher_engine *e,
                              struct fetcher_group *g)
{
        e->g = g;
}

enum vl_rc fetcher_engine_add_url(struct fetcher_engine *e, const char *url,
                                  struct vl_err *err)
{
        struct fetcher_page *pg = fetcher_page_new(url, err);

        if (!pg)
                return err ? err->rc : VL_REJECT;
        if (fetcher_map_get(&e->pages, pg->id)) {
                fetcher_page_destroy(pg);
                return VL_OK;
        }
        pg->first_ms = vl_time_mono_ms();
        fetcher_map_put(&e->pages, pg->id, pg);
        start_page(e, pg);
        return VL_OK;
}

const struct fetcher_engine_stats *
fetcher_engine_stats(const struct fetcher_engine *e)
{
        return &e->stats;
}

/* ----------------------------------------------------------------- run */

static void reload(struct fetcher_engine *e)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;

        if (!e->fc->sources_file)
                return;
        if (fetcher_sources_load(&ss, e->fc->sources_file, &err) != VL_OK) {
                VL_ERROR("fetcher", "%s (keeping the %d sources in use)",
                         err.msg, e->sources.n);
                return;
        }
        save_states(e); /* those of the sources dropped, too */
        e->states_loaded = 0;
        fetcher_engine_set_sources(e, &ss);
        VL_NOTICE("fetcher", "reloaded '%s': %d sources (%d new ones with a "
                  "saved state)",
                  e->fc->sources_file, e->sources.n, e->states_loaded);
}

static void expire(struct fetcher_engine *e, int64_t now)
{
        int64_t cutoff = vl_time_now_ms() - e->fc->seen_ttl_days * 86400000LL;
        int64_t removed = 0;
        struct vl_err err;

        e->next_expire_ms = now + EXPIRE_EVERY_MS;
        if (fetcher_seen_expire(e->seen, cutoff, &removed, &err) != VL_OK) {
                inc(e->c.seen_errors, 1);
                VL_ERROR("seen", "%s", err.msg);
                return;
        }
        if (removed)
                VL_INFO("seen", "expired %lld entries older than %lld days",
                        (long long)removed, (long long)e->fc->seen_ttl_days);
}

static bool finished(const struct fetcher_engine *e)
{
        int i;

        for (i = 0; i < e->sources.n; i++)
                if (e->sources.v[i]->in_flight ||
                    e->sources.v[i]->children_in_flight ||
                    e->sources.v[i]->polls == 0)
                        return false;
        return e->pages.n == 0 && fetcher_http_active(e->http) == 0 &&
               fetcher_http_pending(e->http) == 0;
}

static int wait_ms(const struct fetcher_engine *e, int64_t now)
{
        int64_t w = TICK_MS;
        const struct fetcher_page *pg;
        int i;

        if (e->stopping)
                return TICK_MS / 5;
        for (i = 0; i < e->sources.n; i++) {
                const struct fetcher_source *src = e->sources.v[i];

                if (source_idle(e, src) && src->next_poll_ms - now < w)
                        w = src->next_poll_ms - now;
        }
        for (pg = e->waiting; pg; pg = pg->next)
                if (pg->due_ms - now < w)
                        w = pg->due_ms - now;
        return w < 0 ? 0 : (int)w;
}

static void begin_stop(struct fetcher_engine *e, int64_t now)
{
        int64_t grace = e->sc->drain_ms / 2;

        if (grace > e->fc->timeout_ms)
                grace = e->fc->timeout_ms;
        e->stopping = true;
        e->stop_deadline_ms = now + grace;
        VL_NOTICE("fetcher", "stopping: %d transfers in flight, %d records "
                  "to deliver",
                  fetcher_http_active(e->http), e->producing);
        vl_daemon_notify("STOPPING=1");
        fetcher_http_abort_pending(e->http);
        drop_waiting(e);
}

int fetcher_engine_run(struct fetcher_engine *e, bool once)
{
        struct vl_err err;
        int left;

        e->once = once;
        e->next_expire_ms = vl_time_mono_ms();
        e->next_save_ms = e->next_expire_ms + e->fc->state_interval_ms;
        if (e->seen && !e->g) {
                VL_NOTICE("fetcher", "%d of %d sources start from their "
                          "saved state", e->states_loaded, e->sources.n);
        }
        gauge(e->c.g_sources, (unsigned long long)e->sources.n);
        for (;;) {
                int64_t now = vl_time_mono_ms();
                bool idle;
                int w;

                if (!e->stopping && (vl_daemon_stopping() || e->fatal))
                        begin_stop(e, now);
                if (e->stopping) {
                        if (!fetcher_http_active(e->http) ||
                            now >= e->stop_deadline_ms)
                                break;
                } else {
                        if (vl_daemon_take_reload())
                                reload(e);
                        if (e->g)
                                fetcher_group_poll(e->g);
                        poll_due_feeds(e, now);
                        start_due_retries(e, now);
                        if (e->seen && now >= e->next_expire_ms)
                                expire(e, now);
                        if (now >= e->next_save_ms) {
                                e->next_save_ms =
                                        now + e->fc->state_interval_ms;
                                save_states(e);
                        }
                        if (once && finished(e))
                                break;
                }
                w = wait_ms(e, now);
                idle = !fetcher_http_active(e->http) &&
                       !fetcher_http_pending(e->http);
                /* nothing on the network: wait on the producer instead, so
                 * that delivery reports are served as they come */
                if (fetcher_http_run(e->http, idle && e->p ? 0 : w, &err) !=
                    VL_OK) {
                        VL_ERROR("fetcher", "%s", err.msg);
                        e->fatal = true;
                }
                if (e->p) {
                        vl_producer_poll(e->p, idle ? w : 0);
                        if (vl_producer_failed(e->p))
                                e->fatal = true;
                }
                vl_daemon_tick(e->m);
                gauge(e->c.g_transfers,
                      (unsigned long long)(fetcher_http_active(e->http) +
                                           fetcher_http_pending(e->http)));
                gauge(e->c.g_pages, (unsigned long long)e->pages.n);
        }
        fetcher_http_abort(e->http);
        drop_waiting(e);
        if (e->p) {
                left = vl_producer_flush(e->p, (int)e->sc->drain_ms);
                if (left > 0)
                        VL_WARN("kafka", "%d records undelivered after "
                                "drain.ms: their pages are not marked seen",
                                left);
        }
        save_states(e);
        return e->fatal ? VL_EXIT_FATAL : VL_EXIT_OK;
}
