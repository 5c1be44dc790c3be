#ifndef VEILLE_KAFKA_H
#define VEILLE_KAFKA_H
/* librdkafka glue shared by every daemon: clients built from the
 * configuration, logs routed to our log on the main thread, and a producer
 * whose delivery reports come back to the caller with its opaque. */
#include <librdkafka/rdkafka.h>
#include "veille/conf.h"
#include "veille/out.h"
#include <jansson.h>
#include "veille/err.h"

/** @brief Called on the polling thread for every delivery report.
 * @param opaque what was given to vl_producer_send. @param kerr 0 when
 * delivered. */
typedef void vl_dr_fn(void *ctx, void *opaque, rd_kafka_resp_err_t kerr,
                      const rd_kafka_message_t *rkm);

struct vl_producer;

/** @returns new idempotent producer configured from @p cf (client.id is
 * @p client_id unless set), or NULL with err set (VL_FATAL). */
struct vl_producer *vl_producer_new(const struct vl_conf *cf,
                                    const char *client_id, vl_dr_fn *dr,
                                    void *ctx, struct vl_err *err);
/** @brief Produce one record (copied). While the producer queue is full it
 * serves delivery reports and waits (backpressure); it gives up only when a
 * stop was requested, with VL_RETRY. */
enum vl_rc vl_producer_send(struct vl_producer *p, const struct vl_rec *rec,
                            void *opaque, struct vl_err *err);
/** @brief vl_producer_send() to partition @p partition of the record's
 * topic (RD_KAFKA_PARTITION_UA: the partitioner chooses). */
enum vl_rc vl_producer_send_part(struct vl_producer *p,
                                 const struct vl_rec *rec, int32_t partition,
                                 void *opaque, struct vl_err *err);
/** @brief vl_producer_send() without the copy: on VL_OK the producer owns
 * the record's value (malloc'ed; it frees it once delivered) and
 * rec->value is NULL. A large article is not held twice. */
enum vl_rc vl_producer_send_take(struct vl_producer *p, struct vl_rec *rec,
                                 void *opaque, struct vl_err *err);
/** @brief Serve delivery reports and logs. */
void vl_producer_poll(struct vl_producer *p, int timeout_ms);
/** @returns the number of messages still undelivered after the flush. */
int vl_producer_flush(struct vl_producer *p, int timeout_ms);
/** @returns messages and requests still in the producer queue. */
int vl_producer_outq(struct vl_producer *p);
/** @returns true once librdkafka reported a fatal error. */
int vl_producer_failed(struct vl_producer *p);
rd_kafka_t *vl_producer_rk(struct vl_producer *p);
void vl_producer_destroy(struct vl_producer *p);

/** @brief Common client settings: logs through vl_log (log.queue on the
 * main thread), error_cb that stops the process on a fatal error.
 * @param kc borrowed. */
void vl_kafka_conf_common(rd_kafka_conf_t *kc);
/** @brief Set the NULL-terminated name/value pairs @p kv ({"name", "value",
 * ..., NULL}) on @p kc (borrowed); they are our own, known-good settings. */
void vl_kafka_conf_pairs(rd_kafka_conf_t *kc, const char *const *kv);

/**
 * @brief A consumer built from the configuration. @p kc (stolen, whatever
 * the result) holds the caller's defaults and callbacks; the common settings
 * (vl_kafka_conf_common) and the user's librdkafka properties go over them,
 * then the pairs @p forced (may be NULL) that the caller's correctness
 * depends on. Logs come to our thread and the main queue is forwarded to the
 * consumer's, so rd_kafka_consumer_poll() serves everything.
 * @returns the client, or NULL with err set (VL_REJECT for a bad property,
 * VL_FATAL otherwise).
 */
rd_kafka_t *vl_consumer_new(const struct vl_conf *cf, rd_kafka_conf_t *kc,
                            const char *const *forced, struct vl_err *err);

/** @brief Serve librdkafka logs queued on @p rk (call from the main loop). */
void vl_kafka_serve_logs(rd_kafka_t *rk);

/** @brief A consumed record as a dead-letter record's input describes it
 * (topic, partition, offset, timestamp, key, headers, value_b64 of at most
 * @p max_bytes, -1: all; value_bytes, truncated). @returns new object. */
json_t *vl_kafka_input_json(const rd_kafka_message_t *rkm, int64_t max_bytes);

#endif
