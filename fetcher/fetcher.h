#ifndef VEILLE_FETCHER_H
#define VEILLE_FETCHER_H
/* veille-fetcher: poll feeds, fetch their items' pages over libcurl's multi
 * interface, publish each page once to veille.pages. Modules:
 *   sources.c  the sources file             fetcher_sources_*, fetcher_source_*
 *   feed.c     RSS / Atom parsing (libxml2) fetcher_feed_*, fetcher_item_*
 *   text.c     HTML-ish text to plain text  fetcher_text_*
 *   seen.c     the seen store (SQLite)      fetcher_seen_*
 *   http.c     transfers, per-host slots    fetcher_http_*, fetcher_xfer_*
 *   page.c     one article page, its events fetcher_page_*
 *   robots.c   robots.txt (RFC 9309)        fetcher_robots_*
 *   discover.c feeds a home page announces  fetcher_discover_*
 * Dates (vl_date), UTF-8 repair and white space (vl_text) are lib's.
 *   engine.c   scheduling and delivery      fetcher_engine_*
 *   map.c      string-keyed hash table      fetcher_map_*
 *   group.c    sources and state on Kafka   fetcher_group_*
 * Everything runs on the main thread except where a comment says otherwise.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include "veille/buf.h"
#include "veille/codec.h"
#include "veille/err.h"
#include "veille/kafka.h"
#include "veille/metrics.h"
#include "veille/stage.h"

/* ------------------------------------------------------------------ conf */

/** The fetcher's own keys (main.c's table). struct vl_stage_conf holds the
 * common ones it uses: output.topic, dlq.topic, metrics.listen, log.level,
 * drain.ms. */
struct fetcher_conf {
        char *sources_file;
        char *state_dir;
        int64_t poll_interval_s;
        int64_t max_concurrent;
        int64_t max_per_host;
        int64_t connect_timeout_ms;
        int64_t timeout_ms;
        int64_t max_body_bytes;
        int64_t retries;
        int64_t retry_backoff_ms;
        int64_t max_pending;
        int64_t seen_ttl_days;
        bool allow_private;
        char *user_agent;
        bool robots;
        int64_t host_delay_ms;
        int64_t max_crawl_delay_s;
        int64_t host_max_failures;
        int64_t host_pause_ms;
        char *politeness_key;    /* "host" or "domain" */
        /* scale-out: sources from a topic, shared by a consumer group */
        char *sources_topic;     /* NULL or "": sources.file mode */
        char *sources_group;
        char *state_topic;
        int64_t state_interval_ms;
        /* command line only */
        char *publish;           /* --sources.publish FILE */
        bool once;
        char *url;
        char *feed;
};

/* ------------------------------------------------------------------- map */

struct fetcher_map_entry {
        char *key;
        void *val;
        struct fetcher_map_entry *next;
};

/** A string-keyed hash table (keys copied, values borrowed). */
struct fetcher_map {
        struct fetcher_map_entry **b;
        size_t nb;
        size_t n;
};

void fetcher_map_init(struct fetcher_map *m);
/** @brief Free the table; @p free_val (may be NULL) is called on each value. */
void fetcher_map_release(struct fetcher_map *m, void (*free_val)(void *));
/** @returns the value stored under @p key, or NULL. */
void *fetcher_map_get(const struct fetcher_map *m, const char *key);
/** @brief Store @p val under @p key (copied), replacing any previous value.
 * @returns the previous value, or NULL. */
void *fetcher_map_put(struct fetcher_map *m, const char *key, void *val);
/** @brief Remove @p key. @returns its value, or NULL. */
void *fetcher_map_del(struct fetcher_map *m, const char *key);
/** @brief Call @p fn on every entry; @p fn must not change the table. */
void fetcher_map_each(const struct fetcher_map *m,
                      void (*fn)(void *ctx, const char *key, void *val),
                      void *ctx);

/* --------------------------------------------------------------- sources */

enum fetcher_feed_type {
        FETCHER_FEED_AUTO = 0,
        FETCHER_FEED_RSS,
        FETCHER_FEED_ATOM,
        FETCHER_FEED_SITEMAP, /* sitemap, sitemap index, Google News */
        FETCHER_FEED_JSON,    /* JSON Feed 1.0 and 1.1 */
        FETCHER_FEED_URLS,    /* a plain list of URLs, one a line */
        FETCHER_FEED_SITE,    /* a home page: its feeds and sitemaps are
                                 discovered at each poll (sources only) */
};

/** @returns "auto", "rss", "atom", "sitemap", "json", "urls" or "site". */
const char *fetcher_feed_type_name(enum fetcher_feed_type t);

/** One line of the sources file, plus the engine's state for it. Counted:
 * a transfer or a page in flight holds a reference, so a reload can drop a
 * source while its feed is still being fetched. */
struct fetcher_source {
        int refs;
        /* from the sources file */
        char *url;
        char *site;              /* NULL: the feed's title */
        char *lang;              /* NULL: the feed's language */
        char **tags;
        int ntags;
        enum fetcher_feed_type type;
        int64_t interval_s;      /* 0: poll.interval.s */
        int line;
        /* topic mode: the site the source belongs to (the key of its records
         * on the sources and state topics) and their partition; NULL / -1
         * in sources.file mode */
        char *key;
        int32_t partition;
        /* engine state (main thread) */
        char *etag;              /* validators of the last good response */
        char *last_modified;
        int64_t next_poll_ms;    /* monotonic */
        bool in_flight;
        bool removed;            /* dropped by a reload */
        int polls;
        int failures;            /* consecutive */
        int64_t last_log_ms;     /* rate limit of failure logs */
        /* a sitemap index: its sitemaps' lastmod when last fetched (url ->
         * new string, "" when it had none), and those being fetched */
        struct fetcher_map children;
        int children_in_flight;
        /* adaptive polling and the conditional-GET guard */
        int64_t cur_interval_ms; /* 0: not adapted yet */
        int not_modified;        /* 304s in a row */
        bool stale_validators;   /* caught answering 304 over new items */
        /* topic mode: ids of the items of the feed's last version whose
         * page is settled (id -> a mark), so that a new owner of the site
         * does not publish them again; and whether the state changed since
         * it was last published */
        struct fetcher_map known;
        bool dirty;
        /* pages taken from the feed and not settled yet: while there are
         * some, the state carries no validators (a restart or a new owner
         * reads the feed whole, so that a 304 cannot hide them) */
        int pages;
};

#define FETCHER_KNOWN_MAX 20000 /* ids kept per source in its state */

struct fetcher_sources {
        struct fetcher_source **v;
        int n;
        int cap;
};

/** @returns new source for @p url (copied), one reference. */
struct fetcher_source *fetcher_source_new(const char *url);
/** @returns @p s, with one more reference. */
struct fetcher_source *fetcher_source_ref(struct fetcher_source *s);
/** @brief Drop one reference (NULL is a no-op). */
void fetcher_source_unref(struct fetcher_source *s);
/** @brief Forget the conditional-GET validators, so the next poll reads the
 * whole feed again. */
void fetcher_source_forget_validators(struct fetcher_source *s);

/**
 * @brief Parse sources text: one `URL key=value ...` per line, keys
 * interval (seconds, or with an s/m/h/d suffix), lang, site, tags (comma
 * separated), type (rss|atom|auto); values may be double-quoted with \" and
 * \\ escapes; '#' starts a comment at the start of a line or of a word.
 * @param name shown in errors ("sources.txt:12: unknown key 'foo'").
 * @returns VL_OK with the sources appended to @p ss, or VL_REJECT with
 * @p ss unchanged.
 */
enum vl_rc fetcher_sources_parse(struct fetcher_sources *ss, const char *text,
                                 size_t len, const char *name,
                                 struct vl_err *err);
/** @brief fetcher_sources_parse() on a whole file. */
enum vl_rc fetcher_sources_load(struct fetcher_sources *ss, const char *path,
                                struct vl_err *err);
/** @brief Set one per-source option (interval, lang, site, tags, type) as
 * written in the sources file. @returns VL_OK or VL_REJECT. */
enum vl_rc fetcher_source_set(struct fetcher_source *s, const char *key,
                              const char *val, struct vl_err *err);
/** @brief VL_OK when @p url is an absolute http(s) URL, else VL_REJECT. */
enum vl_rc fetcher_source_check_url(const char *url, struct vl_err *err);

/** Politeness units: an origin's host name, or its registrable domain
 * (a.example.co.uk and b.example.co.uk share example.co.uk). */
enum fetcher_polite_key { FETCHER_POLITE_HOST = 0, FETCHER_POLITE_DOMAIN };

/**
 * @brief The site of @p url: its host, lowercase (an IP address as it is),
 * or with FETCHER_POLITE_DOMAIN its registrable domain (public suffix list;
 * a name under an unknown suffix counts the last label as the suffix).
 * @returns new string, or NULL when @p url has no host.
 */
char *fetcher_site_key(const char *url, enum fetcher_polite_key mode);
/** @brief The registrable domain of @p host (lowercase), or a copy of
 * @p host when it is an IP address or a public suffix. @returns new. */
char *fetcher_host_domain(const char *host);

/**
 * @brief The polling state of @p s as JSON (validators, adapted interval,
 * next poll as a wall-clock time, failures, 304 count, the known item
 * ids), for the state topic (topic mode) or the seen store (sources.file
 * mode). The validators are left out (null) while pages of the source are
 * unsettled. @returns new object.
 */
json_t *fetcher_source_state(const struct fetcher_source *s);
/** @brief Take the state @p st (borrowed; fetcher_source_state()'s form,
 * as published by an earlier owner) into @p s. Unknown members are
 * ignored; wrong types are skipped. */
void fetcher_source_apply_state(struct fetcher_source *s, const json_t *st);
/**
 * @brief The sources of one site record of the sources topic:
 * {"sources":[{"url":..,"type":..,"interval":..,"lang":..,"site":..,
 * "tags":[..]}, ...]} (interval in seconds or with a unit, as in the file).
 * A missing or empty array, or {"deleted":true}, gives no source.
 * @returns VL_OK with the sources appended to @p ss, or VL_REJECT (nothing
 * appended) with err set.
 */
enum vl_rc fetcher_sources_from_json(struct fetcher_sources *ss,
                                     const json_t *site, struct vl_err *err);
/** @brief One source as a member of a site record (inverse of the above).
 * @returns new object. */
json_t *fetcher_source_to_json(const struct fetcher_source *s);

/** @brief Append @p s (stolen). */
void fetcher_sources_add_take(struct fetcher_sources *ss,
                              struct fetcher_source *s);
/** @brief Drop the list's references and empty it. */
void fetcher_sources_release(struct fetcher_sources *ss);

/* ------------------------------------------------------------------ feed */

/** One feed item; every string is new (NULL when absent), UTF-8. */
struct fetcher_item {
        char *link;          /* absolute (resolved against xml:base/feed) */
        char *guid;          /* RSS guid, Atom id */
        char *title;         /* plain text */
        char *published;    /* ISO 8601 UTC when parsed, else as given */
        char *published_raw; /* as given */
        char *updated;       /* Atom updated: ISO 8601 when parsed, else raw */
        char *summary;       /* plain text, at most FETCHER_SUMMARY_MAX bytes */
        char **authors;
        int nauthors;
        char **categories;
        int ncategories;
};

#define FETCHER_SUMMARY_MAX 4096
#define FETCHER_FEED_MAX_ITEMS 5000
#define FETCHER_SITEMAP_MAX_ITEMS 50000  /* the sitemaps protocol's cap */
#define FETCHER_SITEMAP_MAX_CHILDREN 50000

/** A sitemap of a sitemap index. */
struct fetcher_child {
        char *url;     /* absolute */
        char *lastmod; /* ISO 8601 UTC when parsed, else as given; or NULL */
};

struct fetcher_feed {
        enum fetcher_feed_type type;
        char *title;
        char *link;
        char *lang;
        struct fetcher_item *items;
        int n;
        int cap;
        struct fetcher_child *children; /* a sitemap index's sitemaps */
        int nchildren;
        int64_t ttl_s;  /* polling hint: RSS ttl or sy:updatePeriod/
                           updateFrequency, in seconds; 0: none */
        bool malformed; /* recovered from errors: some items may be missing */
        char warning[160];
};

/**
 * @brief Parse an RSS (0.9x, 1.0, 2.0) or Atom (0.3, 1.0) document, a
 * sitemap (with the Google News extension: news:title,
 * news:publication_date, news:publication, news:keywords) or a sitemap
 * index (children, no items), a JSON Feed (1.0, 1.1), or, when @p want is
 * FETCHER_FEED_URLS (or, in auto mode, when the first line that is not a
 * comment is an http(s) URL), a list of URLs, one a line.
 * Malformed documents are read as far as they can be (libxml2's recovery;
 * for JSON, the items before the damage). HTML named entities (&eacute;
 * &nbsp;) are understood in XML.
 * @param url the feed's (final) URL: the base of relative links.
 * @param want FETCHER_FEED_AUTO, or the only type accepted.
 * @returns VL_OK (feed filled, release it with fetcher_feed_release), or
 * VL_REJECT when it is not a feed (or not of type @p want); nothing to
 * release then.
 */
enum vl_rc fetcher_feed_parse(struct fetcher_feed *feed, const char *buf,
                              size_t len, const char *url,
                              enum fetcher_feed_type want,
                              struct vl_err *err);
void fetcher_feed_release(struct fetcher_feed *feed);
void fetcher_item_release(struct fetcher_item *it);

/* -------------------------------------------------------------- discover */

#define FETCHER_DISCOVER_MAX 100

/** A feed a page announces. */
struct fetcher_discovered {
        char *url;                  /* absolute http(s) */
        enum fetcher_feed_type type; /* rss, atom, json, or auto (text/xml) */
        char *title;                /* may be NULL */
};

/**
 * @brief The feeds an HTML page announces with <link rel="alternate"
 * type="application/rss+xml|atom+xml|rdf+xml|feed+json|text/xml">, in page
 * order, resolved against <base href> or @p page_url, without duplicates
 * or comment feeds, at most FETCHER_DISCOVER_MAX.
 * @param out set to a new array (NULL when none); free it with
 * fetcher_discovered_free(). @returns how many.
 */
int fetcher_discover_feeds(const char *html, size_t len, const char *page_url,
                           struct fetcher_discovered **out);
void fetcher_discovered_free(struct fetcher_discovered *v, int n);

/* ------------------------------------------------------------------ text */

/** @brief HTML fragment to plain text: tags dropped (block tags become a
 * space, script/style with their content), entities decoded, whitespace
 * collapsed and trimmed, invalid UTF-8 replaced by U+FFFD, cut at @p max
 * bytes (0: no cap) on a character boundary. @returns new string. */
char *fetcher_text_from_html(const char *s, size_t max);
/** @brief Plain text: vl_text_collapse() (white space collapsed and
 * trimmed, invisible characters dropped, C1 controls read as windows-1252,
 * invalid UTF-8 replaced), then cut at @p max bytes (0: no cap) on a
 * character boundary. @returns new string. */
char *fetcher_text_clean(const char *s, size_t max);

/* ------------------------------------------------------------------ seen */

struct fetcher_seen;

/** @brief Open (creating it and @p dir as needed) the seen store
 * @p dir/seen.sqlite, in WAL mode. @returns new store, or NULL with err set. */
struct fetcher_seen *fetcher_seen_new(const char *dir, struct vl_err *err);
void fetcher_seen_destroy(struct fetcher_seen *s);
/** @brief Is @p key (an article id) in the store? */
enum vl_rc fetcher_seen_has(struct fetcher_seen *s, const char *key,
                            bool *found, struct vl_err *err);
/** @brief Record @p key (with its @p url, may be NULL, for operators) as
 * seen at @p now_ms (wall clock). */
enum vl_rc fetcher_seen_mark(struct fetcher_seen *s, const char *key,
                             const char *url, int64_t now_ms,
                             struct vl_err *err);
/** @brief Delete the entries seen before @p before_ms, and the sources'
 * states saved before it (@p removed counts the entries only). */
enum vl_rc fetcher_seen_expire(struct fetcher_seen *s, int64_t before_ms,
                               int64_t *removed, struct vl_err *err);
/** @returns the number of entries, or -1 on error. */
int64_t fetcher_seen_count(struct fetcher_seen *s);
/** @brief sources.file mode: the saved state of source @p url
 * (fetcher_source_state()'s form). @p *st is set to a new object, or NULL
 * when none was saved (or it cannot be read: a warning). */
enum vl_rc fetcher_seen_state_get(struct fetcher_seen *s, const char *url,
                                  json_t **st, struct vl_err *err);
/** @brief Save the state of every dirty source of @p ss (not removed), in
 * one transaction, and clear their dirty flags (left set on error).
 * @p saved (may be NULL) is set to how many. */
enum vl_rc fetcher_seen_state_save(struct fetcher_seen *s,
                                   const struct fetcher_sources *ss,
                                   int64_t now_ms, int *saved,
                                   struct vl_err *err);

/* ---------------------------------------------------------------- robots */

#define FETCHER_ROBOTS_MAX_BYTES (512 * 1024) /* RFC 9309: at least 500 KiB */
#define FETCHER_ROBOTS_MAX_RULES 10000
#define FETCHER_ROBOTS_MAX_SITEMAPS 1000

enum fetcher_robots_mode {
        FETCHER_ROBOTS_ALLOW_ALL = 0, /* no robots.txt (4xx), or not checked */
        FETCHER_ROBOTS_DISALLOW_ALL,  /* unreachable (5xx, network) */
        FETCHER_ROBOTS_RULES,
};

struct fetcher_robots_rule {
        bool allow;
        char *pattern; /* percent-encoding normalised; '*' and final '$' */
};

/** The rules of one robots.txt that apply to one user-agent token. */
struct fetcher_robots {
        enum fetcher_robots_mode mode;
        struct fetcher_robots_rule *rules;
        int n;
        int64_t crawl_delay_ms; /* -1: none given */
        char **sitemaps;        /* Sitemap: lines, as given */
        int nsitemaps;
};

/** @returns new lowercase product token of a User-Agent ("veille" for
 * "veille/1.0 (+https://...)"), the name matched against user-agent lines. */
char *fetcher_robots_agent_token(const char *user_agent);
/** @brief Empty rules of @p mode (nothing to release). */
void fetcher_robots_init(struct fetcher_robots *r,
                         enum fetcher_robots_mode mode);
/**
 * @brief Parse a robots.txt body for @p agent (a lowercase product token):
 * the groups naming it (merged), else the '*' groups (merged); their
 * allow/disallow rules and the largest Crawl-delay; every Sitemap line.
 * Never fails: what cannot be read is skipped. Release with
 * fetcher_robots_release().
 */
void fetcher_robots_parse(struct fetcher_robots *r, const char *buf,
                          size_t len, const char *agent);
void fetcher_robots_release(struct fetcher_robots *r);
/** @brief May @p path (path and query of a URL, "/" when empty) be
 * fetched? The longest matching rule decides; allow wins a tie; no match
 * allows; /robots.txt is always allowed. */
bool fetcher_robots_allowed(const struct fetcher_robots *r, const char *path);
/** @brief Does robots pattern @p p ('*' any run, '$' at the end anchors)
 * match a prefix of @p s (all of @p s with '$')? */
bool fetcher_robots_match(const char *p, const char *s);

/* ------------------------------------------------------------------ http */

struct fetcher_http_conf {
        const char *user_agent; /* borrowed */
        int64_t connect_timeout_ms;
        int64_t timeout_ms;
        int64_t max_body_bytes;
        int max_concurrent;
        int max_per_host;
        bool allow_private;
        /* politeness; zero values: no robots.txt, no delay, no pause */
        bool robots;                /* fetch and obey robots.txt per host */
        int64_t host_delay_ms;      /* between two requests to a host */
        int64_t max_crawl_delay_ms; /* cap on robots.txt Crawl-delay */
        int max_host_failures;      /* failures in a row pausing a host */
        int64_t host_pause_ms;      /* first pause, doubled each time */
        enum fetcher_polite_key polite_key; /* hosts sharing a slot */
        struct vl_metrics *m;       /* NULL: no metrics */
};

/* ROBOTS: http.c's own robots.txt requests, never handed to the caller. */
enum fetcher_xfer_kind { FETCHER_XFER_FEED, FETCHER_XFER_PAGE,
                         FETCHER_XFER_ROBOTS };

/** One HTTP GET. The caller fills the request part, hands it to
 * fetcher_http_submit(), and gets it back, response filled, in its done
 * callback; then it owns it again. */
struct fetcher_xfer {
        /* request */
        enum fetcher_xfer_kind kind;
        char *url;
        char *if_none_match;     /* conditional GET, may be NULL */
        char *hop_url;           /* http.c: the redirect being followed */
        char **visited;          /* http.c: the URLs of the hops so far */
        char *location;          /* http.c: a 3xx's target */
        bool redirect_loop;      /* a redirect back to a URL of the chain */
        char *if_modified_since;
        void *priv;              /* the caller's */
        int child;               /* the caller's: 1 a sitemap of an index or
                                    a feed of a site, 2 one level deeper */
        /* response */
        CURLcode code;
        long status;             /* of the last response; 0 if none */
        char errbuf[CURL_ERROR_SIZE];
        struct vl_buf body;      /* decompressed */
        char *final_url;
        char *content_type;
        char *etag;
        char *last_modified;
        char *content_encoding;
        int64_t retry_after_s;   /* -1: no Retry-After */
        int64_t max_age_s;       /* Cache-Control max-age or Expires; -1 */
        long redirects;
        bool too_big;
        bool blocked;            /* every address refused (private) */
        bool robots_denied;      /* not fetched: robots.txt disallows it */
        bool robots_unreachable; /* not fetched: robots.txt unreachable */
        bool aborted;            /* never finished: stop or abort */
        char blocked_addr[48];
        int64_t started_ms;      /* monotonic, when the transfer started */
        int64_t elapsed_ms;
        /* http.c's own */
        CURL *easy;
        struct curl_slist *hdrs;
        struct http_host *host;
        struct fetcher_xfer *next;
        struct fetcher_xfer *prev;
};

/** @returns new transfer of @p url (copied). */
struct fetcher_xfer *fetcher_xfer_new(enum fetcher_xfer_kind kind,
                                      const char *url, void *priv);
void fetcher_xfer_destroy(struct fetcher_xfer *x);
/**
 * @brief Classify a finished transfer: VL_OK for 2xx and 304, VL_RETRY for
 * what may pass (timeouts, connection failures, 5xx, 408, 429), VL_REJECT
 * for what will not (other 4xx, too big, not http(s), too many redirects,
 * refused address). err gets a message naming the URL.
 */
enum vl_rc fetcher_xfer_result(const struct fetcher_xfer *x,
                               struct vl_err *err);

/** Called on the main thread, from fetcher_http_run() or
 * fetcher_http_abort*(), for each transfer that ends; it owns @p x now. It
 * may submit transfers, but not abort or destroy the engine. */
typedef void fetcher_http_done_fn(void *ctx, struct fetcher_xfer *x);

struct fetcher_http;

/** @returns new transfer engine, or NULL with err set (VL_FATAL). */
struct fetcher_http *fetcher_http_new(const struct fetcher_http_conf *hc,
                                      fetcher_http_done_fn *done, void *ctx,
                                      struct vl_err *err);
/** @brief Abort every transfer (done is called for each), then free. */
void fetcher_http_destroy(struct fetcher_http *h);
/** @brief Queue @p x (stolen). It starts when a slot is free: at most
 * max_concurrent transfers in all and max_per_host per host, hosts served
 * round-robin; and, per host (an origin: scheme, host and port), once its
 * robots.txt is known (x->robots_denied when it disallows @p x's URL),
 * host_delay_ms (or the robots.txt Crawl-delay) after the host's last
 * request started and ended, after any Retry-After of a 429 or 503, and
 * after the pause of a host that failed max_host_failures times in a row. */
void fetcher_http_submit(struct fetcher_http *h, struct fetcher_xfer *x);
/** @brief Wait up to @p timeout_ms for network activity, move the
 * transfers on, call done for those that ended. VL_FATAL on a libcurl
 * multi error. */
enum vl_rc fetcher_http_run(struct fetcher_http *h, int timeout_ms,
                            struct vl_err *err);
/** @brief End queued transfers that have not started (aborted). */
void fetcher_http_abort_pending(struct fetcher_http *h);
/** @brief End every transfer, started or not (aborted). */
void fetcher_http_abort(struct fetcher_http *h);
/** @brief End the transfers, started or not, for which @p match returns
 * true (aborted; done is called for each). */
void fetcher_http_abort_if(struct fetcher_http *h,
                           bool (*match)(void *ctx,
                                         const struct fetcher_xfer *x),
                           void *ctx);
int fetcher_http_active(const struct fetcher_http *h);
int fetcher_http_pending(const struct fetcher_http *h);
/** @brief The Sitemap lines of the cached robots.txt of @p url's origin
 * (as given: maybe relative), if it was fetched. @returns how many; @p out
 * is borrowed until the next fetcher_http_run(). */
int fetcher_http_sitemaps(struct fetcher_http *h, const char *url,
                          char ***out);
/** @returns the number of hosts paused after repeated failures. */
int fetcher_http_hosts_paused(const struct fetcher_http *h);
/** @brief Is @p sa a loopback, private, link-local, multicast, reserved or
 * documentation address (IPv4-mapped and NAT64 forms included)? */
bool fetcher_http_addr_blocked(const struct sockaddr *sa);

/* ------------------------------------------------------------------ page */

enum fetcher_page_state {
        FETCHER_PAGE_FETCHING,
        FETCHER_PAGE_WAITING,   /* for a retry */
        FETCHER_PAGE_PRODUCING, /* waiting for its delivery report */
};

/** One article page to fetch and publish, from its item in a feed (or
 * given alone on the command line). */
struct fetcher_page {
        char *url;                   /* the item's link, absolute */
        char *canonical;
        char id[VL_ID_LEN + 1];
        struct fetcher_source *src;  /* a reference; NULL without a feed */
        char *site;                  /* the source's, else the feed title */
        char *lang;                  /* the source's, else the feed's */
        bool has_item;
        struct fetcher_item item;
        /* engine state */
        enum fetcher_page_state state;
        int attempts;
        bool dlq;                    /* the record produced is a DLQ one */
        long status;                 /* HTTP status of the last attempt */
        int64_t first_ms;            /* monotonic, first attempt */
        int64_t due_ms;              /* monotonic, next attempt */
        struct fetcher_page *next;   /* waiting list */
};

/** @returns new page for @p url, with its canonical form and article id,
 * or NULL with err set (VL_REJECT) when @p url is not a usable URL. */
struct fetcher_page *fetcher_page_new(const char *url, struct vl_err *err);
/** @brief Free (NULL is a no-op); drops the source reference. */
void fetcher_page_destroy(struct fetcher_page *pg);
/** @brief The veille.page.v1 event of a fetched page. @returns new JSON. */
json_t *fetcher_page_event(const struct fetcher_page *pg,
                           const struct fetcher_xfer *x,
                           const char *fetched_at);
/** @brief The DLQ "input" of a page that failed: url, source, item and
 * http_status (0 when there was no response). @returns new JSON. */
json_t *fetcher_page_dlq_input(const struct fetcher_page *pg,
                               long http_status);
/** @returns new lowercase charset parameter of a Content-Type, or NULL. */
char *fetcher_page_charset(const char *content_type);

/* ---------------------------------------------------------------- engine */

struct fetcher_engine_stats {
        int64_t feeds_ok;
        int64_t feeds_failed;
        int64_t pages_ok;     /* published (or printed) */
        int64_t pages_failed; /* sent to the DLQ (or logged) */
};

struct fetcher_engine;

/**
 * @brief The scheduler: polls sources when due, fetches new items, produces
 * the page events and marks them seen once delivered.
 * @param fc, sc, m borrowed, must outlive the engine.
 * @returns new engine, or NULL with err set.
 */
struct fetcher_engine *fetcher_engine_new(const struct fetcher_conf *fc,
                                          const struct vl_stage_conf *sc,
                                          struct vl_metrics *m,
                                          struct vl_err *err);
/** @brief Free (after the producer: its last delivery reports still land
 * here). Pages never delivered are dropped, not marked seen. */
void fetcher_engine_destroy(struct fetcher_engine *e);
/** @brief Publish through @p p (borrowed). Without a producer, records are
 * printed on stdout and failures only logged (one-shot modes). */
void fetcher_engine_set_producer(struct fetcher_engine *e,
                                 struct vl_producer *p);
/** @brief Skip pages already in @p s and mark delivered ones (borrowed). */
void fetcher_engine_set_seen(struct fetcher_engine *e, struct fetcher_seen *s);
/** @brief Replace the sources (their contents are stolen, @p ss is left
 * empty). A source already known by URL keeps its state (validators,
 * schedule) and takes the new settings. */
void fetcher_engine_set_sources(struct fetcher_engine *e,
                                struct fetcher_sources *ss);
/** Selects sources (the engine's, on the main thread). */
typedef bool fetcher_source_match_fn(void *ctx,
                                     const struct fetcher_source *s);
/** @brief Replace the sources @p match selects (all with NULL) with those
 * of @p ss (stolen, left empty); one known by URL keeps its state and
 * takes the new settings; a new one is polled at its next_poll_ms (now when
 * 0). Others are kept. Sources removed finish what they have in flight. */
void fetcher_engine_replace_sources(struct fetcher_engine *e,
                                    fetcher_source_match_fn *match,
                                    void *ctx, struct fetcher_sources *ss);
/** @brief Abort the feed and page transfers and the pending retries of the
 * sources @p match selects (those pages are not marked seen); the sources
 * stay (fetcher_engine_replace_sources() removes them). */
void fetcher_engine_abort_sources(struct fetcher_engine *e,
                                  fetcher_source_match_fn *match, void *ctx);
/** @returns the engine's sources (borrowed; valid until the next change). */
const struct fetcher_sources *
fetcher_engine_sources(const struct fetcher_engine *e);
struct fetcher_group;
/** @brief Topic mode: serve @p g (borrowed) from the main loop. */
void fetcher_engine_set_group(struct fetcher_engine *e,
                              struct fetcher_group *g);
/** @brief Fetch one page that comes from no feed. */
enum vl_rc fetcher_engine_add_url(struct fetcher_engine *e, const char *url,
                                  struct vl_err *err);
/**
 * @brief The main loop, until a stop signal, a fatal error, or, with
 * @p once, until every source was polled once and every page settled.
 * Ends with the producer flushed (drain.ms). @returns the exit code.
 */
int fetcher_engine_run(struct fetcher_engine *e, bool once);
#define FETCHER_POLL_MAX_BACKOFF_MS (86400LL * 1000)

/**
 * @brief The adaptive polling interval of a source. @p *cur_ms (0: not
 * adapted yet, start from @p base_ms) is halved after a poll that brought
 * @p fresh > 0 new items, grown by half after one with none (@p fresh 0),
 * left as is otherwise (@p fresh < 0: a failure, or no adaptation), and
 * kept within [base / 4 (at least 1 s, or base if smaller), base * 4];
 * a publisher's hint @p hint_s (ttl, sy:updatePeriod, max-age; 0 or less:
 * none) raises it, up to base * 4. @returns the delay before the next poll
 * (no jitter): *cur_ms, doubled for each of @p failures after the first,
 * up to FETCHER_POLL_MAX_BACKOFF_MS.
 */
int64_t fetcher_poll_delay_ms(int64_t base_ms, int64_t *cur_ms, int fresh,
                              int64_t hint_s, int failures);
/**
 * @brief Did a server answer 304 under a validator that no longer matches
 * the content? True when a full response brought @p fresh > 0 new items
 * under the same ETag as the one we held (or, without ETags, the same
 * Last-Modified).
 */
bool fetcher_validators_stale(const char *old_etag, const char *old_lm,
                              const char *new_etag, const char *new_lm,
                              int fresh);
/** @brief vl_dr_fn for the producer (ctx: the engine, opaque: the page). */
void fetcher_engine_on_delivery(void *ctx, void *opaque,
                                rd_kafka_resp_err_t kerr,
                                const rd_kafka_message_t *rkm);
const struct fetcher_engine_stats *
fetcher_engine_stats(const struct fetcher_engine *e);

/* ----------------------------------------------------------------- group */

/**
 * @brief Topic mode: join consumer group sources.group on sources.topic.
 * A partition assigned is read from its beginning together with the same
 * partition of state.topic; once both are read to their end, its sites'
 * sources (with the state their last owner published) go to @p e. A
 * partition revoked takes its sources away from @p e, its transfers
 * aborted and its state published first. Everything runs on the main
 * thread, from fetcher_group_poll().
 * @param cf, fc, sc, e, p, m borrowed; they must outlive the group. The
 * producer's delivery reports must go to fetcher_engine_on_delivery().
 * @returns new group, or NULL with err set (VL_REJECT: bad configuration,
 * VL_FATAL otherwise).
 */
struct fetcher_group *fetcher_group_new(const struct vl_conf *cf,
                                        const struct fetcher_conf *fc,
                                        const struct vl_stage_conf *sc,
                                        struct fetcher_engine *e,
                                        struct vl_producer *p,
                                        struct vl_metrics *m,
                                        struct vl_err *err);
/** @brief Serve rebalances and records, publish due states (never
 * blocks, but in a rebalance). */
void fetcher_group_poll(struct fetcher_group *g);
/** @brief The delivery report of a state record (the engine passes them
 * on: their opaque is the group). */
void fetcher_group_delivered(struct fetcher_group *g,
                             rd_kafka_resp_err_t kerr);
/** @brief Publish every unpublished state, flush, leave the group. */
void fetcher_group_close(struct fetcher_group *g);
void fetcher_group_destroy(struct fetcher_group *g);
/** @brief The state record of a site: {"schema":"veille.fetcher.state.v1",
 * "site":key, "sources":{url: fetcher_source_state(), ...}} for the
 * sources of @p ss whose key is @p key. @returns new object. */
json_t *fetcher_group_state(const struct fetcher_sources *ss,
                            const char *key);
/**
 * @brief --sources.publish: read the sources file @p path, group its
 * sources by site (fetch.politeness.key), and publish one record a site
 * to sources.topic: the sites that are new or changed, and a tombstone for
 * each site of the topic that the file no longer has. @returns the exit
 * code (0, 1, or 2 for a bad file).
 */
int fetcher_group_publish(const struct vl_conf *cf,
                          const struct fetcher_conf *fc, const char *path);

#endif
