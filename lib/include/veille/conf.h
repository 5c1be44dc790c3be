#ifndef VEILLE_CONF_H
#define VEILLE_CONF_H
/* One table of keys per process; defaults < file < VEILLE_* environment <
 * command line, every source through vl_conf_set() (STYLE.md §7). */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <librdkafka/rdkafka.h>
#include "veille/err.h"

enum vl_conf_type { VL_CONF_STR, VL_CONF_INT, VL_CONF_BOOL, VL_CONF_DOUBLE };

enum vl_conf_flags {
        VL_CONF_CLI = 1 << 0,    /* command line only (one-shot options) */
        VL_CONF_SECRET = 1 << 1, /* redacted in --dump-config */
};

/** A key: its field in a struct (char *, int64_t, bool or double). */
struct vl_conf_key {
        const char *name;
        enum vl_conf_type type;
        size_t offset;
        const char *def; /* default as text; NULL = unset (NULL / 0 / false) */
        const char *help;
        unsigned flags;
};

struct vl_conf;

/** @returns new configuration for program @p prog ("veille-parser"). */
struct vl_conf *vl_conf_new(const char *prog, const char *summary);
void vl_conf_destroy(struct vl_conf *cf);

/** @brief Register a key table (terminated by a zeroed entry) whose fields
 * live in @p base (borrowed, must outlive @p cf). Defaults are applied now. */
void vl_conf_add_table(struct vl_conf *cf, const struct vl_conf_key *keys,
                       void *base);

/** @brief Set one key from any source. "kafka.<prop>" goes to librdkafka
 * (validated on a scratch rd_kafka_conf_t). @returns VL_OK or VL_REJECT. */
enum vl_rc vl_conf_set(struct vl_conf *cf, const char *key, const char *val,
                       struct vl_err *err);

/** @brief Read "key = value" lines; '#' starts a comment. */
enum vl_rc vl_conf_load_file(struct vl_conf *cf, const char *path,
                             struct vl_err *err);

/**
 * @brief The whole start-up: file (-c FILE or $VEILLE_CONFIG), environment
 * (VEILLE_<KEY>, '.' -> '_'), then the command line (--key value,
 * --key=value, -X prop=value, -X list, -X dump, --help, --dump-config,
 * --version).
 * @returns -1 to go on, or an exit code (0 after --help, 2 on a usage or
 * configuration error, with the message already on stderr).
 */
int vl_conf_parse(struct vl_conf *cf, int argc, char **argv);

/** @brief Apply the librdkafka properties, in the order they were set, onto
 * @p kc. Consumer-only properties are skipped for a producer and the other
 * way round, so librdkafka does not warn about them. */
enum vl_rc vl_conf_kafka_apply(const struct vl_conf *cf, rd_kafka_conf_t *kc,
                               rd_kafka_type_t type, struct vl_err *err);

/** @returns the value last set for librdkafka property @p prop, or NULL. */
const char *vl_conf_kafka_get(const struct vl_conf *cf, const char *prop);

/** @brief Print "key = value" for every key (secrets redacted). */
void vl_conf_dump(const struct vl_conf *cf, FILE *fp);

#endif
