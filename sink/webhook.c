/* Webhooks: each match of a watch with webhook:URL is POSTed there by one
 * worker thread driving libcurl's multi interface, so that a slow or dead
 * endpoint holds neither the stage's thread nor the other webhooks.
 *
 * A delivery is retried with exponential backoff (Retry-After honoured) on
 * a network error, a 5xx or a 429; any other answer but a 2xx, or the last
 * retry, turns it into a dead-letter record. Either way its ticket is then
 * settled, and the input's offset may be stored (veille/ticket.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "veille/codec.h"
#include "veille/daemon.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "veille/net.h"
#include "sink.h"

#define COMP "webhook"
#define MAX_ACTIVE 32     /* transfers at once, all endpoints */
#define MAX_ACTIVE_URL 4  /* transfers at once to one URL */

struct hook {
        struct hook *next;
        struct vl_ticket *ticket;
        char *watch;
        char *url;
        char *body;
        size_t len;
        char *idem; /* the Idempotency-Key: the match record's ce_id */
        struct curl_slist *hdrs;
        /* the input, for the dead letter */
        char *in_topic;
        int32_t in_partition;
        int64_t in_offset;
        char *in_key;
        char *in_value; /* at most dlq.max.input.bytes of it */
        size_t in_keep, in_len;
        /* state */
        int attempts;
        int64_t due_ms; /* monotonic: next attempt */
        CURL *easy;
        bool blocked;
        char blocked_addr[64];
        char errbuf[CURL_ERROR_SIZE];
};

struct sink_hooks {
        struct sink_hook_conf c;
        CURLM *multi;
        pthread_t th;
        pthread_mutex_t mu;
        pthread_cond_t room;
        struct hook *in_head, *in_tail; /* posted, not yet seen (mu) */
        long npending;                  /* posted, not settled (mu) */
        bool stop;                      /* (mu) */
        /* worker-only */
        struct hook *wait;              /* waiting for their first try or a
                                           retry, in no order */
        struct hook *act[MAX_ACTIVE]; /* in transfer */
        int nactive;
        atomic_ullong *delivered, *retried, *dead, *pending;
};

/* ---- one delivery ---- */

static void hook_free(struct hook *k)
{
        if (!k)
                return;
        if (k->easy)
                curl_easy_cleanup(k->easy);
        curl_slist_free_all(k->hdrs);
        free(k->watch);
        free(k->url);
        free(k->body);
        free(k->idem);
        free(k->in_topic);
        free(k->in_key);
        free(k->in_value);
        free(k);
}

static struct curl_slist *add_hdr(struct curl_slist *l, const char *name,
                                  const char *value)
{
        char *line;

        if (!value)
                return l;
        line = vl_xasprintf("%s: %s", name, value);
        l = curl_slist_append(l, line);
        free(line);
        return l;
}

/* "sha256=<hex of HMAC-SHA256(secret, body)>" */
static char *signature(const char *secret, const char *body, size_t len)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0, i;
        char *s;

        if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
                  (const unsigned char *)body, len, md, &n))
                return NULL;
        s = vl_xmalloc(7 + 2 * (size_t)n + 1);
        memcpy(s, "sha256=", 7);
        for (i = 0; i < n; i++)
                snprintf(s + 7 + 2 * i, 3, "%02x", md[i]);
        return s;
}

/* CloudEvents HTTP binary mode: each ce_x header of the record as ce-x. */
static struct curl_slist *headers(const struct sink_hooks *h,
                                  const struct hook *k,
                                  const struct vl_rec *rec)
{
        struct curl_slist *l = NULL;
        int i;

        l = add_hdr(l, "Content-Type", "application/json");
        l = add_hdr(l, "Idempotency-Key", k->idem);
        l = add_hdr(l, "X-Veille-Watch", k->watch);
        for (i = 0; i < rec->nhdrs; i++)
                if (strncmp(rec->hdrs[i].name, "ce_", 3) == 0) {
                        char name[64];

                        snprintf(name, sizeof(name), "ce-%s",
                                 rec->hdrs[i].name + 3);
                        l = add_hdr(l, name, rec->hdrs[i].value);
                }
        if (h->c.secret && h->c.secret[0]) {
                char *sig = signature(h->c.secret, k->body, k->len);

                l = add_hdr(l, "X-Veille-Signature", sig);
                free(sig);
        }
        return curl_slist_append(l, "Expect:"); /* no 100-continue wait */
}

/* The reply's body is not used: read and dropped (never refused, which
 * would turn a delivered POST into an error and a repeat). */
static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return size * n;
}

static curl_socket_t on_opensocket(void *ud, curlsocktype purpose,
                                   struct curl_sockaddr *a)
{
        struct hook *k = ud;
        curl_socket_t fd;

        (void)purpose;
        fd = vl_net_open_unless_blocked(a, k->blocked_addr,
                                        sizeof(k->blocked_addr));
        k->blocked = fd == CURL_SOCKET_BAD && k->blocked_addr[0];
        return fd;
}

static void start(struct sink_hooks *h, struct hook *k)
{
        CURL *e = k->easy ? k->easy : curl_easy_init();

        if (!e) {
                VL_ERROR(COMP, "curl_easy_init failed");
                abort();
        }
        k->easy = e;
        curl_easy_reset(e);
        k->blocked = false;
        k->blocked_addr[0] = '\0';
        k->errbuf[0] = '\0';
        curl_easy_setopt(e, CURLOPT_URL, k->url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->len);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->hdrs);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "veille-sink");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->c.timeout_ms);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)(h->c.timeout_ms < 5000 ? h->c.timeout_ms
                                                       : 5000));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_reply);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
        curl_easy_setopt(e, CURLOPT_PRIVATE, k);
        if (!h->c.allow_private) {
                curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
                curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, k);
        }
        k->attempts++;
        curl_multi_add_handle(h->multi, e);
        h->act[h->nactive++] = k;
}

/* Retry-After in ms (delay-seconds or an HTTP date), or -1. */
static int64_t retry_after_ms(CURL *e)
{
        struct curl_header *hv = NULL;
        char *end;
        long long s;

        if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &hv) !=
                    CURLHE_OK ||
            !hv || !hv->value)
                return -1;
        s = strtoll(hv->value, &end, 10);
        if (end == hv->value || *end || s < 0) {
                time_t t = curl_getdate(hv->value, NULL);

                if (t < 0)
                        return -1;
                s = (long long)t - vl_time_now_ms() / 1000;
                if (s < 0)
                        s = 0;
        }
        return s > INT64_MAX / 1000 ? INT64_MAX : (int64_t)s * 1000;
}

/* The endpoint without its query, fragment or credentials (a webhook URL
 * often carries a token): what a dead letter may show. */
static char *public_url(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *s;

        if (!u || curl_url_set(u, CURLUPART_URL, url, 0)) {
                curl_url_cleanup(u);
                return vl_xstrdup("(invalid URL)");
        }
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        s = vl_xasprintf("%s://%s%s%s%s", scheme ? scheme : "",
                         host ? host : "", port ? ":" : "", port ? port : "",
                         path ? path : "");
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_free(path);
        curl_url_cleanup(u);
        return s;
}

/* The dead letter of @p k: the sink's input (replaying it delivers its
 * matches again), with what the webhook answered. */
static struct vl_out *dead_letter(const struct sink_hooks *h,
                                  const struct hook *k, enum vl_rc cls,
                                  const char *why, long status)
{
        struct vl_out *o = vl_xcalloc(1, sizeof(*o));
        struct vl_err err = { 0 };
        char *b64 = vl_base64_encode(k->in_value, k->in_keep, NULL);
        char *url = public_url(k->url);
        json_t *input;

        vl_out_init(o, "urn:veille:sink");
        vl_out_set_id_base(o, "%s-%d-%lld-dlq-webhook-%s", k->in_topic,
                           (int)k->in_partition, (long long)k->in_offset,
                           k->watch);
        vl_err_set(&err, cls, "webhook of watch '%s' (%s): %s", k->watch, url,
                   why);
        input = json_pack("{s:s, s:i, s:I, s:o, s:{}, s:s, s:I, s:b, "
                          "s:{s:s, s:s, s:s, s:i, s:o}}",
                          "topic", k->in_topic, "partition",
                          (int)k->in_partition, "offset",
                          (json_int_t)k->in_offset, "key",
                          k->in_key ? json_string(k->in_key) : json_null(),
                          "headers", "value_b64", b64, "value_bytes",
                          (json_int_t)k->in_len, "truncated",
                          k->in_keep < k->in_len, "webhook", "watch",
                          k->watch, "url", url, "idempotency_key", k->idem,
                          "attempts", k->attempts, "status",
                          status ? json_integer(status) : json_null());
        vl_out_dlq_take(o, h->c.dlq_topic, "sink", &err, k->in_key, input);
        free(b64);
        free(url);
        return o;
}

static void settle(struct sink_hooks *h, struct hook *k, bool ok,
                   struct vl_out *instead)
{
        vl_ticket_settle(k->ticket, ok, instead);
        hook_free(k);
        pthread_mutex_lock(&h->mu);
        h->npending--;
        if (h->pending)
                atomic_store(h->pending, (unsigned long long)h->npending);
        pthread_cond_signal(&h->room);
        pthread_mutex_unlock(&h->mu);
}

static void untrack(struct sink_hooks *h, const struct hook *k)
{
        for (int i = 0; i < h->nactive; i++)
                if (h->act[i] == k) {
                        h->act[i] = h->act[--h->nactive];
                        return;
                }
}

/* A transfer ended with @p res. */
static void finished(struct sink_hooks *h, struct hook *k, CURLcode res)
{
        long status = 0;
        bool retry;
        char why[CURL_ERROR_SIZE + 96];
        int64_t delay, ra = -1;

        curl_multi_remove_handle(h->multi, k->easy);
        untrack(h, k);
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
        if (res == CURLE_OK && status >= 200 && status < 300) {
                VL_DEBUG(COMP, "watch '%s': delivered %s (HTTP %ld, attempt "
                         "%d)", k->watch, k->idem, status, k->attempts);
                if (h->delivered)
                        atomic_fetch_add(h->delivered, 1);
                settle(h, k, true, NULL);
                return;
        }
        if (k->blocked) {
                snprintf(why, sizeof(why),
                         "%s is a private address (sink.webhook.allow."
                         "private is off)", k->blocked_addr);
                retry = false;
        } else if (res != CURLE_OK) {
                snprintf(why, sizeof(why), "%s", k->errbuf[0] ? k->errbuf
                                                 : curl_easy_strerror(res));
                retry = res != CURLE_UNSUPPORTED_PROTOCOL &&
                        res != CURLE_URL_MALFORMAT;
        } else {
                snprintf(why, sizeof(why), "HTTP %ld", status);
                retry = status >= 500 || status == 429;
                if (retry)
                        ra = retry_after_ms(k->easy);
        }
        if (!retry || k->attempts > h->c.retries) {
                char final[sizeof(why) + 64];

                if (retry)
                        snprintf(final, sizeof(final), "%s after %d attempts",
                                 why, k->attempts);
                else
                        snprintf(final, sizeof(final), "%s (not retried)",
                                 why);
                VL_WARN(COMP, "watch '%s': giving up on %s: %s: dead letter",
                        k->watch, k->idem, final);
                if (h->dead)
                        atomic_fetch_add(h->dead, 1);
                settle(h, k, true,
                       dead_letter(h, k, retry ? VL_RETRY : VL_REJECT, final,
                                   res == CURLE_OK ? status : 0));
                return;
        }
        delay = h->c.backoff_ms;
        for (int i = 1; i < k->attempts && delay < h->c.backoff_max_ms; i++)
                delay *= 2;
        if (ra >= 0)
                delay = ra;
        if (delay > h->c.backoff_max_ms)
                delay = h->c.backoff_max_ms;
        VL_INFO(COMP, "watch '%s': %s failed (%s), retry %d of %lld in %lld "
                "ms", k->watch, k->idem, why, k->attempts,
                (long long)h->c.retries, (long long)delay);
        if (h->retried)
                atomic_fetch_add(h->retried, 1);
        k->due_ms = vl_time_mono_ms() + delay;
        k->next = h->wait;
        h->wait = k;
}

static int busy(const struct sink_hooks *h, const char *url)
{
        int c = 0;

        for (int i = 0; i < h->nactive; i++)
                if (strcmp(h->act[i]->url, url) == 0)
                        c++;
        return c >= MAX_ACTIVE_URL;
}

/* Start what is due, within the limits. @returns ms until the next due. */
static int64_t start_due(struct sink_hooks *h)
{
        struct hook **pp = &h->wait, *k;
        int64_t now = vl_time_mono_ms(), next = 1000;

        while ((k = *pp)) {
                if (k->due_ms > now) {
                        if (k->due_ms - now < next)
                                next = k->due_ms - now;
                        pp = &k->next;
                        continue;
                }
                if (h->nactive >= MAX_ACTIVE || busy(h, k->url)) {
                        pp = &k->next; /* a transfer's end wakes us up */
                        continue;
                }
                *pp = k->next;
                k->next = NULL;
                start(h, k);
        }
        return next;
}

/* Stopping: nothing more is tried; the inputs of what is left are consumed
 * again after the restart (the receivers dedup by Idempotency-Key). */
static void abandon_all(struct sink_hooks *h)
{
        struct hook *k;

        while (h->nactive > 0) {
                k = h->act[0];
                curl_multi_remove_handle(h->multi, k->easy);
                untrack(h, k);
                settle(h, k, false, NULL);
        }
        while ((k = h->wait)) {
                h->wait = k->next;
                settle(h, k, false, NULL);
        }
}

static void *worker(void *arg)
{
        struct sink_hooks *h = arg;

        for (;;) {
                struct hook *k, *next;
                CURLMsg *msg;
                int64_t wait_ms;
                int running, left;
                bool stop;

                pthread_mutex_lock(&h->mu);
                k = h->in_head;
                h->in_head = h->in_tail = NULL;
                stop = h->stop;
                pthread_mutex_unlock(&h->mu);
                for (; k; k = next) {
                        next = k->next;
                        k->next = h->wait;
                        h->wait = k;
                }
                if (stop || vl_daemon_stopping()) {
                        abandon_all(h);
                        if (stop)
                                break;
                        curl_multi_poll(h->multi, NULL, 0, 100, NULL);
                        continue;
                }
                wait_ms = start_due(h);
                curl_multi_perform(h->multi, &running);
                while ((msg = curl_multi_info_read(h->multi, &left)))
                        if (msg->msg == CURLMSG_DONE) {
                                struct hook *done = NULL;

                                curl_easy_getinfo(msg->easy_handle,
                                                  CURLINFO_PRIVATE, &done);
                                finished(h, done, msg->data.result);
                        }
                /* what finished may free a slot, or be due at once */
                if (h->wait) {
                        int64_t w = start_due(h);

                        if (w < wait_ms)
                                wait_ms = w;
                        curl_multi_perform(h->multi, &running);
                }
                if (wait_ms > 100)
                        wait_ms = 100; /* see a stop soon */
                curl_multi_poll(h->multi, NULL, 0, (int)wait_ms, NULL);
        }
        return NULL;
}

/* ---- the stage's side ---- */

struct sink_hooks *sink_hooks_start(const struct sink_hook_conf *c,
                                    struct vl_metrics *m, struct vl_err *err)
{
        struct sink_hooks *h = vl_xcalloc(1, sizeof(*h));

        h->c = *c;
        h->multi = curl_multi_init();
        if (!h->multi) {
                free(h);
                vl_err_set(err, VL_FATAL, "webhooks: curl_multi_init failed");
                return NULL;
        }
        pthread_mutex_init(&h->mu, NULL);
        pthread_cond_init(&h->room, NULL);
        if (m) {
                h->delivered = vl_metrics_counter(
                        m, "veille_sink_webhook_delivered_total", NULL,
                        "webhook deliveries accepted (2xx)");
                h->retried = vl_metrics_counter(
                        m, "veille_sink_webhook_retries_total", NULL,
                        "webhook attempts that failed and were retried");
                h->dead = vl_metrics_counter(
                        m, "veille_sink_webhook_dead_letters_total", NULL,
                        "webhook deliveries given up on (dead-lettered)");
                h->pending = vl_metrics_gauge(
                        m, "veille_sink_webhook_pending",
                        "webhook deliveries queued or in progress");
        }
        if (pthread_create(&h->th, NULL, worker, h)) {
                curl_multi_cleanup(h->multi);
                pthread_mutex_destroy(&h->mu);
                pthread_cond_destroy(&h->room);
                free(h);
                vl_err_set(err, VL_FATAL, "webhooks: cannot start a thread");
                return NULL;
        }
        return h;
}

void sink_hooks_post(struct sink_hooks *h, struct vl_ticket *t,
                     const char *watch, const char *url,
                     const struct vl_rec *rec, const struct vl_in *in)
{
        struct hook *k = vl_xcalloc(1, sizeof(*k));
        const char *id = vl_rec_header_get(rec, "ce_id");

        k->ticket = t;
        k->watch = vl_xstrdup(watch);
        k->url = vl_xstrdup(url);
        k->body = vl_xmemdup(rec->value, rec->len);
        k->len = rec->len;
        k->idem = vl_xstrdup(id ? id : "-");
        k->hdrs = headers(h, k, rec);
        k->in_topic = vl_xstrdup(in->topic ? in->topic : "-");
        k->in_partition = in->partition;
        k->in_offset = in->offset;
        k->in_key = in->key ? vl_xstrndup(in->key, in->key_len) : NULL;
        k->in_len = in->len;
        k->in_keep = in->len;
        if (h->c.dlq_max_input_bytes >= 0 &&
            k->in_keep > (size_t)h->c.dlq_max_input_bytes)
                k->in_keep = (size_t)h->c.dlq_max_input_bytes;
        k->in_value = vl_xmemdup(in->value, k->in_keep);
        k->due_ms = 0;
        pthread_mutex_lock(&h->mu);
        /* backpressure: at most max.pending deliveries held in memory */
        while (h->npending >= h->c.max_pending && !h->stop &&
               !vl_daemon_stopping()) {
                struct timespec ts;

                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 100000000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&h->room, &h->mu, &ts);
        }
        if (h->in_tail)
                h->in_tail->next = k;
        else
                h->in_head = k;
        h->in_tail = k;
        h->npending++;
        if (h->pending)
                atomic_store(h->pending, (unsigned long long)h->npending);
        pthread_mutex_unlock(&h->mu);
        curl_multi_wakeup(h->multi);
}

void sink_hooks_stop(struct sink_hooks *h)
{
        struct hook *k, *next;

        if (!h)
                return;
        pthread_mutex_lock(&h->mu);
        h->stop = true;
        pthread_mutex_unlock(&h->mu);
        curl_multi_wakeup(h->multi);
        pthread_join(h->th, NULL);
        /* posted after the worker's last look */
        for (k = h->in_head; k; k = next) {
                next = k->next;
                vl_ticket_settle(k->ticket, false, NULL);
                hook_free(k);
        }
        curl_multi_cleanup(h->multi);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->room);
        free(h);
}
