/* veille-fetcher: poll RSS and Atom feeds, fetch the pages of new items and
 * publish them to veille.pages, each once (a seen store survives restarts).
 *
 *   veille-fetcher -c fetcher.conf              the daemon
 *   veille-fetcher --sources.file s.txt --once  poll every source once
 *   veille-fetcher --url URL                    print one page event
 *   veille-fetcher --feed URL                   print a feed's page events
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include "veille/conf.h"
#include "veille/daemon.h"
#include "veille/kafka.h"
#include "veille/log.h"
#include "veille/metrics.h"
#include "veille/stage.h"
#include "fetcher.h"

#define FETCHER_UA "veille/" VL_VERSION " (+https://github.com/veille/veille)"

static const struct vl_conf_key fetcher_keys[] = {
        { "sources.file", VL_CONF_STR,
          offsetof(struct fetcher_conf, sources_file), NULL,
          "file of feeds, one 'URL key=value ...' per line "
          "(interval, lang, site, tags, type)", 0 },
        { "sources.topic", VL_CONF_STR,
          offsetof(struct fetcher_conf, sources_topic), NULL,
          "topic of the sources, one record a site (instead of "
          "sources.file): the fetchers of sources.group share its sites, "
          "each owned by one of them at a time", 0 },
        { "sources.group", VL_CONF_STR,
          offsetof(struct fetcher_conf, sources_group), "veille-fetcher",
          "consumer group of the fetchers sharing sources.topic", 0 },
        { "state.topic", VL_CONF_STR,
          offsetof(struct fetcher_conf, state_topic), "veille.fetcher.state",
          "topic of the sources' polling state (with sources.topic), read "
          "by the next owner of a site", 0 },
        { "state.interval.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, state_interval_ms), "1000",
          "how often changed polling states are published (with "
          "sources.topic) or saved to the seen store (sources.file)", 0 },
        { "state.dir", VL_CONF_STR, offsetof(struct fetcher_conf, state_dir),
          "/var/lib/veille/fetcher", "directory of the seen store (and, "
          "with sources.file, of the sources' polling state)", 0 },
        { "poll.interval.s", VL_CONF_INT,
          offsetof(struct fetcher_conf, poll_interval_s), "300",
          "seconds between two polls of a feed (per source: interval=)", 0 },
        { "fetch.max.concurrent", VL_CONF_INT,
          offsetof(struct fetcher_conf, max_concurrent), "16",
          "HTTP transfers at once", 0 },
        { "fetch.max.per.host", VL_CONF_INT,
          offsetof(struct fetcher_conf, max_per_host), "1",
          "HTTP transfers at once to one host (scheme, host and port)", 0 },
        { "fetch.host.delay.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, host_delay_ms), "1000",
          "least time between two requests to one host, from the end of "
          "one to the start of the next (robots.txt Crawl-delay raises it)",
          0 },
        { "fetch.host.max.failures", VL_CONF_INT,
          offsetof(struct fetcher_conf, host_max_failures), "5",
          "failures in a row (timeouts, refused connections, 5xx, 429) "
          "after which a host is paused; 0: never", 0 },
        { "fetch.host.pause.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, host_pause_ms), "60000",
          "first pause of a failing host, doubled on each further failure "
          "(at most an hour)", 0 },
        { "fetch.politeness.key", VL_CONF_STR,
          offsetof(struct fetcher_conf, politeness_key), "host",
          "what shares one politeness slot (max.per.host, host.delay, "
          "Retry-After, pauses): 'host', or 'domain' for the registrable "
          "domain (a.example.com and b.example.com share one); also what "
          "--sources.publish groups sites by", 0 },
        { "robots.obey", VL_CONF_BOOL, offsetof(struct fetcher_conf, robots),
          "true",
          "fetch each host's robots.txt (cached 24 h) and obey it for the "
          "http.user.agent product token (RFC 9309)", 0 },
        { "robots.max.crawl.delay.s", VL_CONF_INT,
          offsetof(struct fetcher_conf, max_crawl_delay_s), "60",
          "largest robots.txt Crawl-delay honoured (larger ones are cut "
          "to it)", 0 },
        { "fetch.connect.timeout.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, connect_timeout_ms), "10000",
          "connection timeout", 0 },
        { "fetch.timeout.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, timeout_ms), "30000",
          "whole-transfer timeout", 0 },
        { "fetch.max.body.bytes", VL_CONF_INT,
          offsetof(struct fetcher_conf, max_body_bytes), "10485760",
          "largest body kept, decompressed; larger pages go to the DLQ", 0 },
        { "fetch.retries", VL_CONF_INT, offsetof(struct fetcher_conf, retries),
          "3", "retries of a page after a transient failure", 0 },
        { "fetch.retry.backoff.ms", VL_CONF_INT,
          offsetof(struct fetcher_conf, retry_backoff_ms), "2000",
          "first retry delay, doubled each time (Retry-After wins)", 0 },
        { "fetch.max.pending", VL_CONF_INT,
          offsetof(struct fetcher_conf, max_pending), "10000",
          "pages taken from feeds and not yet delivered; above it, feeds "
          "wait (bounds memory)", 0 },
        { "fetch.allow.private", VL_CONF_BOOL,
          offsetof(struct fetcher_conf, allow_private), "false",
          "allow loopback, private and link-local addresses", 0 },
        { "http.user.agent", VL_CONF_STR,
          offsetof(struct fetcher_conf, user_agent), FETCHER_UA,
          "User-Agent header", 0 },
        { "seen.ttl.days", VL_CONF_INT,
          offsetof(struct fetcher_conf, seen_ttl_days), "30",
          "days a fetched URL is remembered", 0 },
        { "once", VL_CONF_BOOL, offsetof(struct fetcher_conf, once), "false",
          "poll every source once, wait for every delivery, exit",
          VL_CONF_CLI },
        { "sources.publish", VL_CONF_STR,
          offsetof(struct fetcher_conf, publish), NULL,
          "publish the sources of this file to sources.topic (default "
          "veille.sources), one record a site, with a tombstone for each "
          "site the file no longer has, and exit",
          VL_CONF_CLI },
        { "url", VL_CONF_STR, offsetof(struct fetcher_conf, url), NULL,
          "fetch one page, print its event on stdout (no broker)",
          VL_CONF_CLI },
        { "feed", VL_CONF_STR, offsetof(struct fetcher_conf, feed), NULL,
          "poll one feed once, print its page events on stdout "
          "(no broker, no seen store)",
          VL_CONF_CLI },
        { 0 }
};

static int check_conf(struct fetcher_conf *fc,
                      const struct vl_stage_conf *sc)
{
        const struct {
                const char *key;
                int64_t v, min, max;
        } r[] = {
                { "poll.interval.s", fc->poll_interval_s, 1, 30LL * 86400 },
                { "fetch.max.concurrent", fc->max_concurrent, 1, 4096 },
                { "fetch.max.per.host", fc->max_per_host, 1, 64 },
                { "fetch.host.delay.ms", fc->host_delay_ms, 0, 3600000 },
                { "fetch.host.max.failures", fc->host_max_failures, 0,
                  1000000 },
                { "fetch.host.pause.ms", fc->host_pause_ms, 1, 3600000 },
                { "robots.max.crawl.delay.s", fc->max_crawl_delay_s, 0,
                  86400 },
                { "fetch.connect.timeout.ms", fc->connect_timeout_ms, 1,
                  3600000 },
                { "fetch.timeout.ms", fc->timeout_ms, 1, 3600000 },
                { "fetch.max.body.bytes", fc->max_body_bytes, 1, 1LL << 30 },
                { "fetch.retries", fc->retries, 0, 100 },
                { "fetch.retry.backoff.ms", fc->retry_backoff_ms, 1, 3600000 },
                { "fetch.max.pending", fc->max_pending, 1, 10000000 },
                { "seen.ttl.days", fc->seen_ttl_days, 1, 36500 },
                { "state.interval.ms", fc->state_interval_ms, 100, 3600000 },
                { "drain.ms", sc->drain_ms, 0, 3600000 },
        };
        size_t i;

        for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
                if (r[i].v < r[i].min || r[i].v > r[i].max) {
                        fprintf(stderr,
                                "veille-fetcher: invalid %s %lld "
                                "(%lld to %lld)\n",
                                r[i].key, (long long)r[i].v,
                                (long long)r[i].min, (long long)r[i].max);
                        return VL_EXIT_USAGE;
                }
        }
        if (fc->url && fc->feed) {
                fprintf(stderr,
                        "veille-fetcher: --url and --feed exclude each "
                        "other\n");
                return VL_EXIT_USAGE;
        }
        if (strcmp(fc->politeness_key, "host") &&
            strcmp(fc->politeness_key, "domain")) {
                fprintf(stderr, "veille-fetcher: invalid fetch.politeness.key "
                                "'%s' (host or domain)\n",
                        fc->politeness_key);
                return VL_EXIT_USAGE;
        }
        if (fc->sources_topic && !*fc->sources_topic) {
                free(fc->sources_topic);
                fc->sources_topic = NULL;
        }
        if (fc->publish) {
                if (!fc->sources_topic)
                        fc->sources_topic = strdup("veille.sources");
                return -1;
        }
        if (fc->sources_topic && fc->sources_file && *fc->sources_file &&
            !fc->url && !fc->feed) {
                fprintf(stderr, "veille-fetcher: sources.file and "
                                "sources.topic exclude each other\n");
                return VL_EXIT_USAGE;
        }
        if (fc->sources_topic && fc->once) {
                fprintf(stderr, "veille-fetcher: --once needs "
                                "sources.file\n");
                return VL_EXIT_USAGE;
        }
        if (fc->sources_topic &&
            (!fc->state_topic || !*fc->state_topic ||
             !fc->sources_group || !*fc->sources_group)) {
                fprintf(stderr, "veille-fetcher: sources.topic needs "
                                "state.topic and sources.group\n");
                return VL_EXIT_USAGE;
        }
        if (!fc->url && !fc->feed && !fc->sources_topic &&
            (!fc->sources_file || !*fc->sources_file)) {
                fprintf(stderr, "veille-fetcher: sources.file is not set "
                                "(or sources.topic, or give --url or "
                                "--feed)\n");
                return VL_EXIT_USAGE;
        }
        if (!sc->output_topic || !*sc->output_topic) {
                fprintf(stderr, "veille-fetcher: output.topic is empty\n");
                return VL_EXIT_USAGE;
        }
        return -1;
}

/* --url and --feed: the same engine, printing instead of producing. */
static int run_oneshot(struct fetcher_conf *fc, struct vl_stage_conf *sc,
                       struct vl_metrics *m)
{
        const struct fetcher_engine_stats *st;
        struct fetcher_engine *e;
        struct vl_err err;
        int code;

        e = fetcher_engine_new(fc, sc, m, &err);
        if (!e) {
                fprintf(stderr, "veille-fetcher: %s\n", err.msg);
                return VL_EXIT_FATAL;
        }
        if (fc->url) {
                if (fetcher_engine_add_url(e, fc->url, &err) != VL_OK) {
                        fprintf(stderr, "veille-fetcher: invalid --url: %s\n",
                                err.msg);
                        fetcher_engine_destroy(e);
                        return VL_EXIT_USAGE;
                }
        } else {
                struct fetcher_sources ss = { 0 };

                fetcher_sources_add_take(&ss, fetcher_source_new(fc->feed));
                fetcher_engine_set_sources(e, &ss);
        }
        code = fetcher_engine_run(e, true);
        st = fetcher_engine_stats(e);
        if (code == VL_EXIT_OK && !vl_daemon_stopping() &&
            ((fc->url && st->pages_ok == 0) || (fc->feed && st->feeds_failed)))
                code = VL_EXIT_FATAL;
        fetcher_engine_destroy(e);
        return code;
}

static int run_daemon(struct vl_conf *cf, struct fetcher_conf *fc,
                      struct vl_stage_conf *sc, struct vl_metrics *m)
{
        struct fetcher_sources ss = { 0 };
        struct fetcher_engine *e = NULL;
        struct fetcher_group *g = NULL;
        struct fetcher_seen *seen = NULL;
        struct vl_producer *p = NULL;
        struct vl_err err;
        char status[160];
        int code;

        if (!fc->sources_topic &&
            fetcher_sources_load(&ss, fc->sources_file, &err) != VL_OK) {
                fprintf(stderr, "veille-fetcher: %s\n", err.msg);
                code = VL_EXIT_USAGE;
                goto out;
        }
        if (!fc->sources_topic && ss.n == 0)
                VL_WARN("fetcher", "no sources in '%s'", fc->sources_file);
        seen = fetcher_seen_new(fc->state_dir, &err);
        if (!seen) {
                fprintf(stderr, "veille-fetcher: %s\n", err.msg);
                code = VL_EXIT_USAGE;
                goto out;
        }
        e = fetcher_engine_new(fc, sc, m, &err);
        if (!e) {
                VL_ERROR("fetcher", "%s", err.msg);
                code = VL_EXIT_FATAL;
                goto out;
        }
        p = vl_producer_new(cf, "veille-fetcher", fetcher_engine_on_delivery,
                            e, &err);
        if (!p) {
                VL_ERROR("kafka", "%s", err.msg);
                code = VL_EXIT_FATAL;
                goto out;
        }
        fetcher_engine_set_producer(e, p);
        fetcher_engine_set_seen(e, seen);
        if (fc->sources_topic) {
                g = fetcher_group_new(cf, fc, sc, e, p, m, &err);
                if (!g) {
                        VL_ERROR("fetcher", "%s", err.msg);
                        code = err.rc == VL_REJECT ? VL_EXIT_USAGE
                                                   : VL_EXIT_FATAL;
                        goto out;
                }
                snprintf(status, sizeof(status),
                         "polling the sites of topic '%s' it is assigned",
                         fc->sources_topic);
        } else {
                snprintf(status, sizeof(status), "polling %d sources from "
                         "'%s'", ss.n, fc->sources_file);
        }
        fetcher_engine_set_sources(e, &ss);
        if (vl_metrics_start(m, sc->metrics_listen, NULL, &err) != VL_OK) {
                VL_ERROR("fetcher", "%s", err.msg);
                code = VL_EXIT_FATAL;
                goto out;
        }
        VL_NOTICE("fetcher", "%s, seen store in '%s' (%lld "
                  "entries), publishing to '%s'",
                  status, fc->state_dir,
                  (long long)fetcher_seen_count(seen), sc->output_topic);
        atomic_store(&m->ready, 1);
        vl_daemon_ready(status);
        code = fetcher_engine_run(e, fc->once);
        /* the last states, then leave the group */
        fetcher_group_close(g);
        atomic_store(&m->ready, 0);
        vl_metrics_stop(m);
out:
        fetcher_group_destroy(g);
        /* the producer first: its last delivery reports mark pages seen */
        vl_producer_destroy(p);
        fetcher_engine_destroy(e);
        fetcher_seen_destroy(seen);
        fetcher_sources_release(&ss);
        return code;
}

int main(int argc, char **argv)
{
        struct vl_stage_conf sc = { 0 };
        struct fetcher_conf fc = { 0 };
        struct vl_metrics m;
        struct vl_conf *cf;
        int code;
        int lvl;

        vl_log_init("veille-fetcher");
        cf = vl_conf_new("veille-fetcher",
                         "poll RSS and Atom feeds, publish each new page once");
        /* the keys every daemon has, with our default output topic */
        vl_stage_conf_defaults(&sc, "fetcher", NULL, "veille.pages");
        vl_conf_add_table(cf, vl_daemon_keys, &sc);
        vl_conf_add_table(cf, fetcher_keys, &fc);
        code = vl_conf_parse(cf, argc, argv);
        if (code >= 0)
                goto out;
        lvl = vl_log_parse_level(sc.log_level ? sc.log_level : "info");
        if (lvl < 0) {
                fprintf(stderr, "veille-fetcher: invalid log.level '%s'\n",
                        sc.log_level);
                code = VL_EXIT_USAGE;
                goto out;
        }
        vl_log_level = lvl;
        code = check_conf(&fc, &sc);
        if (code >= 0)
                goto out;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "veille-fetcher: cannot initialise libcurl\n");
                code = VL_EXIT_FATAL;
                goto out;
        }
        xmlInitParser();
        vl_daemon_signals();
        vl_metrics_init(&m, "fetcher");
        if (fc.publish)
                code = fetcher_group_publish(cf, &fc, fc.publish);
        else if (fc.url || fc.feed)
                code = run_oneshot(&fc, &sc, &m);
        else
                code = run_daemon(cf, &fc, &sc, &m);
        xmlCleanupParser();
        curl_global_cleanup();
out:
        vl_conf_destroy(cf);
        return code;
}
