/* veille-fetcher: transfers over real HTTP on loopback, against a tiny
 * threaded server in this process (the integration tests use
 * veille-fixture-httpd; this one checks admission and classification). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <jansson.h>
#include "veille/codec.h"
#include "veille/metrics.h"
#include "fetcher/fetcher.h"

struct srv {
        int fd;
        int port;
        char ip[16];
};

static atomic_int cur_all;    /* slow requests being served, both servers */
static atomic_int max_all;
static atomic_int cur_host[2];
static atomic_int max_host[2];
static struct srv servers[2];

/* what /robots.txt answers (each Test runs in its own process) */
static enum { RB_500 = 0, RB_RULES, RB_404, RB_DELAY, RB_HUGE } robots_mode;
static atomic_int robots_hits;
/* arrival of each request but /robots.txt, monotonic ms */
static pthread_mutex_t arrivals_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t arrivals[64];
static int narrivals;

static void bump_max(atomic_int *max, int v)
{
        int m = atomic_load(max);

        while (v > m && !atomic_compare_exchange_weak(max, &m, v))
                ;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

static void reply(int c, const char *status, const char *headers,
                  const char *body, size_t blen)
{
        char head[512];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s"
                         "Connection: close\r\n\r\n",
                         status, blen, headers);

        if (write(c, head, (size_t)n) < 0 || (blen && write(c, body, blen) < 0))
                return;
}

struct conn {
        int fd;
        int which;
};

static void *serve(void *arg)
{
        struct conn *cn = arg;
        char req[4096];
        size_t len = 0;
        char path[256] = "";
        int c = cn->fd;

        while (len < sizeof(req) - 1) {
                ssize_t r = read(c, req + len, sizeof(req) - 1 - len);

                if (r <= 0)
                        break;
                len += (size_t)r;
                req[len] = '\0';
                if (strstr(req, "\r\n\r\n"))
                        break;
        }
        req[len] = '\0';
        sscanf(req, "GET %255s", path);
        if (strcmp(path, "/robots.txt")) {
                pthread_mutex_lock(&arrivals_mu);
                if (narrivals < 64)
                        arrivals[narrivals++] = vl_time_mono_ms();
                pthread_mutex_unlock(&arrivals_mu);
        }
        if (!strcmp(path, "/robots.txt") && robots_mode != RB_500) {
                static const char rules[] = "User-agent: *\n"
                                            "Disallow: /\n"
                                            "User-agent: veille-test\n"
                                            "Disallow: /404\n"
                                            "Allow: /ok$\n"
                                            "Disallow: /ok\n";
                static const char delay[] = "User-agent: *\n"
                                            "Crawl-delay: 5\n";

                atomic_fetch_add(&robots_hits, 1);
                if (robots_mode == RB_RULES) {
                        reply(c, "200 OK", "", rules, sizeof(rules) - 1);
                } else if (robots_mode == RB_DELAY) {
                        reply(c, "200 OK", "", delay, sizeof(delay) - 1);
                } else if (robots_mode == RB_HUGE) {
                        /* the rule past 512 KiB is not read */
                        size_t n = 600 * 1024;
                        char *b = malloc(n);

                        memset(b, '#', n);
                        memcpy(b, "User-agent: *\nDisallow: /etag\n", 30);
                        for (size_t i = 100; i < n; i += 100)
                                b[i] = '\n';
                        memcpy(b + n - 20, "\nDisallow: /ok\n####", 20);
                        reply(c, "200 OK", "", b, n);
                        free(b);
                } else {
                        reply(c, "404 Not Found", "", "", 0);
                }
        } else if (!strcmp(path, "/robots.txt")) {
                atomic_fetch_add(&robots_hits, 1);
                reply(c, "500 Internal Server Error", "", "", 0);
        } else if (!strcmp(path, "/429")) {
                reply(c, "429 Too Many Requests", "Retry-After: 1\r\n", "",
                      0);
        } else if (!strcmp(path, "/ok")) {
                reply(c, "200 OK",
                      "Content-Type: text/html; charset=utf-8\r\n"
                      "ETag: \"e1\"\r\n"
                      "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n",
                      "hello", 5);
        } else if (!strcmp(path, "/etag")) {
                if (strstr(req, "If-None-Match: \"e1\""))
                        reply(c, "304 Not Modified", "ETag: \"e1\"\r\n", "", 0);
                else
                        reply(c, "200 OK",
                              "ETag: \"e1\"\r\n"
                              "Cache-Control: public, Max-Age=600\r\n",
                              "feed", 4);
        } else if (!strcmp(path, "/slow")) {
                int v = atomic_fetch_add(&cur_all, 1) + 1;
                int h = atomic_fetch_add(&cur_host[cn->which], 1) + 1;

                bump_max(&max_all, v);
                bump_max(&max_host[cn->which], h);
                sleep_ms(120);
                atomic_fetch_sub(&cur_host[cn->which], 1);
                atomic_fetch_sub(&cur_all, 1);
                reply(c, "200 OK", "", "slow", 4);
        } else if (!strcmp(path, "/feed1.xml")) {
                static const char feed[] =
                        "<?xml version='1.0'?><rss version='2.0'><channel>"
                        "<title>One</title>"
                        "<item><title>ok</title><link>/ok</link></item>"
                        "<item><title>hop</title><link>hop</link></item>"
                        "<item><title>gone</title><link>/404</link></item>"
                        "<item><title>broken</title><link>/nope</link></item>"
                        "<item><title>again</title>"
                        "<link>/ok?utm_source=rss#top</link></item>"
                        "<item><title>no link</title></item>"
                        "</channel></rss>";

                reply(c, "200 OK", "Content-Type: application/rss+xml\r\n",
                      feed, sizeof(feed) - 1);
        } else if (!strcmp(path, "/feed2.xml")) {
                /* the same page as feed1's, from the other host */
                char feed[512];
                int n = snprintf(feed, sizeof(feed),
                                 "<feed xmlns='http://www.w3.org/2005/Atom'>"
                                 "<entry><title>same</title><link href='"
                                 "http://127.0.0.1:%d/ok'/></entry></feed>",
                                 servers[0].port);

                reply(c, "200 OK", "", feed, (size_t)n);
        } else if (!strcmp(path, "/404")) {
                reply(c, "404 Not Found", "", "no", 2);
        } else if (!strcmp(path, "/503")) {
                reply(c, "503 Service Unavailable", "Retry-After: 7\r\n", "",
                      0);
        } else if (!strcmp(path, "/loop")) {
                reply(c, "302 Found", "Location: /loop\r\n", "", 0);
        } else if (!strcmp(path, "/hop")) {
                reply(c, "301 Moved", "Location: /ok\r\n", "", 0);
        } else if (!strcmp(path, "/xhop")) {
                /* to the other host */
                char loc[96];

                snprintf(loc, sizeof(loc), "Location: http://127.0.0.1:%d/ok\r\n",
                         servers[0].port);
                reply(c, "302 Found", loc, "", 0);
        } else if (!strcmp(path, "/ftp")) {
                reply(c, "302 Found", "Location: ftp://127.0.0.1/x\r\n", "", 0);
        } else if (!strcmp(path, "/big")) {
                static char big[5000];

                memset(big, 'A', sizeof(big));
                reply(c, "200 OK", "", big, sizeof(big));
        } else if (!strcmp(path, "/bigchunked")) {
                /* no Content-Length: only the write callback can stop it */
                static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-"
                                           "Encoding: chunked\r\nConnection: "
                                           "close\r\n\r\n";
                char chunk[1100];

                if (write(c, head, sizeof(head) - 1) > 0) {
                        memcpy(chunk, "3e8\r\n", 5);
                        memset(chunk + 5, 'B', 1000);
                        memcpy(chunk + 1005, "\r\n", 2);
                        for (int i = 0; i < 5; i++)
                                if (write(c, chunk, 1007) < 0)
                                        break;
                        if (write(c, "0\r\n\r\n", 5) < 0)
                                path[0] = '\0';
                }
        } else {
                reply(c, "500 Internal Server Error", "", "", 0);
        }
        close(c);
        free(cn);
        return NULL;
}

static void *accept_loop(void *arg)
{
        struct srv *s = arg;
        int which = (int)(s - servers);

        for (;;) {
                int c = accept(s->fd, NULL, NULL);
                struct conn *cn;
                pthread_t t;

                if (c < 0)
                        return NULL;
                cn = malloc(sizeof(*cn));
                cn->fd = c;
                cn->which = which;
                if (pthread_create(&t, NULL, serve, cn)) {
                        close(c);
                        free(cn);
                        continue;
                }
                pthread_detach(t);
        }
}

static void start_server(struct srv *s, const char *ip)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t alen = sizeof(a);
        pthread_t t;
        int one = 1;

        snprintf(s->ip, sizeof(s->ip), "%s", ip);
        cr_assert_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert_geq(s->fd, 0);
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0,
                     "cannot bind %s", ip);
        cr_assert_eq(listen(s->fd, 64), 0);
        cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
        s->port = ntohs(a.sin_port);
        cr_assert_eq(pthread_create(&t, NULL, accept_loop, s), 0);
        pthread_detach(t);
}

static void setup(void)
{
        /* a server thread writing to a connection the fetcher closed (a
         * body over the cap) must get EPIPE, not kill the test */
        signal(SIGPIPE, SIG_IGN);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        start_server(&servers[0], "127.0.0.1");
        start_server(&servers[1], "127.0.0.2");
}

#define MAX_DONE 64

struct done {
        struct fetcher_xfer *x[MAX_DONE];
        int n;
};

static void on_done(void *ctx, struct fetcher_xfer *x)
{
        struct done *d = ctx;

        cr_assert_lt(d->n, MAX_DONE);
        d->x[d->n++] = x;
}

static struct fetcher_http *new_http(struct done *d, bool allow_private,
                                     int max_concurrent, int max_per_host)
{
        struct fetcher_http_conf hc = {
                .user_agent = "veille-test",
                .connect_timeout_ms = 2000,
                .timeout_ms = 5000,
                .max_body_bytes = 1000,
                .max_concurrent = max_concurrent,
                .max_per_host = max_per_host,
                .allow_private = allow_private,
        };
        struct vl_err err;
        struct fetcher_http *h = fetcher_http_new(&hc, on_done, d, &err);

        cr_assert(h, "%s", err.msg);
        return h;
}

static char *url(int server, const char *path)
{
        static char buf[8][128];
        static int k;
        char *u = buf[k++ % 8];

        snprintf(u, 128, "http://%s:%d%s", servers[server].ip,
                 servers[server].port, path);
        return u;
}

static void run_until(struct fetcher_http *h, struct done *d, int n,
                      int max_per_host)
{
        int64_t end = vl_time_mono_ms() + 10000;
        struct vl_err err;

        while (d->n < n && vl_time_mono_ms() < end) {
                cr_assert_eq(fetcher_http_run(h, 50, &err), VL_OK, "%s",
                             err.msg);
                cr_assert_leq(fetcher_http_active(h), 2 * max_per_host);
        }
        cr_assert_eq(d->n, n, "%d of %d transfers ended", d->n, n);
}

static struct fetcher_xfer *find(struct done *d, const char *u)
{
        for (int i = 0; i < d->n; i++)
                if (!strcmp(d->x[i]->url, u))
                        return d->x[i];
        cr_assert_fail("no transfer of %s", u);
        return NULL;
}

static void clear(struct done *d)
{
        for (int i = 0; i < d->n; i++)
                fetcher_xfer_destroy(d->x[i]);
        d->n = 0;
}

Test(fetcher_http, fetch_and_classify, .init = setup)
{
        static const char *const paths[] = { "/ok", "/404", "/503", "/loop",
                                             "/hop", "/big", "/bigchunked",
                                             "/ftp" };
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, true, 16, 2);
        struct fetcher_xfer *x;
        struct vl_err err;

        for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
                fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                        url(0, paths[i]),
                                                        NULL));
        run_until(h, &d, (int)(sizeof(paths) / sizeof(*paths)), 2);

        x = find(&d, url(0, "/ok"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(x->status, 200);
        cr_assert_eq(x->body.len, 5);
        cr_assert_str_eq(x->body.data, "hello");
        cr_assert_str_eq(x->etag, "\"e1\"");
        cr_assert_str_eq(x->last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
        cr_assert_str_eq(x->content_type, "text/html; charset=utf-8");

        x = find(&d, url(0, "/404"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT);
        cr_assert_eq(x->status, 404);

        x = find(&d, url(0, "/503"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_RETRY);
        cr_assert_eq(x->retry_after_s, 7);

        x = find(&d, url(0, "/loop"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT);
        cr_assert(strstr(err.msg, "redirects"), "%s", err.msg);

        x = find(&d, url(0, "/hop"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_OK);
        cr_assert_str_eq(x->final_url, url(0, "/ok"));
        cr_assert_eq(x->redirects, 1);

        x = find(&d, url(0, "/big"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT);
        cr_assert(strstr(err.msg, "larger than 1000 bytes"), "%s", err.msg);

        x = find(&d, url(0, "/bigchunked"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT);
        cr_assert(x->too_big);
        cr_assert_leq(x->body.len, 1000);

        x = find(&d, url(0, "/ftp"));
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT, "%s", err.msg);

        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_http, conditional_get, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, true, 4, 2);
        struct fetcher_xfer *x;
        struct vl_err err;

        x = fetcher_xfer_new(FETCHER_XFER_FEED, url(0, "/etag"), NULL);
        fetcher_http_submit(h, x);
        run_until(h, &d, 1, 2);
        cr_assert_eq(d.x[0]->status, 200);
        cr_assert_str_eq(d.x[0]->etag, "\"e1\"");
        cr_assert_eq(d.x[0]->max_age_s, 600, "a polling hint");
        clear(&d);

        x = fetcher_xfer_new(FETCHER_XFER_FEED, url(0, "/etag"), NULL);
        x->if_none_match = strdup("\"e1\"");
        fetcher_http_submit(h, x);
        run_until(h, &d, 1, 2);
        cr_assert_eq(d.x[0]->status, 304);
        cr_assert_eq(fetcher_xfer_result(d.x[0], &err), VL_OK);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_http, per_host_and_total_limits, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, true, 3, 2);

        for (int i = 0; i < 6; i++) {
                fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                        url(0, "/slow"),
                                                        NULL));
                fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                        url(1, "/slow"),
                                                        NULL));
        }
        cr_assert_eq(fetcher_http_pending(h), 12);
        run_until(h, &d, 12, 2);
        for (int i = 0; i < d.n; i++)
                cr_assert_eq(d.x[i]->status, 200);
        cr_assert_leq(atomic_load(&max_host[0]), 2);
        cr_assert_leq(atomic_load(&max_host[1]), 2);
        cr_assert_leq(atomic_load(&max_all), 3);
        /* and both hosts were served at once */
        cr_assert_geq(atomic_load(&max_all), 2);
        cr_assert_eq(fetcher_http_active(h), 0);
        cr_assert_eq(fetcher_http_pending(h), 0);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_http, private_address_refused, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, false, 4, 2);
        struct vl_err err;

        fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                url(0, "/ok"), NULL));
        run_until(h, &d, 1, 2);
        cr_assert(d.x[0]->blocked);
        cr_assert_eq(fetcher_xfer_result(d.x[0], &err), VL_REJECT);
        cr_assert(strstr(err.msg, "refused private address 127.0.0.1"), "%s",
                  err.msg);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_http, abort_reports_every_transfer, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, true, 2, 1);
        struct vl_err err;

        for (int i = 0; i < 5; i++)
                fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                        url(0, "/slow"),
                                                        NULL));
        cr_assert_eq(fetcher_http_run(h, 20, &err), VL_OK);
        cr_assert_eq(fetcher_http_active(h), 1);
        fetcher_http_abort_pending(h);
        cr_assert_eq(d.n, 4);
        cr_assert_eq(fetcher_http_pending(h), 0);
        fetcher_http_abort(h);
        cr_assert_eq(d.n, 5);
        for (int i = 0; i < d.n; i++) {
                cr_assert(d.x[i]->aborted);
                cr_assert_eq(fetcher_xfer_result(d.x[i], &err), VL_RETRY);
        }
        cr_assert_eq(fetcher_http_active(h), 0);
        clear(&d);
        /* new transfers still work after an abort */
        fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                url(0, "/ok"), NULL));
        run_until(h, &d, 1, 1);
        cr_assert_eq(d.x[0]->status, 200);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_http, bad_url_ends_cleanly, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h = new_http(&d, true, 2, 1);
        struct vl_err err;

        fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                "gopher://127.0.0.1/x", NULL));
        fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                "http://", NULL));
        run_until(h, &d, 2, 1);
        for (int i = 0; i < d.n; i++)
                cr_assert_eq(fetcher_xfer_result(d.x[i], &err), VL_REJECT,
                             "%s", err.msg);
        clear(&d);
        fetcher_http_destroy(h);
}

/* ---------------------------------------------------------- politeness */

static struct fetcher_http *new_polite(struct done *d, bool robots,
                                       int64_t delay_ms, int64_t max_crawl_ms,
                                       int max_failures, int64_t pause_ms,
                                       struct vl_metrics *m)
{
        struct fetcher_http_conf hc = {
                .user_agent = "veille-test/1.0 (+http://example.org/bot)",
                .connect_timeout_ms = 2000,
                .timeout_ms = 5000,
                .max_body_bytes = 1000,
                .max_concurrent = 8,
                .max_per_host = 1,
                .allow_private = true,
                .robots = robots,
                .host_delay_ms = delay_ms,
                .max_crawl_delay_ms = max_crawl_ms,
                .max_host_failures = max_failures,
                .host_pause_ms = pause_ms,
                .m = m,
        };
        struct vl_err err;
        struct fetcher_http *h = fetcher_http_new(&hc, on_done, d, &err);

        cr_assert(h, "%s", err.msg);
        return h;
}

static void submit(struct fetcher_http *h, int server, const char *path)
{
        fetcher_http_submit(h, fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                url(server, path), NULL));
}

/* The smallest gap between two request arrivals at the server. */
static int64_t min_gap(void)
{
        int64_t g = INT64_MAX;

        pthread_mutex_lock(&arrivals_mu);
        for (int i = 1; i < narrivals; i++)
                if (arrivals[i] - arrivals[i - 1] < g)
                        g = arrivals[i] - arrivals[i - 1];
        pthread_mutex_unlock(&arrivals_mu);
        return g;
}

Test(fetcher_polite, robots_rules_for_our_agent, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct fetcher_xfer *x;
        struct vl_err err;

        robots_mode = RB_RULES;
        h = new_polite(&d, true, 0, 0, 0, 1000, NULL);
        submit(h, 0, "/ok");
        submit(h, 0, "/404");
        submit(h, 0, "/okay");
        submit(h, 0, "/ok");
        run_until(h, &d, 4, 1);
        x = find(&d, url(0, "/404"));
        cr_assert(x->robots_denied);
        cr_assert_eq(x->status, 0, "a disallowed URL is not requested");
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_REJECT);
        cr_assert(strstr(err.msg, "disallowed by robots.txt"), "%s", err.msg);
        cr_assert(find(&d, url(0, "/okay"))->robots_denied);
        cr_assert_eq(d.x[0]->status, 200);
        cr_assert_eq(atomic_load(&robots_hits), 1, "robots.txt fetched once");
        cr_assert_eq(narrivals, 2, "only the two /ok reached the server");
        clear(&d);
        /* cached: later requests do not fetch it again */
        submit(h, 0, "/ok");
        run_until(h, &d, 1, 1);
        cr_assert_eq(atomic_load(&robots_hits), 1);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, robots_4xx_allows_everything, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;

        robots_mode = RB_404;
        h = new_polite(&d, true, 0, 0, 0, 1000, NULL);
        submit(h, 0, "/ok");
        submit(h, 0, "/404");
        run_until(h, &d, 2, 1);
        cr_assert_eq(find(&d, url(0, "/ok"))->status, 200);
        cr_assert_eq(find(&d, url(0, "/404"))->status, 404);
        cr_assert_eq(atomic_load(&robots_hits), 1);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, robots_5xx_disallows_everything, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct fetcher_xfer *x;
        struct vl_err err;

        robots_mode = RB_500;
        h = new_polite(&d, true, 0, 0, 0, 1000, NULL);
        submit(h, 0, "/ok");
        run_until(h, &d, 1, 1);
        x = d.x[0];
        cr_assert(x->robots_unreachable);
        cr_assert_eq(x->status, 0);
        cr_assert_eq(narrivals, 0, "nothing but robots.txt was requested");
        /* retryable: the page is not lost, it is tried again later */
        cr_assert_eq(fetcher_xfer_result(x, &err), VL_RETRY);
        cr_assert(strstr(err.msg, "robots.txt is unreachable"), "%s",
                  err.msg);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, robots_read_up_to_the_cap, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;

        robots_mode = RB_HUGE;
        h = new_polite(&d, true, 0, 0, 0, 1000, NULL);
        submit(h, 0, "/etag");
        submit(h, 0, "/ok");
        run_until(h, &d, 2, 1);
        cr_assert(find(&d, url(0, "/etag"))->robots_denied);
        cr_assert_eq(find(&d, url(0, "/ok"))->status, 200);
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, delay_between_requests_to_a_host, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;

        h = new_polite(&d, false, 150, 0, 0, 1000, NULL);
        for (int i = 0; i < 4; i++)
                submit(h, 0, "/ok");
        run_until(h, &d, 4, 1);
        cr_assert_eq(narrivals, 4);
        cr_assert_geq(min_gap(), 150, "two requests %lld ms apart",
                      (long long)min_gap());
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, redirect_waits_for_the_target_host, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct fetcher_xfer *first, *hop;
        struct vl_err err;

        /* host 1 redirects to host 0, which has just been asked: the hop
         * waits for host 0's delay */
        h = new_polite(&d, false, 300, 0, 0, 1000, NULL);
        submit(h, 0, "/ok");
        submit(h, 1, "/xhop");
        run_until(h, &d, 2, 1);
        first = find(&d, url(0, "/ok"));
        hop = find(&d, url(1, "/xhop"));
        cr_assert_eq(fetcher_xfer_result(hop, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(hop->status, 200);
        cr_assert_eq(hop->redirects, 1);
        cr_assert_str_eq(hop->final_url, url(0, "/ok"));
        cr_assert_geq(hop->started_ms - (first->started_ms + first->elapsed_ms),
                      299, "the hop started %lld ms after host 0's request",
                      (long long)(hop->started_ms - first->started_ms -
                                  first->elapsed_ms));
        clear(&d);
        fetcher_http_destroy(h);
}

static bool on_server1(void *ctx, const struct fetcher_xfer *x)
{
        return strstr(x->url, ctx) != NULL;
}

Test(fetcher_polite, abort_if_ends_only_the_chosen, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct vl_err err;
        char host1[64];
        int aborted = 0;

        h = new_polite(&d, false, 0, 0, 0, 1000, NULL);
        for (int i = 0; i < 3; i++) {
                submit(h, 0, "/slow");
                submit(h, 1, "/slow");
        }
        cr_assert_eq(fetcher_http_run(h, 10, &err), VL_OK);
        cr_assert_eq(fetcher_http_active(h), 2);
        snprintf(host1, sizeof(host1), "%s:%d/", servers[1].ip,
                 servers[1].port);
        fetcher_http_abort_if(h, on_server1, host1);
        cr_assert_eq(d.n, 3, "the three of host 1 end at once");
        for (int i = 0; i < 3; i++) {
                cr_assert(d.x[i]->aborted);
                cr_assert(strstr(d.x[i]->url, host1));
        }
        run_until(h, &d, 6, 1);
        for (int i = 0; i < 6; i++)
                aborted += d.x[i]->aborted;
        cr_assert_eq(aborted, 3, "host 0's transfers went on");
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, other_hosts_do_not_wait, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct vl_err err;

        /* host 0 is held for an hour by its delay; host 1 still goes */
        h = new_polite(&d, false, 3600 * 1000, 0, 0, 1000, NULL);
        submit(h, 0, "/ok");
        submit(h, 0, "/ok");
        submit(h, 1, "/ok");
        run_until(h, &d, 2, 1);
        cr_assert_eq(d.x[0]->status, 200);
        cr_assert_eq(d.x[1]->status, 200);
        cr_assert_eq(fetcher_http_pending(h), 1);
        cr_assert_eq(fetcher_http_run(h, 50, &err), VL_OK);
        cr_assert_eq(fetcher_http_pending(h), 1, "the delay was not kept");
        fetcher_http_destroy(h); /* ends the held one, aborted */
        cr_assert_eq(d.n, 3);
        cr_assert(d.x[2]->aborted);
        clear(&d);
}

Test(fetcher_polite, crawl_delay_honoured_and_capped, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;

        /* Crawl-delay: 5, capped at 250 ms; the host delay is smaller */
        robots_mode = RB_DELAY;
        h = new_polite(&d, true, 10, 250, 0, 1000, NULL);
        for (int i = 0; i < 3; i++)
                submit(h, 0, "/ok");
        run_until(h, &d, 3, 1);
        cr_assert_eq(narrivals, 3);
        cr_assert_geq(min_gap(), 250, "two requests %lld ms apart",
                      (long long)min_gap());
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, retry_after_holds_the_host, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;

        h = new_polite(&d, false, 0, 0, 0, 1000, NULL);
        submit(h, 0, "/429");
        submit(h, 0, "/ok");
        run_until(h, &d, 2, 1);
        cr_assert_eq(d.x[0]->status, 429);
        cr_assert_eq(d.x[0]->retry_after_s, 1);
        cr_assert_eq(narrivals, 2);
        cr_assert_geq(arrivals[1] - arrivals[0], 1000,
                      "Retry-After: 1 not honoured (%lld ms)",
                      (long long)(arrivals[1] - arrivals[0]));
        clear(&d);
        fetcher_http_destroy(h);
}

Test(fetcher_polite, failing_host_paused_then_back, .init = setup)
{
        struct done d = { 0 };
        struct fetcher_http *h;
        struct vl_metrics m;

        vl_metrics_init(&m, "fetcher");
        h = new_polite(&d, false, 0, 0, 2, 300, &m);
        submit(h, 0, "/nope");
        submit(h, 0, "/nope");
        run_until(h, &d, 2, 1);
        cr_assert_eq(d.x[1]->status, 500);
        cr_assert_eq(fetcher_http_hosts_paused(h), 1);
        submit(h, 0, "/ok");
        run_until(h, &d, 3, 1);
        cr_assert_eq(d.x[2]->status, 200);
        cr_assert_geq(arrivals[2] - arrivals[1], 300,
                      "the paused host was asked after %lld ms",
                      (long long)(arrivals[2] - arrivals[1]));
        cr_assert_eq(fetcher_http_hosts_paused(h), 0, "not back");
        clear(&d);
        fetcher_http_destroy(h);
}

/* -------------------------------------------------------------- engine */

Test(fetcher_engine, once_without_broker, .init = setup)
{
        struct fetcher_conf fc = {
                .poll_interval_s = 300,
                .max_concurrent = 4,
                .max_per_host = 2,
                .connect_timeout_ms = 2000,
                .timeout_ms = 5000,
                .max_body_bytes = 100000,
                .retries = 1,
                .retry_backoff_ms = 10,
                .max_pending = 100,
                .seen_ttl_days = 30,
                .allow_private = true,
                .user_agent = (char *)(uintptr_t)"veille-test",
        };
        struct vl_stage_conf sc = {
                .output_topic = (char *)(uintptr_t)"veille.pages",
                .dlq_topic = (char *)(uintptr_t)"veille.dlq",
                .drain_ms = 1000,
        };
        const struct fetcher_engine_stats *st;
        struct fetcher_sources ss = { 0 };
        struct fetcher_engine *e;
        struct vl_metrics m;
        struct vl_err err;
        char line[65536];
        FILE *out;
        int n = 0;
        bool ok = false, hop = false;

        cr_redirect_stdout();
        vl_metrics_init(&m, "fetcher");
        e = fetcher_engine_new(&fc, &sc, &m, &err);
        cr_assert(e, "%s", err.msg);
        fetcher_sources_add_take(&ss, fetcher_source_new(url(0, "/feed1.xml")));
        fetcher_sources_add_take(&ss, fetcher_source_new(url(1, "/feed2.xml")));
        ss.v[0]->site = strdup("Site One");
        fetcher_engine_set_sources(e, &ss);
        cr_assert_eq(ss.n, 0);
        cr_assert_eq(fetcher_engine_run(e, true), 0);
        st = fetcher_engine_stats(e);
        cr_assert_eq(st->feeds_ok, 2);
        cr_assert_eq(st->feeds_failed, 0);
        /* /ok once (three items name it), /hop; /404 and /nope fail */
        cr_assert_eq(st->pages_ok, 2, "%lld pages", (long long)st->pages_ok);
        cr_assert_eq(st->pages_failed, 2);
        fetcher_engine_destroy(e);
        fflush(stdout);

        out = cr_get_redirected_stdout();
        while (fgets(line, sizeof(line), out)) {
                json_error_t jerr;
                json_t *ev = json_loads(line, 0, &jerr);
                const char *u;

                cr_assert(ev, "%s: %s", jerr.text, line);
                n++;
                u = json_string_value(json_object_get(ev, "url"));
                if (!strcmp(u, url(0, "/ok")))
                        ok = true;
                if (!strcmp(u, url(0, "/hop"))) {
                        hop = true;
                        cr_assert_str_eq(json_string_value(json_object_get(
                                                 ev, "final_url")),
                                         url(0, "/ok"));
                        cr_assert_str_eq(
                                json_string_value(json_object_get(
                                        json_object_get(ev, "source"),
                                        "site")),
                                "Site One");
                }
                json_decref(ev);
        }
        cr_assert_eq(n, 2);
        cr_assert(ok && hop);
}
