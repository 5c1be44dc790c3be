#ifndef VEILLE_STAGE_H
#define VEILLE_STAGE_H
/* The stage runner that the parser, enricher and sink share: consume,
 * transform, produce, at-least-once (STYLE.md §5). A daemon's main() fills a
 * struct vl_stage and calls vl_stage_main(). */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <librdkafka/rdkafka.h>
#include "veille/err.h"
#include "veille/out.h"
#include "veille/conf.h"
#include "veille/metrics.h"

/** One input record, borrowed for the duration of process(). */
struct vl_in {
        const char *topic; /* "-" in one-shot mode */
        int32_t partition;
        int64_t offset;
        const char *key; /* may be NULL */
        size_t key_len;
        const char *value; /* NUL-terminated copy, unless raw_value */
        size_t len;
        /** @returns a header's value (NUL-terminated copy) or NULL. */
        const char *(*header)(const struct vl_in *in, const char *name);
        void *priv;
};

/** Settings every stage has (keys in vl_stage_keys). */
struct vl_stage_conf {
        char *input_topic;
        char *output_topic;
        char *dlq_topic;
        char *group_id;
        char *metrics_listen;
        char *log_level;
        int64_t drain_ms;
        int64_t max_inflight;
        int64_t dlq_max_input_bytes;
        int64_t retries;
        int64_t retry_backoff_ms;
        /* one-shot mode (command line only) */
        char *file;
        /* the whole configuration (Kafka properties included), for a stage
         * that makes Kafka clients of its own; set by vl_stage_main() */
        const struct vl_conf *conf;
};

struct vl_stage {
        const char *name;            /* "parser": program veille-parser */
        const char *summary;         /* one line for --help */
        const char *input_topic;     /* defaults */
        const char *output_topic;
        const struct vl_conf_key *keys; /* the daemon's own keys, or NULL */
        void *conf;                  /* their struct (borrowed) */
        /** @brief Build the stage state once the configuration is final. */
        enum vl_rc (*init)(void **state, const struct vl_stage_conf *sc,
                           void *conf, struct vl_metrics *m,
                           struct vl_err *err);
        /** @brief Turn one input into records in @p out. VL_REJECT sends
         * the input to the dead-letter topic; VL_RETRY is tried again after
         * a backoff, up to `retries` times; VL_FATAL stops the process. */
        enum vl_rc (*process)(void *state, const struct vl_in *in,
                              struct vl_out *out, struct vl_err *err);
        /** @brief Optional: build the one-shot input from the command line
         * (e.g. wrap an HTML file in a page event). @p raw is the file.
         * Fills @p value (a new malloc'd string) and @p len. */
        enum vl_rc (*oneshot_input)(void *state, const char *raw, size_t n,
                                    char **value, size_t *len,
                                    struct vl_err *err);
        /** @brief Optional: SIGHUP. */
        enum vl_rc (*reload)(void *state, struct vl_err *err);
        void (*destroy)(void *state);
        /** process() reads in->value by its length only: the runner hands
         * it the Kafka message's own bytes instead of a NUL-terminated
         * copy (a page event of 14 MB is not held twice). */
        bool raw_value;
};

/** The keys of struct vl_stage_conf that every daemon has (output.topic,
 * dlq.topic, metrics.listen, log.level, drain.ms), for daemons that build
 * their configuration themselves (the fetcher). Fields the table leaves
 * without a default keep what vl_stage_conf_defaults() put there. */
extern const struct vl_conf_key vl_daemon_keys[];
/** The keys a consuming stage adds (input.topic, group.id, max.inflight,
 * dlq.max.input.bytes, retries, retry.backoff.ms, file). */
extern const struct vl_conf_key vl_stage_keys[];

/** @brief Prefill @p sc with the defaults of daemon @p name before the
 * tables are registered: the topics given and, when @p input_topic is not
 * NULL, group.id "veille-<name>". */
void vl_stage_conf_defaults(struct vl_stage_conf *sc, const char *name,
                            const char *input_topic, const char *output_topic);

/** @returns the process exit code (0, 1 or 2). */
int vl_stage_main(const struct vl_stage *st, int argc, char **argv);

#endif
