/* HTTP transfers on libcurl's multi interface (one curl_multi_poll loop on
 * the main thread), with our own admission: a FIFO queue per host (an
 * origin: scheme://host:port), hosts served round-robin, at most
 * max_per_host transfers to a host and max_concurrent in all.
 *
 * Politeness lives in struct http_host: its robots.txt (fetched before
 * anything else, cached ROBOTS_TTL_MS), and in its struct http_slot (the
 * host itself, or its registrable domain): the transfers in flight and the
 * time before which no request may start (next_ms: the delay after each
 * request's start and end, Retry-After, a pause after repeated failures). A host whose queue waits
 * only for time sits in the timed list; one that may start now, in the
 * ready list. Hosts outlive their transfers (their robots.txt and delay
 * must), and are swept once idle and expired.
 *
 * Redirects are ours, not libcurl's: a 3xx ends the request, and the
 * transfer joins the queue of the target's host, so that each hop is
 * checked against that host's robots.txt and waits for its delay, like any
 * other request to it (robots.txt requests themselves are followed by
 * libcurl: RFC 9309 2.3.1.2). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "veille/codec.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/net.h"
#include "veille/text.h"
#include "fetcher.h"

#define HTTP_MAX_REDIRS 5L
#define ROBOTS_TTL_MS (24LL * 3600 * 1000)   /* RFC 9309: at most 24 h */
#define ROBOTS_RETRY_MS 1000LL               /* unreachable: first retry */
#define MAX_PAUSE_MS (3600LL * 1000)
#define RETRY_AFTER_MAX_MS (3600LL * 1000)
#define SWEEP_EVERY_MS (60LL * 1000)

static const char accept_feed[] =
        "Accept: application/rss+xml, application/atom+xml, "
        "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.8, "
        "*/*;q=0.5";
static const char accept_page[] =
        "Accept: text/html, application/xhtml+xml;q=0.9, */*;q=0.8";
static const char accept_robots[] = "Accept: text/plain, */*;q=0.5";

enum robots_state { ROBOTS_NONE = 0, ROBOTS_FETCHING, ROBOTS_READY };

struct http_host {
        char *name;                /* origin */
        int active;
        struct fetcher_xfer *head; /* queued, not started */
        struct fetcher_xfer *tail;
        bool ready;                /* in the ready list */
        struct http_host *ready_next;
        bool timed;                /* in the timed list */
        struct http_host *timed_next;
        struct http_slot *slot;    /* its politeness unit */
        struct http_host *slot_next; /* the other hosts of the slot */
        int64_t delay_ms;          /* host_delay_ms or Crawl-delay */
        enum robots_state robots_state;
        struct fetcher_robots robots;
        bool robots_good;          /* robots came from a real answer */
        int64_t robots_expires_ms;
        int robots_failures;
        int failures;              /* retryable failures in a row */
        bool paused;
        bool web;                  /* http or https: robots.txt applies */
};

/* What politeness counts per: an origin (fetch.politeness.key=host, one
 * host a slot), or a registrable domain (=domain: every origin of
 * example.com shares one slot). Transfers in flight and the time before
 * which none may start are the slot's; robots.txt stays per origin. */
struct http_slot {
        char *name;
        int active;                /* transfers in flight, all its hosts */
        int64_t next_ms;           /* monotonic: no request starts before */
        struct http_host *hosts;   /* linked by slot_next */
};

struct http_counters {
        atomic_ullong *robots_ok;
        atomic_ullong *robots_missing;
        atomic_ullong *robots_unreachable;
        atomic_ullong *robots_denied;
        atomic_ullong *host_pauses;
        atomic_ullong *retry_after;
        atomic_ullong *g_paused;
};

struct fetcher_http {
        CURLM *multi;
        struct fetcher_http_conf hc;
        char *user_agent;
        fetcher_http_done_fn *done;
        void *ctx;
        struct fetcher_map hosts;  /* name -> struct http_host */
        struct fetcher_map slots;  /* name -> struct http_slot */
        struct fetcher_xfer *active_head; /* in libcurl's hands */
        struct fetcher_xfer *failed_head; /* ended before starting */
        struct fetcher_xfer *failed_tail;
        struct http_host *ready_head; /* hosts with a queued transfer and a
                                         free slot, round-robin */
        struct http_host *ready_tail;
        struct http_host *timed_head; /* hosts waiting for next_ms */
        int64_t timed_min_ms;
        int64_t next_sweep_ms;
        char *agent;                  /* robots.txt product token */
        struct http_counters c;
        int active;
        int pending;
        int paused;
};

static void inc(atomic_ullong *c)
{
        if (c)
                atomic_fetch_add(c, 1);
}

/* --------------------------------------------------------------- xfers */

struct fetcher_xfer *fetcher_xfer_new(enum fetcher_xfer_kind kind,
                                      const char *url, void *priv)
{
        struct fetcher_xfer *x = vl_xcalloc(1, sizeof(*x));

        x->kind = kind;
        x->url = vl_xstrdup(url);
        x->priv = priv;
        x->retry_after_s = -1;
        x->max_age_s = -1;
        vl_buf_init(&x->body, 0);
        return x;
}

static const char *cur_url(const struct fetcher_xfer *x)
{
        return x->hop_url ? x->hop_url : x->url;
}

void fetcher_xfer_destroy(struct fetcher_xfer *x)
{
        if (!x)
                return;
        for (long i = 0; i < x->redirects && x->visited; i++)
                free(x->visited[i]);
        free(x->visited);
        free(x->hop_url);
        free(x->location);
        free(x->url);
        free(x->if_none_match);
        free(x->if_modified_since);
        vl_buf_release(&x->body);
        free(x->final_url);
        free(x->content_type);
        free(x->etag);
        free(x->last_modified);
        free(x->content_encoding);
        curl_slist_free_all(x->hdrs);
        if (x->easy)
                curl_easy_cleanup(x->easy);
        free(x);
}

enum vl_rc fetcher_xfer_result(const struct fetcher_xfer *x,
                               struct vl_err *err)
{
        const char *msg =
                x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->code);

        if (x->aborted)
                return vl_err_set(err, VL_RETRY, "fetch of '%s' aborted",
                                  x->url);
        if (x->robots_unreachable)
                return vl_err_set(err, VL_RETRY,
                                  "cannot fetch '%s': its robots.txt is "
                                  "unreachable (the host is disallowed "
                                  "meanwhile)",
                                  x->url);
        if (x->robots_denied && x->hop_url)
                return vl_err_set(err, VL_REJECT,
                                  "cannot fetch '%s': its redirect to '%s' "
                                  "is disallowed by robots.txt",
                                  x->url, x->hop_url);
        if (x->robots_denied)
                return vl_err_set(err, VL_REJECT,
                                  "cannot fetch '%s': disallowed by "
                                  "robots.txt",
                                  x->url);
        switch (x->code) {
        case CURLE_OK:
                break;
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (x->too_big || x->code == CURLE_FILESIZE_EXCEEDED)
                        return vl_err_set(err, VL_REJECT,
                                          "cannot fetch '%s': body larger "
                                          "than %zu bytes",
                                          x->url, x->body.max);
                return vl_err_set(err, VL_RETRY, "cannot fetch '%s': %s",
                                  x->url, msg);
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return vl_err_set(err, VL_REJECT,
                                  "cannot fetch '%s': not an http(s) URL (%s)",
                                  x->url, msg);
        case CURLE_TOO_MANY_REDIRECTS:
                if (x->redirect_loop)
                        return vl_err_set(err, VL_REJECT,
                                          "cannot fetch '%s': redirect loop "
                                          "after %ld redirects",
                                          x->url, x->redirects);
                return vl_err_set(err, VL_REJECT,
                                  "cannot fetch '%s': more than %ld redirects",
                                  x->url, HTTP_MAX_REDIRS);
        case CURLE_COULDNT_CONNECT:
                if (x->blocked)
                        return vl_err_set(err, VL_REJECT,
                                          "cannot fetch '%s': refused "
                                          "private address %s "
                                          "(fetch.allow.private)",
                                          x->url, x->blocked_addr);
                return vl_err_set(err, VL_RETRY, "cannot fetch '%s': %s",
                                  x->url, msg);
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_REMOTE_ACCESS_DENIED:
                return vl_err_set(err, VL_REJECT, "cannot fetch '%s': %s",
                                  x->url, msg);
        case CURLE_OUT_OF_MEMORY:
        case CURLE_FAILED_INIT:
                return vl_err_set(err, VL_RETRY, "cannot fetch '%s': %s",
                                  x->url, msg);
        default:
                /* timeouts, resolution, resets, partial bodies, TLS
                 * handshakes: may pass */
                return vl_err_set(err, VL_RETRY, "cannot fetch '%s': %s",
                                  x->url, msg);
        }
        if ((x->status >= 200 && x->status < 300) || x->status == 304)
                return VL_OK;
        if (x->status == 408 || x->status == 425 || x->status == 429 ||
            x->status >= 500)
                return vl_err_set(err, VL_RETRY, "cannot fetch '%s': HTTP %ld",
                                  x->url, x->status);
        return vl_err_set(err, VL_REJECT, "cannot fetch '%s': HTTP %ld",
                          x->url, x->status);
}

/* ------------------------------------------------------- address check */

bool fetcher_http_addr_blocked(const struct sockaddr *sa)
{
        return vl_net_addr_blocked(sa);
}

static curl_socket_t on_opensocket(void *ud, curlsocktype purpose,
                                   struct curl_sockaddr *a)
{
        struct fetcher_xfer *x = ud;
        struct sockaddr_storage ss;

        (void)purpose;
        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, &a->addr,
               a->addrlen < sizeof(ss) ? a->addrlen : sizeof(ss));
        if (fetcher_http_addr_blocked((const struct sockaddr *)&ss)) {
                const struct sockaddr_in6 *in6 = (const void *)&ss;
                const struct sockaddr_in *in = (const void *)&ss;
                const void *ip = ss.ss_family == AF_INET6
                                         ? (const void *)&in6->sin6_addr
                                         : (const void *)&in->sin_addr;

                x->blocked = true;
                if (!inet_ntop(ss.ss_family, ip, x->blocked_addr,
                               sizeof(x->blocked_addr)))
                        snprintf(x->blocked_addr, sizeof(x->blocked_addr),
                                 "(family %d)", (int)ss.ss_family);
                return CURL_SOCKET_BAD;
        }
        return socket(a->family, a->socktype, a->protocol);
}

/* -------------------------------------------------------------- easies */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
        struct fetcher_xfer *x = ud;

        if (vl_buf_append(&x->body, p, size * n, NULL) != VL_OK) {
                /* a robots.txt is read up to the cap (RFC 9309 2.5) */
                if (x->kind == FETCHER_XFER_ROBOTS && x->body.len < x->body.max)
                        vl_buf_append(&x->body, p, x->body.max - x->body.len,
                                      NULL);
                x->too_big = true;
                return 0; /* CURLE_WRITE_ERROR */
        }
        return size * n;
}

static char *header_value(CURL *easy, const char *name)
{
        struct curl_header *hv = NULL;

        if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &hv) !=
                    CURLHE_OK ||
            !hv || !hv->value)
                return NULL;
        return vl_utf8_repair(hv->value, strlen(hv->value), NULL);
}

static int64_t retry_after(CURL *easy)
{
        char *v = header_value(easy, "Retry-After");
        int64_t s = -1;
        char *end;

        if (!v)
                return -1;
        s = strtoll(v, &end, 10);
        if (end == v || *end || s < 0) {
                time_t t = curl_getdate(v, NULL);

                s = t < 0 ? -1 : (int64_t)t - vl_time_now_ms() / 1000;
                if (t >= 0 && s < 0)
                        s = 0;
        }
        free(v);
        return s;
}

/* How long the response may be cached: Cache-Control max-age (s-maxage
 * and no-cache ignored: a hint for polling, not a cache), else Expires;
 * -1 when neither says. */
static int64_t max_age(CURL *easy)
{
        char *v = header_value(easy, "Cache-Control");
        int64_t s = -1;

        if (v) {
                for (char *p = v; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char)(*p - 'A' + 'a');
                char *m = strstr(v, "max-age");

                if (m && (m == v || m[-1] == ' ' || m[-1] == ',') &&
                    m[7] == '=') {
                        char *end;
                        long long n = strtoll(m + 8, &end, 10);

                        if (end != m + 8 && n >= 0)
                                s = n;
                }
                free(v);
                if (s >= 0)
                        return s;
        }
        v = header_value(easy, "Expires");
        if (v) {
                time_t t = curl_getdate(v, NULL);

                if (t >= 0) {
                        s = (int64_t)t - vl_time_now_ms() / 1000;
                        if (s < 0)
                                s = 0;
                }
                free(v);
        }
        return s;
}

/* CURLOPT setters fail only on an unknown option or out of memory; the
 * result of each is checked once, here. */
#define SETOPT(easy, opt, val)                                                 \
        do {                                                                   \
                if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK)        \
                        goto fail;                                             \
        } while (0)

static CURLcode setup(struct fetcher_http *h, struct fetcher_xfer *x)
{
        CURL *easy = curl_easy_init();
        const struct fetcher_http_conf *hc = &h->hc;
        struct curl_slist *l;

        if (!easy)
                return CURLE_OUT_OF_MEMORY;
        x->easy = easy;
        x->body.max = x->kind == FETCHER_XFER_ROBOTS
                              ? FETCHER_ROBOTS_MAX_BYTES
                              : (size_t)hc->max_body_bytes;
        l = curl_slist_append(x->hdrs, x->kind == FETCHER_XFER_FEED
                                               ? accept_feed
                               : x->kind == FETCHER_XFER_ROBOTS
                                       ? accept_robots
                                       : accept_page);
        if (!l)
                goto fail;
        x->hdrs = l;
        if (x->if_none_match) {
                char *hv = vl_xasprintf("If-None-Match: %s", x->if_none_match);

                l = curl_slist_append(x->hdrs, hv);
                free(hv);
                if (!l)
                        goto fail;
                x->hdrs = l;
        }
        if (x->if_modified_since) {
                char *hv = vl_xasprintf("If-Modified-Since: %s",
                                        x->if_modified_since);

                l = curl_slist_append(x->hdrs, hv);
                free(hv);
                if (!l)
                        goto fail;
                x->hdrs = l;
        }
        SETOPT(easy, CURLOPT_URL, cur_url(x));
        SETOPT(easy, CURLOPT_PRIVATE, (void *)x);
        SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
        SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        if (x->kind == FETCHER_XFER_ROBOTS) {
                SETOPT(easy, CURLOPT_FOLLOWLOCATION, 1L);
                SETOPT(easy, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
        }
        if (x->hop_url && x->redirects > 0)
                SETOPT(easy, CURLOPT_REFERER,
                       x->redirects > 1 ? x->visited[x->redirects - 2]
                                        : x->url);
        SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)hc->connect_timeout_ms);
        SETOPT(easy, CURLOPT_TIMEOUT_MS, (long)hc->timeout_ms);
        SETOPT(easy, CURLOPT_ACCEPT_ENCODING, "");
        if (x->kind != FETCHER_XFER_ROBOTS)
                SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE,
                       (curl_off_t)hc->max_body_bytes);
        SETOPT(easy, CURLOPT_ERRORBUFFER, x->errbuf);
        SETOPT(easy, CURLOPT_USERAGENT, h->user_agent);
        SETOPT(easy, CURLOPT_HTTPHEADER, x->hdrs);
        SETOPT(easy, CURLOPT_WRITEFUNCTION, on_body);
        SETOPT(easy, CURLOPT_WRITEDATA, (void *)x);
        if (!hc->allow_private) {
                SETOPT(easy, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
                SETOPT(easy, CURLOPT_OPENSOCKETDATA, (void *)x);
        }
        return CURLE_OK;
fail:
        return CURLE_FAILED_INIT;
}

static void collect(struct fetcher_xfer *x)
{
        CURL *easy = x->easy;
        char *s = NULL;
        long l = 0;

        if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &l) == CURLE_OK)
                x->status = l;
        if (x->kind == FETCHER_XFER_ROBOTS &&
            curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &l) == CURLE_OK)
                x->redirects = l;
        if (x->kind != FETCHER_XFER_ROBOTS && x->code == CURLE_OK &&
            (x->status == 301 || x->status == 302 || x->status == 303 ||
             x->status == 307 || x->status == 308) &&
            curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &s) == CURLE_OK &&
            s)
                x->location = vl_xstrdup(s);
        s = NULL;
        if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK &&
            s)
                x->final_url = vl_utf8_repair(s, strlen(s), NULL);
        s = NULL;
        if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK &&
            s)
                x->content_type = vl_utf8_repair(s, strlen(s), NULL);
        if (x->status > 0) {
                x->etag = header_value(easy, "ETag");
                x->last_modified = header_value(easy, "Last-Modified");
                x->content_encoding = header_value(easy, "Content-Encoding");
                if (x->status == 429 || x->status == 503)
                        x->retry_after_s = retry_after(easy);
                if (x->kind == FETCHER_XFER_FEED)
                        x->max_age_s = max_age(easy);
        }
}

/* --------------------------------------------------------------- hosts */

/* scheme://host:port, lowercased, default port made explicit: the unit of
 * robots.txt (RFC 9309 2.3) and of politeness. */
static char *origin_of(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL;
        char *r;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
                curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
                curl_url_get(u, CURLUPART_HOST, &host, 0);
                curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        }
        r = vl_xasprintf("%s://%s:%s", scheme ? scheme : "",
                         host ? host : "", port ? port : "");
        for (char *p = r; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return r;
}

/* Path and query of @p url ("/" when it has none). @returns new string. */
static char *path_of(const char *url)
{
        CURLU *u = curl_url();
        char *path = NULL, *query = NULL;
        char *r;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
                curl_url_get(u, CURLUPART_PATH, &path, 0);
                curl_url_get(u, CURLUPART_QUERY, &query, 0);
        }
        r = vl_xasprintf("%s%s%s", path && *path ? path : "/",
                         query ? "?" : "", query ? query : "");
        curl_free(path);
        curl_free(query);
        curl_url_cleanup(u);
        return r;
}

static bool robots_due(const struct fetcher_http *h,
                       const struct http_host *hh, int64_t now)
{
        return h->hc.robots && hh->web &&
               (hh->robots_state == ROBOTS_NONE ||
                (hh->robots_state == ROBOTS_READY && hh->active == 0 &&
                 now >= hh->robots_expires_ms));
}

/* Could a request to @p hh start now, but for the time? */
static bool host_has_work(const struct fetcher_http *h,
                          const struct http_host *hh)
{
        return hh->head && hh->slot->active < h->hc.max_per_host &&
               hh->robots_state != ROBOTS_FETCHING;
}

static void ready_push(struct fetcher_http *h, struct http_host *hh)
{
        if (hh->ready)
                return;
        hh->ready = true;
        hh->ready_next = NULL;
        if (h->ready_tail)
                h->ready_tail->ready_next = hh;
        else
                h->ready_head = hh;
        h->ready_tail = hh;
}

static struct http_host *ready_pop(struct fetcher_http *h)
{
        struct http_host *hh = h->ready_head;

        if (!hh)
                return NULL;
        h->ready_head = hh->ready_next;
        if (!h->ready_head)
                h->ready_tail = NULL;
        hh->ready = false;
        hh->ready_next = NULL;
        return hh;
}

static void timed_add(struct fetcher_http *h, struct http_host *hh)
{
        if (!hh->timed) {
                hh->timed = true;
                hh->timed_next = h->timed_head;
                h->timed_head = hh;
        }
        if (hh->slot->next_ms < h->timed_min_ms)
                h->timed_min_ms = hh->slot->next_ms;
}

/* Put @p hh where it belongs: ready, timed, or nowhere (nothing queued, or
 * waiting for a transfer or its robots.txt to end). */
static void host_wake(struct fetcher_http *h, struct http_host *hh,
                      int64_t now)
{
        if (hh->ready || !host_has_work(h, hh))
                return;
        if (now < hh->slot->next_ms)
                timed_add(h, hh);
        else if (!hh->timed)
                ready_push(h, hh);
}

/* Move the hosts whose time has come from the timed list to the ready
 * one. Cheap unless one is due: timed_min_ms is the earliest. */
static void timed_scan(struct fetcher_http *h, int64_t now)
{
        struct http_host **pp = &h->timed_head;
        struct http_host *due = NULL;

        if (now < h->timed_min_ms)
                return;
        h->timed_min_ms = INT64_MAX;
        while (*pp) {
                struct http_host *hh = *pp;

                if (hh->slot->next_ms <= now || !host_has_work(h, hh)) {
                        *pp = hh->timed_next;
                        hh->timed = false;
                        hh->timed_next = due;
                        due = hh;
                        continue;
                }
                if (hh->slot->next_ms < h->timed_min_ms)
                        h->timed_min_ms = hh->slot->next_ms;
                pp = &hh->timed_next;
        }
        while (due) {
                struct http_host *hh = due;

                due = hh->timed_next;
                hh->timed_next = NULL;
                host_wake(h, hh, now);
        }
}

/* Wake every host of @p sl: a request of one of them ended. */
static void slot_wake(struct fetcher_http *h, struct http_slot *sl,
                      int64_t now)
{
        for (struct http_host *hh = sl->hosts; hh; hh = hh->slot_next)
                host_wake(h, hh, now);
}

static void host_free_in(struct fetcher_http *h, struct http_host *hh)
{
        struct http_slot *sl = hh->slot;
        struct http_host **pp = &sl->hosts;

        while (*pp != hh)
                pp = &(*pp)->slot_next;
        *pp = hh->slot_next;
        if (!sl->hosts) {
                if (h)
                        fetcher_map_del(&h->slots, sl->name);
                free(sl->name);
                free(sl);
        }
        fetcher_robots_release(&hh->robots);
        free(hh->name);
        free(hh);
}

static void host_free(void *val)
{
        host_free_in(NULL, val);
}

static void set_paused_gauge(struct fetcher_http *h)
{
        if (h->c.g_paused)
                atomic_store(h->c.g_paused, (unsigned long long)h->paused);
}

struct sweep {
        struct http_host **v;
        size_t n;
        int64_t now;
};

static void sweep_pick(void *ctx, const char *key, void *val)
{
        struct sweep *sw = ctx;
        struct http_host *hh = val;

        (void)key;
        /* a paused host with nothing queued is forgotten once its pause
         * is over: it starts afresh if it comes back */
        if (!hh->active && !hh->head && !hh->ready && !hh->timed &&
            hh->robots_state != ROBOTS_FETCHING &&
            sw->now >= hh->robots_expires_ms && sw->now >= hh->slot->next_ms)
                sw->v[sw->n++] = hh;
}

/* Forget the hosts with nothing left to remember. */
static void sweep(struct fetcher_http *h, int64_t now)
{
        struct sweep sw = { .now = now };
        size_t i;

        h->next_sweep_ms = now + SWEEP_EVERY_MS;
        if (!h->hosts.n)
                return;
        sw.v = vl_xcalloc(h->hosts.n, sizeof(*sw.v));
        fetcher_map_each(&h->hosts, sweep_pick, &sw);
        for (i = 0; i < sw.n; i++) {
                if (sw.v[i]->paused)
                        h->paused--;
                fetcher_map_del(&h->hosts, sw.v[i]->name);
                host_free_in(h, sw.v[i]);
        }
        set_paused_gauge(h);
        free(sw.v);
}

/* ----------------------------------------------------------------- run */

static void active_link(struct fetcher_http *h, struct fetcher_xfer *x)
{
        x->prev = NULL;
        x->next = h->active_head;
        if (h->active_head)
                h->active_head->prev = x;
        h->active_head = x;
}

static void active_unlink(struct fetcher_http *h, struct fetcher_xfer *x)
{
        if (x->prev)
                x->prev->next = x->next;
        else
                h->active_head = x->next;
        if (x->next)
                x->next->prev = x->prev;
        x->next = NULL;
        x->prev = NULL;
}

static void later(int64_t *t, int64_t v)
{
        if (v > *t)
                *t = v;
}


/* The host's side of a response: failures in a row pause it (doubling),
 * any real answer resumes it; Retry-After holds every request to it. */
static void host_account(struct fetcher_http *h, struct http_host *hh,
                         const struct fetcher_xfer *x, int64_t now)
{
        struct vl_err err;

        if (x->aborted)
                return;
        if ((x->status == 429 || x->status == 503) && x->retry_after_s >= 0) {
                int64_t ms = x->retry_after_s * 1000;

                if (ms > RETRY_AFTER_MAX_MS)
                        ms = RETRY_AFTER_MAX_MS;
                later(&hh->slot->next_ms, now + ms);
                inc(h->c.retry_after);
                VL_INFO("http", "host '%s' asks to wait %lld s (HTTP %ld)",
                        hh->name, (long long)(ms / 1000), x->status);
        }
        if (fetcher_xfer_result(x, &err) != VL_RETRY) {
                if (hh->paused) {
                        VL_NOTICE("http", "host '%s' is back after %d "
                                  "failures in a row",
                                  hh->name, hh->failures);
                        hh->paused = false;
                        h->paused--;
                        set_paused_gauge(h);
                }
                hh->failures = 0;
                return;
        }
        hh->failures++;
        if (h->hc.max_host_failures > 0 &&
            hh->failures >= h->hc.max_host_failures) {
                int k = hh->failures - h->hc.max_host_failures;
                int64_t pause = h->hc.host_pause_ms;

                while (k-- > 0 && pause < MAX_PAUSE_MS)
                        pause *= 2;
                if (pause > MAX_PAUSE_MS)
                        pause = MAX_PAUSE_MS;
                later(&hh->slot->next_ms, now + pause);
                inc(h->c.host_pauses);
                if (!hh->paused) {
                        hh->paused = true;
                        h->paused++;
                        set_paused_gauge(h);
                }
                VL_WARN("http", "host '%s' paused for %lld ms after %d "
                        "failures in a row; last: %s",
                        hh->name, (long long)pause, hh->failures, err.msg);
        }
}

/* Take an active transfer out of libcurl and of its host's count. */
static void detach(struct fetcher_http *h, struct fetcher_xfer *x)
{
        struct http_host *hh = x->host;
        int64_t now = vl_time_mono_ms();

        active_unlink(h, x);
        if (x->easy) {
                curl_multi_remove_handle(h->multi, x->easy);
                curl_easy_cleanup(x->easy);
                x->easy = NULL;
        }
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        x->elapsed_ms = now - x->started_ms;
        x->host = NULL;
        hh->active--;
        hh->slot->active--;
        h->active--;
        /* the delay runs from the end of the request too */
        later(&hh->slot->next_ms, now + hh->delay_ms);
        host_account(h, hh, x, now);
}

/* A robots.txt answer, RFC 9309 2.3.1: 2xx is parsed (its first
 * FETCHER_ROBOTS_MAX_BYTES), 4xx means no rules, 5xx, 429 and network
 * errors mean "disallow everything" until a retry succeeds (but rules
 * already known are kept). */
static void robots_done(struct fetcher_http *h, struct http_host *hh,
                        struct fetcher_xfer *x)
{
        int64_t now = vl_time_mono_ms();
        bool got = x->code == CURLE_OK ||
                   (x->code == CURLE_WRITE_ERROR && x->too_big);
        int64_t cd;

        hh->robots_state = ROBOTS_READY;
        if (x->aborted) {
                if (!hh->robots_good)
                        hh->robots_state = ROBOTS_NONE;
                goto out;
        }
        if (got && x->status >= 200 && x->status < 300) {
                size_t len = x->body.len;

                if (x->too_big) /* cut at the last whole line */
                        while (len && x->body.data[len - 1] != '\n')
                                len--;
                fetcher_robots_release(&hh->robots);
                fetcher_robots_parse(&hh->robots,
                                     x->body.data ? x->body.data : "", len,
                                     h->agent);
                hh->robots_good = true;
                hh->robots_failures = 0;
                hh->robots_expires_ms = now + ROBOTS_TTL_MS;
                inc(h->c.robots_ok);
                VL_DEBUG("http", "robots.txt of '%s': %d rules, crawl-delay "
                         "%lld ms", hh->name, hh->robots.n,
                         (long long)hh->robots.crawl_delay_ms);
        } else if (x->blocked ||
                   (got && x->status >= 300 && x->status < 500 &&
                    x->status != 429) ||
                   x->code == CURLE_TOO_MANY_REDIRECTS) {
                /* no robots.txt: no rules (a refused address is reported
                 * by the request itself) */
                fetcher_robots_release(&hh->robots);
                hh->robots_good = true;
                hh->robots_failures = 0;
                hh->robots_expires_ms = now + ROBOTS_TTL_MS;
                inc(h->c.robots_missing);
        } else {
                int64_t retry = ROBOTS_RETRY_MS;
                int k = hh->robots_failures++;

                while (k-- > 0 && retry < MAX_PAUSE_MS)
                        retry *= 2;
                if (retry > MAX_PAUSE_MS)
                        retry = MAX_PAUSE_MS;
                if (!hh->robots_good) {
                        fetcher_robots_release(&hh->robots);
                        fetcher_robots_init(&hh->robots,
                                            FETCHER_ROBOTS_DISALLOW_ALL);
                }
                hh->robots_expires_ms = now + retry;
                inc(h->c.robots_unreachable);
                if (hh->robots_failures == 1)
                        VL_WARN("http", "robots.txt of '%s' unreachable "
                                "(%s): %s", hh->name,
                                x->status ? "HTTP error" : "no answer",
                                hh->robots_good ? "keeping its last rules"
                                                : "host disallowed meanwhile");
        }
        cd = hh->robots.crawl_delay_ms;
        if (cd > h->hc.max_crawl_delay_ms)
                cd = h->hc.max_crawl_delay_ms;
        hh->delay_ms = cd > h->hc.host_delay_ms ? cd : h->hc.host_delay_ms;
        later(&hh->slot->next_ms, now + hh->delay_ms);
out:
        fetcher_xfer_destroy(x);
        slot_wake(h, hh->slot, now);
}

static bool is_web_url(const char *u)
{
        return !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8);
}

/* Forget the response of a hop, before the next one. */
static void reset_response(struct fetcher_xfer *x)
{
        x->code = CURLE_OK;
        x->status = 0;
        x->errbuf[0] = '\0';
        vl_buf_reset(&x->body);
        free(x->final_url);
        free(x->content_type);
        free(x->etag);
        free(x->last_modified);
        free(x->content_encoding);
        x->final_url = x->content_type = x->etag = NULL;
        x->last_modified = x->content_encoding = NULL;
        x->retry_after_s = -1;
        x->max_age_s = -1;
        x->too_big = false;
        x->blocked = false;
}

/* A 3xx with a Location: queue the next hop with its host, or end the
 * transfer with an error (too many hops, a loop, not http(s)). @returns
 * true when the transfer goes on. */
static bool follow(struct fetcher_http *h, struct fetcher_xfer *x)
{
        char *to = x->location;

        x->location = NULL;
        if (x->redirects >= HTTP_MAX_REDIRS) {
                x->code = CURLE_TOO_MANY_REDIRECTS;
                goto stop;
        }
        if (!is_web_url(to)) {
                x->code = CURLE_UNSUPPORTED_PROTOCOL;
                snprintf(x->errbuf, sizeof(x->errbuf),
                         "redirect to a URL that is not http(s)");
                goto stop;
        }
        x->redirect_loop = !strcmp(to, x->url);
        for (long i = 0; i < x->redirects && !x->redirect_loop; i++)
                x->redirect_loop = !strcmp(to, x->visited[i]);
        if (x->redirect_loop) {
                x->code = CURLE_TOO_MANY_REDIRECTS;
                goto stop;
        }
        x->visited = vl_xrealloc(x->visited, (size_t)(x->redirects + 1) *
                                                     sizeof(*x->visited));
        x->visited[x->redirects++] = vl_xstrdup(to);
        free(x->hop_url);
        x->hop_url = to;
        reset_response(x);
        VL_DEBUG("http", "'%s': redirect %ld to '%s'", x->url, x->redirects,
                 to);
        fetcher_http_submit(h, x);
        return true;
stop:
        free(to);
        return false;
}

/* A transfer that libcurl had ends: to the caller, to robots_done, or, for
 * a redirect, to the queue of the next hop's host. */
static void finish(struct fetcher_http *h, struct fetcher_xfer *x)
{
        struct http_host *hh = x->host;

        detach(h, x);
        if (x->kind == FETCHER_XFER_ROBOTS)
                robots_done(h, hh, x);
        else if (!(x->location && !x->aborted && follow(h, x)))
                h->done(h->ctx, x);
        slot_wake(h, hh->slot, vl_time_mono_ms());
}

/* Transfers that ended before libcurl had them, reported by the next
 * fetcher_http_run() (never from inside start_ready()). */
static void fail_later(struct fetcher_http *h, struct fetcher_xfer *x)
{
        x->next = NULL;
        if (h->failed_tail)
                h->failed_tail->next = x;
        else
                h->failed_head = x;
        h->failed_tail = x;
}

/* Hand @p x (set up) to libcurl as one of @p hh's requests. */
static bool launch(struct fetcher_http *h, struct http_host *hh,
                   struct fetcher_xfer *x, int64_t now)
{
        CURLMcode mc;

        x->started_ms = now;
        x->code = setup(h, x);
        if (x->code == CURLE_OK) {
                mc = curl_multi_add_handle(h->multi, x->easy);
                if (mc == CURLM_OK) {
                        hh->active++;
                        hh->slot->active++;
                        h->active++;
                        x->host = hh;
                        active_link(h, x);
                        later(&hh->slot->next_ms, now + hh->delay_ms);
                        return true;
                }
                x->code = CURLE_FAILED_INIT;
                snprintf(x->errbuf, sizeof(x->errbuf), "%s",
                         curl_multi_strerror(mc));
        } else {
                snprintf(x->errbuf, sizeof(x->errbuf),
                         "cannot set up the transfer");
        }
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        x->host = NULL;
        return false;
}

static void start_robots(struct fetcher_http *h, struct http_host *hh,
                         int64_t now)
{
        char *u = vl_xasprintf("%s/robots.txt", hh->name);
        struct fetcher_xfer *x = fetcher_xfer_new(FETCHER_XFER_ROBOTS, u,
                                                  NULL);

        free(u);
        hh->robots_state = ROBOTS_FETCHING;
        if (!launch(h, hh, x, now))
                robots_done(h, hh, x); /* counts as unreachable */
}

static void start_one(struct fetcher_http *h, struct http_host *hh,
                      int64_t now)
{
        struct fetcher_xfer *x;

        if (robots_due(h, hh, now)) {
                start_robots(h, hh, now);
                return;
        }
        x = hh->head;
        hh->head = x->next;
        if (!hh->head)
                hh->tail = NULL;
        x->next = NULL;
        h->pending--;
        if (h->hc.robots && hh->web &&
            hh->robots.mode != FETCHER_ROBOTS_ALLOW_ALL) {
                char *path = path_of(cur_url(x));

                if (!fetcher_robots_allowed(&hh->robots, path)) {
                        if (hh->robots.mode == FETCHER_ROBOTS_DISALLOW_ALL)
                                x->robots_unreachable = true;
                        else
                                x->robots_denied = true;
                        inc(h->c.robots_denied);
                        x->host = NULL;
                        fail_later(h, x);
                        free(path);
                        return;
                }
                free(path);
        }
        if (!launch(h, hh, x, now))
                fail_later(h, x);
}

static void start_ready(struct fetcher_http *h)
{
        int64_t now = vl_time_mono_ms();

        timed_scan(h, now);
        while (h->active < h->hc.max_concurrent) {
                struct http_host *hh = ready_pop(h);

                if (!hh)
                        break;
                if (host_has_work(h, hh) && now >= hh->slot->next_ms)
                        start_one(h, hh, now);
                host_wake(h, hh, now);
        }
}

struct fetcher_http *fetcher_http_new(const struct fetcher_http_conf *hc,
                                      fetcher_http_done_fn *done, void *ctx,
                                      struct vl_err *err)
{
        struct fetcher_http *h = vl_xcalloc(1, sizeof(*h));
        struct vl_metrics *m = hc->m;

        h->hc = *hc;
        if (h->hc.max_concurrent < 1)
                h->hc.max_concurrent = 1;
        if (h->hc.max_per_host < 1)
                h->hc.max_per_host = 1;
        if (h->hc.host_delay_ms < 0)
                h->hc.host_delay_ms = 0;
        if (h->hc.host_pause_ms < 1)
                h->hc.host_pause_ms = 1000;
        h->user_agent = vl_xstrdup(hc->user_agent ? hc->user_agent : "veille");
        h->hc.user_agent = h->user_agent;
        h->agent = fetcher_robots_agent_token(h->user_agent);
        h->done = done;
        h->ctx = ctx;
        h->timed_min_ms = INT64_MAX;
        fetcher_map_init(&h->hosts);
        fetcher_map_init(&h->slots);
        if (m) {
                h->c.robots_ok = vl_metrics_counter(m,
                        "veille_fetcher_robots_fetches_total",
                        "result=\"ok\"", "robots.txt requests, by outcome");
                h->c.robots_missing = vl_metrics_counter(m,
                        "veille_fetcher_robots_fetches_total",
                        "result=\"missing\"",
                        "robots.txt requests, by outcome");
                h->c.robots_unreachable = vl_metrics_counter(m,
                        "veille_fetcher_robots_fetches_total",
                        "result=\"unreachable\"",
                        "robots.txt requests, by outcome");
                h->c.robots_denied = vl_metrics_counter(m,
                        "veille_fetcher_robots_denied_total", NULL,
                        "requests not made: robots.txt disallows them or "
                        "is unreachable");
                h->c.host_pauses = vl_metrics_counter(m,
                        "veille_fetcher_host_pauses_total", NULL,
                        "hosts paused after repeated failures");
                h->c.retry_after = vl_metrics_counter(m,
                        "veille_fetcher_retry_after_total", NULL,
                        "429 and 503 answers with a Retry-After honoured");
                h->c.g_paused = vl_metrics_gauge(m,
                        "veille_fetcher_hosts_paused",
                        "hosts paused after repeated failures");
        }
        h->multi = curl_multi_init();
        if (!h->multi) {
                vl_err_set(err, VL_FATAL, "cannot create a curl multi handle");
                fetcher_http_destroy(h);
                return NULL;
        }
        /* our own admission decides; these only keep libcurl's connection
         * cache in line with it */
        curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          (long)h->hc.max_concurrent);
        curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          (long)h->hc.max_per_host);
        return h;
}

void fetcher_http_destroy(struct fetcher_http *h)
{
        if (!h)
                return;
        if (h->multi)
                fetcher_http_abort(h);
        fetcher_map_release(&h->hosts, host_free);
        fetcher_map_release(&h->slots, NULL); /* freed with their hosts */
        if (h->multi)
                curl_multi_cleanup(h->multi);
        free(h->user_agent);
        free(h->agent);
        free(h);
}

void fetcher_http_submit(struct fetcher_http *h, struct fetcher_xfer *x)
{
        char *name = origin_of(cur_url(x));
        struct http_host *hh = fetcher_map_get(&h->hosts, name);

        if (!hh) {
                char *sname = h->hc.polite_key == FETCHER_POLITE_DOMAIN
                                      ? fetcher_site_key(cur_url(x),
                                                         FETCHER_POLITE_DOMAIN)
                                      : NULL;
                struct http_slot *sl;

                if (!sname)
                        sname = vl_xstrdup(name);
                sl = fetcher_map_get(&h->slots, sname);
                if (!sl) {
                        sl = vl_xcalloc(1, sizeof(*sl));
                        sl->name = sname;
                        fetcher_map_put(&h->slots, sname, sl);
                } else {
                        free(sname);
                }
                hh = vl_xcalloc(1, sizeof(*hh));
                hh->slot = sl;
                hh->slot_next = sl->hosts;
                sl->hosts = hh;
                hh->name = name;
                hh->delay_ms = h->hc.host_delay_ms;
                hh->web = !strncmp(name, "http://", 7) ||
                          !strncmp(name, "https://", 8);
                fetcher_robots_init(&hh->robots, FETCHER_ROBOTS_ALLOW_ALL);
                fetcher_map_put(&h->hosts, name, hh);
        } else {
                free(name);
        }
        x->host = hh;
        x->next = NULL;
        x->prev = NULL;
        if (hh->tail)
                hh->tail->next = x;
        else
                hh->head = x;
        hh->tail = x;
        h->pending++;
        host_wake(h, hh, vl_time_mono_ms());
}

static void report_failed(struct fetcher_http *h, bool aborted)
{
        while (h->failed_head) {
                struct fetcher_xfer *x = h->failed_head;

                h->failed_head = x->next;
                if (!h->failed_head)
                        h->failed_tail = NULL;
                x->next = NULL;
                x->aborted = x->aborted || aborted;
                h->done(h->ctx, x);
        }
}

enum vl_rc fetcher_http_run(struct fetcher_http *h, int timeout_ms,
                            struct vl_err *err)
{
        struct CURLMsg *msg;
        CURLMcode mc;
        int running = 0;
        int left = 0;
        int64_t now;

        start_ready(h);
        now = vl_time_mono_ms();
        if (h->failed_head || h->ready_head)
                timeout_ms = 0;
        else if (h->timed_head && h->timed_min_ms - now < timeout_ms)
                timeout_ms = h->timed_min_ms <= now
                                     ? 0
                                     : (int)(h->timed_min_ms - now);
        mc = curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
        if (mc == CURLM_OK)
                mc = curl_multi_perform(h->multi, &running);
        if (mc != CURLM_OK)
                return vl_err_set(err, VL_FATAL, "curl multi: %s",
                                  curl_multi_strerror(mc));
        for (;;) {
                struct fetcher_xfer *x;
                char *priv = NULL;
                CURLcode code;
                CURL *easy;

                msg = curl_multi_info_read(h->multi, &left);
                if (!msg)
                        break;
                if (msg->msg != CURLMSG_DONE)
                        continue;
                /* msg is invalid once the handle is removed */
                easy = msg->easy_handle;
                code = msg->data.result;
                curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
                x = (struct fetcher_xfer *)(void *)priv;
                if (!x)
                        continue;
                x->code = code;
                collect(x);
                finish(h, x);
        }
        report_failed(h, false);
        start_ready(h);
        now = vl_time_mono_ms();
        if (now >= h->next_sweep_ms)
                sweep(h, now);
        return VL_OK;
}

void fetcher_http_abort_pending(struct fetcher_http *h)
{
        struct http_host *hh;
        size_t i;

        while (ready_pop(h))
                ;
        while (h->timed_head) {
                hh = h->timed_head;
                h->timed_head = hh->timed_next;
                hh->timed = false;
                hh->timed_next = NULL;
        }
        h->timed_min_ms = INT64_MAX;
        /* move every queue to the failed list, then report */
        for (i = 0; i < h->hosts.nb; i++) {
                struct fetcher_map_entry *me;

                for (me = h->hosts.b[i]; me; me = me->next) {
                        hh = me->val;
                        while (hh->head) {
                                struct fetcher_xfer *x = hh->head;

                                hh->head = x->next;
                                x->host = NULL;
                                x->aborted = true;
                                h->pending--;
                                fail_later(h, x);
                        }
                        hh->tail = NULL;
                }
        }
        report_failed(h, true);
}

void fetcher_http_abort(struct fetcher_http *h)
{
        fetcher_http_abort_pending(h);
        while (h->active_head) {
                struct fetcher_xfer *x = h->active_head;

                x->aborted = true;
                finish(h, x);
        }
        report_failed(h, true);
}

void fetcher_http_abort_if(struct fetcher_http *h,
                           bool (*match)(void *ctx,
                                         const struct fetcher_xfer *x),
                           void *ctx)
{
        struct fetcher_xfer **v = NULL;
        struct fetcher_xfer *x;
        size_t i, n = 0, cap = 0;

        for (i = 0; i < h->hosts.nb; i++) {
                struct fetcher_map_entry *me;

                for (me = h->hosts.b[i]; me; me = me->next) {
                        struct http_host *hh = me->val;
                        struct fetcher_xfer **pp = &hh->head;

                        hh->tail = NULL;
                        while (*pp) {
                                x = *pp;
                                if (!match(ctx, x)) {
                                        hh->tail = x;
                                        pp = &x->next;
                                        continue;
                                }
                                *pp = x->next;
                                x->next = NULL;
                                x->host = NULL;
                                x->aborted = true;
                                h->pending--;
                                fail_later(h, x);
                        }
                }
        }
        for (x = h->active_head; x; x = x->next) {
                if (!match(ctx, x))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        v = vl_xrealloc(v, cap * sizeof(*v));
                }
                v[n++] = x;
        }
        for (i = 0; i < n; i++) {
                v[i]->aborted = true;
                finish(h, v[i]);
        }
        free(v);
        report_failed(h, false);
}

int fetcher_http_active(const struct fetcher_http *h)
{
        return h->active;
}

int fetcher_http_pending(const struct fetcher_http *h)
{
        return h->pending;
}

int fetcher_http_sitemaps(struct fetcher_http *h, const char *url,
                          char ***out)
{
        char *name = origin_of(url);
        struct http_host *hh = fetcher_map_get(&h->hosts, name);

        free(name);
        *out = NULL;
        if (!hh || hh->robots_state != ROBOTS_READY)
                return 0;
        *out = hh->robots.sitemaps;
        return hh->robots.nsitemaps;
}

int fetcher_http_hosts_paused(const struct fetcher_http *h)
{
        return h->paused;
}
