#ifndef VEILLE_OUT_H
#define VEILLE_OUT_H
/* The records one input gives rise to, collected before any is produced, so
 * that a rejected input produces nothing but its dead-letter record. The
 * stage runner sends them to Kafka; one-shot mode prints them. */
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "veille/err.h"

#define VL_OUT_MAX_HEADERS 12

struct vl_header {
        char *name;
        char *value;
};

struct vl_rec {
        char *topic;
        char *key;
        char *value;
        size_t len;
        struct vl_header hdrs[VL_OUT_MAX_HEADERS];
        int nhdrs;
};

struct vl_out {
        struct vl_rec *recs;
        int n;
        int cap;
        const char *ce_source; /* borrowed: "urn:veille:parser" */
        char *ce_id_base;      /* "<topic>-<partition>-<offset>" of the input */
        /* outputs the stage delivers itself (veille/ticket.h): the runner's
         * inbox (NULL: none taken) and the tickets claimed for this input */
        struct vl_tickets *tickets;
        struct vl_ticket **held;
        int nheld, capheld;
};

void vl_out_init(struct vl_out *out, const char *ce_source);
/** @brief Drop all records (keeps the allocation and the id base). */
void vl_out_clear(struct vl_out *out);
void vl_out_release(struct vl_out *out);
/** @brief Set the deterministic base of the ce_id of the next records, so
 * that a re-delivered input yields events with the same ids. */
void vl_out_set_id_base(struct vl_out *out, const char *fmt, ...)
        VL_PRINTF(2, 3);

/**
 * @brief Add a JSON event in CloudEvents binary mode: the value is @p data
 * serialised compactly; headers ce_specversion, ce_id, ce_source, ce_type,
 * ce_time, ce_subject (the key) and content-type=application/json.
 * @param data stolen (decref'd here whatever the result).
 * @returns the record, to add more headers with vl_rec_header().
 */
struct vl_rec *vl_out_json_take(struct vl_out *out, const char *topic,
                                const char *key, const char *ce_type,
                                json_t *data);

/** @brief vl_out_json_take() for a value already serialised: @p json
 * (@p n bytes, copied) is trusted to be one JSON value. */
struct vl_rec *vl_out_json_raw(struct vl_out *out, const char *topic,
                               const char *key, const char *ce_type,
                               const char *json, size_t n);

/** @brief vl_out_json_raw() taking @p json (malloc'd, @p n bytes, its
 * NUL after them) instead of copying it: a large event is held once. */
struct vl_rec *vl_out_json_own(struct vl_out *out, const char *topic,
                               const char *key, const char *ce_type,
                               char *json, size_t n);

/** @brief Add a raw record (value copied). Headers are added by the caller. */
struct vl_rec *vl_out_raw(struct vl_out *out, const char *topic,
                          const char *key, const void *value, size_t len);

/**
 * @brief Append member @p name (a plain key, no escaping needed) with the
 * raw JSON value @p json (@p n bytes, trusted to be one valid JSON value,
 * e.g. an input's own bytes) to a record whose value is a JSON object, so
 * that a large value already serialised is not parsed and written again.
 * A record whose value is not an object is left as it is.
 */
void vl_rec_json_append(struct vl_rec *rec, const char *name,
                        const char *json, size_t n);

/** @brief Add header @p name = @p value (both copied); silently ignored past
 * VL_OUT_MAX_HEADERS (a programmer error caught by assert in debug). */
void vl_rec_header(struct vl_rec *rec, const char *name, const char *value);

/** @returns the header's value in @p rec, or NULL. */
const char *vl_rec_header_get(const struct vl_rec *rec, const char *name);

/**
 * @brief Add a dead-letter record (ce_type org.veille.dlq.v1): a JSON object
 * {"schema":"veille.dlq.v1","stage","error":{"class","message"},
 *  "failed_at","input":<input>}. @p input describes what failed (for a
 * Kafka input: topic, partition, offset, key, headers, value_b64, ...).
 * @param input stolen.
 */
struct vl_rec *vl_out_dlq_take(struct vl_out *out, const char *topic,
                               const char *stage, const struct vl_err *err,
                               const char *key, json_t *input);

/** @brief One-shot mode: print each record's value on @p fp, one per line
 * (JSON values are printed as they are, indented when @p pretty). */
void vl_out_print(const struct vl_out *out, FILE *fp, int pretty);

#endif
