#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "veille/metrics.h"
#include "veille/buf.h"
#include "veille/codec.h"
#include "veille/log.h"
#include "veille/mem.h"

/* upper bounds in seconds of the latency histogram */
static const double lat_bounds[VL_LATENCY_BUCKETS] = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

static atomic_ullong *add(struct vl_metrics *m, const char *name,
                          const char *labels, const char *help, int gauge)
{
        struct vl_metric *x;

        for (int i = 0; i < m->n; i++)
                if (strcmp(m->m[i].name, name) == 0 &&
                    ((!labels && !m->m[i].labels) ||
                     (labels && m->m[i].labels &&
                      strcmp(labels, m->m[i].labels) == 0)))
                        return &m->m[i].v;
        if (m->n >= VL_METRICS_MAX) {
                VL_ERROR("metrics", "too many metrics (%s)", name);
                abort(); /* programmer error */
        }
        x = &m->m[m->n++];
        x->name = name;
        x->labels = labels;
        x->help = help;
        x->gauge = gauge;
        atomic_init(&x->v, 0);
        return &x->v;
}

atomic_ullong *vl_metrics_counter(struct vl_metrics *m, const char *name,
                                  const char *labels, const char *help)
{
        return add(m, name, labels, help, 0);
}

atomic_ullong *vl_metrics_gauge(struct vl_metrics *m, const char *name,
                                const char *help)
{
        return add(m, name, NULL, help, 1);
}

void vl_metrics_init(struct vl_metrics *m, const char *prog)
{
        memset(m, 0, sizeof(*m));
        m->prog = prog;
        m->consumed = add(m, "veille_messages_consumed_total", NULL,
                          "Input records consumed", 0);
        m->produced = add(m, "veille_messages_produced_total", NULL,
                          "Output records delivered (acknowledged by the broker)",
                          0);
        m->rejected = add(m, "veille_messages_rejected_total", NULL,
                          "Inputs sent to the dead-letter topic", 0);
        m->errors = add(m, "veille_errors_total", NULL,
                        "Delivery failures and fatal processing errors", 0);
        m->retries = add(m, "veille_retries_total", NULL,
                         "Inputs processed again after a transient error", 0);
}

void vl_metrics_observe_latency(struct vl_metrics *m, int64_t usec)
{
        double s = (double)usec / 1e6;
        int i;

        for (i = 0; i < VL_LATENCY_BUCKETS; i++)
                if (s <= lat_bounds[i])
                        break;
        atomic_fetch_add(&m->lat_bucket[i], 1);
        atomic_fetch_add(&m->lat_count, 1);
        atomic_fetch_add(&m->lat_sum_us, (unsigned long long)usec);
}

char *vl_metrics_render(struct vl_metrics *m)
{
        struct vl_buf b;
        unsigned long long cum = 0;
        const char *last = NULL;

        vl_buf_init(&b, 0);
        /* each daemon labels its samples so one Prometheus sums them */
        for (int i = 0; i < m->n; i++) {
                struct vl_metric *x = &m->m[i];

                if (!last || strcmp(last, x->name) != 0) {
                        vl_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n",
                                      x->name, x->help, x->name,
                                      x->gauge ? "gauge" : "counter");
                        last = x->name;
                }
                vl_buf_printf(&b, "%s{daemon=\"%s\"%s%s} %llu\n", x->name,
                              m->prog, x->labels ? "," : "",
                              x->labels ? x->labels : "", atomic_load(&x->v));
        }
        vl_buf_printf(&b,
                      "# HELP veille_processing_latency_seconds Time from "
                      "consuming an input to the delivery of all its outputs\n"
                      "# TYPE veille_processing_latency_seconds histogram\n");
        for (int i = 0; i <= VL_LATENCY_BUCKETS; i++) {
                cum += atomic_load(&m->lat_bucket[i]);
                if (i < VL_LATENCY_BUCKETS)
                        vl_buf_printf(&b,
                                      "veille_processing_latency_seconds_bucket"
                                      "{daemon=\"%s\",le=\"%g\"} %llu\n",
                                      m->prog, lat_bounds[i], cum);
                else
                        vl_buf_printf(&b,
                                      "veille_processing_latency_seconds_bucket"
                                      "{daemon=\"%s\",le=\"+Inf\"} %llu\n",
                                      m->prog, cum);
        }
        vl_buf_printf(&b,
                      "veille_processing_latency_seconds_sum{daemon=\"%s\"} "
                      "%.6f\n"
                      "veille_processing_latency_seconds_count{daemon=\"%s\"} "
                      "%llu\n",
                      m->prog, (double)atomic_load(&m->lat_sum_us) / 1e6,
                      m->prog, atomic_load(&m->lat_count));
        vl_buf_printf(&b,
                      "# HELP veille_up 1 while the main loop runs\n"
                      "# TYPE veille_up gauge\nveille_up{daemon=\"%s\"} %d\n",
                      m->prog, atomic_load(&m->ready) ? 1 : 0);
        return vl_buf_take(&b, NULL);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
                             const char *ctype, char *body)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(
                strlen(body), body, MHD_RESPMEM_MUST_FREE);
        enum MHD_Result ret;

        MHD_add_response_header(r, "Content-Type", ctype);
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
        struct vl_metrics *m = cls;

        (void)version;
        (void)upload_data;
        (void)upload_size;
        (void)con_cls;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                             vl_xstrdup("method not allowed\n"));
        if (strcmp(url, "/metrics") == 0)
                return reply(conn, MHD_HTTP_OK,
                             "text/plain; version=0.0.4; charset=utf-8",
                             vl_metrics_render(m));
        if (strcmp(url, "/healthz") == 0) {
                int64_t age = vl_time_mono_ms() - atomic_load(&m->last_tick_ms);
                /* healthy: ready and the main loop ticked in the last 30 s */
                int ok = atomic_load(&m->ready) && age < 30000;

                return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                             "text/plain",
                             vl_xasprintf("%s\n", ok ? "ok" : "unavailable"));
        }
        return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
                     vl_xstrdup("not found\n"));
}

enum vl_rc vl_metrics_start(struct vl_metrics *m, const char *listen,
                            int *port_out, struct vl_err *err)
{
        struct sockaddr_in sa;
        const char *colon;
        char host[64];
        long port;
        char *end;
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *info;

        if (!listen || !*listen)
                return VL_OK;
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof(host))
                return vl_err_set(err, VL_REJECT,
                                  "metrics.listen '%s': expected HOST:PORT",
                                  listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = strtol(colon + 1, &end, 10);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        if (*end || port < 0 || port > 65535 ||
            inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                return vl_err_set(err, VL_REJECT,
                                  "metrics.listen '%s': expected IPv4:PORT",
                                  listen);
        sa.sin_port = htons((uint16_t)port);
        d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                NULL, handler, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT,
                10u, MHD_OPTION_END);
        if (!d)
                return vl_err_set(err, VL_REJECT,
                                  "cannot serve metrics on '%s'", listen);
        m->httpd = d;
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        if (port_out)
                *port_out = info ? info->port : (int)port;
        VL_INFO("metrics", "serving /metrics and /healthz on http://%s:%d",
                host, info ? info->port : (int)port);
        return VL_OK;
}

void vl_metrics_stop(struct vl_metrics *m)
{
        if (m->httpd)
                MHD_stop_daemon(m->httpd);
        m->httpd = NULL;
}
