#ifndef VEILLE_METRICS_H
#define VEILLE_METRICS_H
/* Prometheus counters and the /metrics and /healthz endpoint
 * (libmicrohttpd on a loopback address). Counters are updated from any
 * thread. */
#include <stdatomic.h>
#include <stdint.h>
#include "veille/err.h"

#define VL_METRICS_MAX 48
#define VL_LATENCY_BUCKETS 12

struct vl_metric {
        const char *name; /* full name, e.g. "veille_parser_messages_total" */
        const char *help;
        const char *labels; /* e.g. "reason=\"not_article\"" or NULL */
        int gauge;
        atomic_ullong v;
};

struct vl_metrics {
        const char *prog; /* "parser" */
        struct vl_metric m[VL_METRICS_MAX];
        int n;
        /* histogram of seconds from input to all outputs delivered */
        atomic_ullong lat_bucket[VL_LATENCY_BUCKETS + 1];
        atomic_ullong lat_count;
        atomic_ullong lat_sum_us;
        atomic_llong last_tick_ms; /* main loop liveness for /healthz */
        atomic_int ready;
        void *httpd;
        /* the standard ones */
        atomic_ullong *consumed, *produced, *rejected, *errors, *retries;
};

/** @brief Set up the standard counters for daemon @p prog ("parser"). */
void vl_metrics_init(struct vl_metrics *m, const char *prog);
/** @returns the counter (registered once; the names and help are borrowed
 * string literals). */
atomic_ullong *vl_metrics_counter(struct vl_metrics *m, const char *name,
                                  const char *labels, const char *help);
atomic_ullong *vl_metrics_gauge(struct vl_metrics *m, const char *name,
                                const char *help);
void vl_metrics_observe_latency(struct vl_metrics *m, int64_t usec);
/** @brief Serve on "HOST:PORT" (port 0 = any; the chosen one is logged and
 * returned in @p port_out). Empty @p listen serves nothing. */
enum vl_rc vl_metrics_start(struct vl_metrics *m, const char *listen,
                            int *port_out, struct vl_err *err);
void vl_metrics_stop(struct vl_metrics *m);
/** @brief Render the text exposition into a new string. */
char *vl_metrics_render(struct vl_metrics *m);

#endif
