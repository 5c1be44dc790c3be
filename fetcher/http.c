/* HTTP transfers on libcurl's multi interface (one curl_multi_poll loop on
 * the main thread), with our own admission: a FIFO queue per host, hosts
 * served round-robin, at most max_per_host transfers to a host and
 * max_concurrent in all. Politeness (delays, robots.txt) will hang off
 * struct http_host. */
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
#include "veille/text.h"
#include "fetcher.h"

#define HTTP_MAX_REDIRS 5L

static const char accept_feed[] =
        "Accept: application/rss+xml, application/atom+xml, "
        "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.8, "
        "*/*;q=0.5";
static const char accept_page[] =
        "Accept: text/html, application/xhtml+xml;q=0.9, */*;q=0.8";

struct http_host {
        char *name;
        int active;
        struct fetcher_xfer *head; /* queued, not started */
        struct fetcher_xfer *tail;
        bool ready;                /* in the ready list */
        struct http_host *ready_next;
};

struct fetcher_http {
        CURLM *multi;
        struct fetcher_http_conf hc;
        char *user_agent;
        fetcher_http_done_fn *done;
        void *ctx;
        struct fetcher_map hosts;  /* name -> struct http_host */
        struct fetcher_xfer *active_head; /* in libcurl's hands */
        struct fetcher_xfer *failed_head; /* ended before starting */
        struct fetcher_xfer *failed_tail;
        struct http_host *ready_head; /* hosts with a queued transfer and a
                                         free slot, round-robin */
        struct http_host *ready_tail;
        int active;
        int pending;
};

/* --------------------------------------------------------------- xfers */

struct fetcher_xfer *fetcher_xfer_new(enum fetcher_xfer_kind kind,
                                      const char *url, void *priv)
{
        struct fetcher_xfer *x = vl_xcalloc(1, sizeof(*x));

        x->kind = kind;
        x->url = vl_xstrdup(url);
        x->priv = priv;
        x->retry_after_s = -1;
        vl_buf_init(&x->body, 0);
        return x;
}

void fetcher_xfer_destroy(struct fetcher_xfer *x)
{
        if (!x)
                return;
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

static bool v4_blocked(uint32_t a)
{
        return (a >> 24) == 0 ||                  /* this network */
               (a >> 24) == 10 ||                 /* private */
               (a >> 24) == 127 ||                /* loopback */
               (a & 0xffc00000u) == 0x64400000u || /* 100.64/10 shared */
               (a & 0xffff0000u) == 0xa9fe0000u || /* 169.254/16 link */
               (a & 0xfff00000u) == 0xac100000u || /* 172.16/12 */
               (a & 0xffffff00u) == 0xc0000000u || /* 192.0.0/24 */
               (a & 0xffffff00u) == 0xc0000200u || /* 192.0.2/24 doc */
               (a & 0xffff0000u) == 0xc0a80000u || /* 192.168/16 */
               (a & 0xfffe0000u) == 0xc6120000u || /* 198.18/15 bench */
               (a & 0xffffff00u) == 0xc6336400u || /* 198.51.100/24 doc */
               (a & 0xffffff00u) == 0xcb007100u || /* 203.0.113/24 doc */
               (a & 0xf0000000u) == 0xe0000000u || /* multicast */
               (a & 0xf0000000u) == 0xf0000000u;   /* reserved, broadcast */
}

bool fetcher_http_addr_blocked(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET) {
                struct sockaddr_in in;

                memcpy(&in, sa, sizeof(in));
                return v4_blocked(ntohl(in.sin_addr.s_addr));
        }
        if (sa->sa_family == AF_INET6) {
                static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0xff,
                                                          0xff };
                static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
                static const unsigned char zero[12];
                struct sockaddr_in6 in6;
                const unsigned char *b;
                uint32_t v4;

                memcpy(&in6, sa, sizeof(in6));
                b = in6.sin6_addr.s6_addr;
                v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                     (uint32_t)b[14] << 8 | b[15];
                if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12) ||
                    !memcmp(b, zero, 12)) /* ::a.b.c.d, ::1 and :: too */
                        return v4_blocked(v4);
                return (b[0] & 0xfe) == 0xfc ||                 /* ULA */
                       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* link */
                       (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* site */
                       b[0] == 0xff ||                          /* mcast */
                       (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
                        b[3] == 0xb8);                          /* doc */
        }
        return true; /* neither IPv4 nor IPv6: not the web */
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
        x->body.max = (size_t)hc->max_body_bytes;
        l = curl_slist_append(x->hdrs, x->kind == FETCHER_XFER_FEED
                                               ? accept_feed
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
        SETOPT(easy, CURLOPT_URL, x->url);
        SETOPT(easy, CURLOPT_PRIVATE, (void *)x);
        SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
        SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        SETOPT(easy, CURLOPT_FOLLOWLOCATION, 1L);
        SETOPT(easy, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
        SETOPT(easy, CURLOPT_AUTOREFERER, 1L);
        SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)hc->connect_timeout_ms);
        SETOPT(easy, CURLOPT_TIMEOUT_MS, (long)hc->timeout_ms);
        SETOPT(easy, CURLOPT_ACCEPT_ENCODING, "");
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
        if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &l) == CURLE_OK)
                x->redirects = l;
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
        }
}

/* --------------------------------------------------------------- hosts */

static char *host_of(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL;
        char *r;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
                curl_url_get(u, CURLUPART_HOST, &host, 0);
        r = vl_xstrdup(host ? host : "");
        for (char *p = r; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        curl_free(host);
        curl_url_cleanup(u);
        return r;
}

static bool host_eligible(const struct fetcher_http *h,
                          const struct http_host *hh)
{
        return hh->head && hh->active < h->hc.max_per_host;
}

static void ready_push(struct fetcher_http *h, struct http_host *hh)
{
        if (hh->ready || !host_eligible(h, hh))
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

/* Forget an idle host (nothing active, nothing queued, not ready). */
static void host_gc(struct fetcher_http *h, struct http_host *hh)
{
        if (hh->active || hh->head || hh->ready)
                return;
        fetcher_map_del(&h->hosts, hh->name);
        free(hh->name);
        free(hh);
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

/* Take an active transfer out of libcurl and of its host's count. */
static void detach(struct fetcher_http *h, struct fetcher_xfer *x)
{
        struct http_host *hh = x->host;

        active_unlink(h, x);
        if (x->easy) {
                curl_multi_remove_handle(h->multi, x->easy);
                curl_easy_cleanup(x->easy);
                x->easy = NULL;
        }
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        x->elapsed_ms = vl_time_mono_ms() - x->started_ms;
        x->host = NULL;
        hh->active--;
        h->active--;
        ready_push(h, hh);
        host_gc(h, hh);
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

static void start_one(struct fetcher_http *h, struct http_host *hh)
{
        struct fetcher_xfer *x = hh->head;
        CURLMcode mc;

        hh->head = x->next;
        if (!hh->head)
                hh->tail = NULL;
        x->next = NULL;
        h->pending--;
        x->started_ms = vl_time_mono_ms();
        x->code = setup(h, x);
        if (x->code == CURLE_OK) {
                mc = curl_multi_add_handle(h->multi, x->easy);
                if (mc == CURLM_OK) {
                        hh->active++;
                        h->active++;
                        active_link(h, x);
                        return;
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
        fail_later(h, x);
}

static void start_ready(struct fetcher_http *h)
{
        while (h->active < h->hc.max_concurrent) {
                struct http_host *hh = ready_pop(h);

                if (!hh)
                        break;
                if (host_eligible(h, hh))
                        start_one(h, hh); /* never frees hh */
                ready_push(h, hh);
                host_gc(h, hh);
        }
}

struct fetcher_http *fetcher_http_new(const struct fetcher_http_conf *hc,
                                      fetcher_http_done_fn *done, void *ctx,
                                      struct vl_err *err)
{
        struct fetcher_http *h = vl_xcalloc(1, sizeof(*h));

        h->hc = *hc;
        if (h->hc.max_concurrent < 1)
                h->hc.max_concurrent = 1;
        if (h->hc.max_per_host < 1)
                h->hc.max_per_host = 1;
        h->user_agent = vl_xstrdup(hc->user_agent ? hc->user_agent : "veille");
        h->hc.user_agent = h->user_agent;
        h->done = done;
        h->ctx = ctx;
        fetcher_map_init(&h->hosts);
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
        fetcher_map_release(&h->hosts, NULL);
        if (h->multi)
                curl_multi_cleanup(h->multi);
        free(h->user_agent);
        free(h);
}

void fetcher_http_submit(struct fetcher_http *h, struct fetcher_xfer *x)
{
        char *name = host_of(x->url);
        struct http_host *hh = fetcher_map_get(&h->hosts, name);

        if (!hh) {
                hh = vl_xcalloc(1, sizeof(*hh));
                hh->name = name;
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
        ready_push(h, hh);
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

        start_ready(h);
        if (h->failed_head)
                timeout_ms = 0;
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
                detach(h, x);
                h->done(h->ctx, x);
        }
        report_failed(h, false);
        start_ready(h);
        return VL_OK;
}

void fetcher_http_abort_pending(struct fetcher_http *h)
{
        struct http_host *hh;
        size_t i;

        while (ready_pop(h))
                ;
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
        /* hosts left idle are collected as their transfers end; the idle
         * ones now go at once */
        for (i = 0; i < h->hosts.nb; i++) {
                struct fetcher_map_entry *me = h->hosts.b[i];

                while (me) {
                        struct fetcher_map_entry *next = me->next;

                        host_gc(h, me->val);
                        me = next;
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
                detach(h, x);
                h->done(h->ctx, x);
        }
        report_failed(h, true);
}

int fetcher_http_active(const struct fetcher_http *h)
{
        return h->active;
}

int fetcher_http_pending(const struct fetcher_http *h)
{
        return h->pending;
}
