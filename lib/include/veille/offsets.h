#ifndef VEILLE_OFFSETS_H
#define VEILLE_OFFSETS_H
/* At-least-once bookkeeping: an input offset may be stored only when every
 * output derived from it, and from every earlier input of its partition, has
 * been delivered (a per-partition low-watermark; delivery reports arrive out
 * of order). Single-threaded: call from the thread that polls. */
#include <stdint.h>
#include <librdkafka/rdkafka.h>

struct vl_inflight;
struct vl_offsets;

struct vl_offsets *vl_offsets_new(void);
void vl_offsets_destroy(struct vl_offsets *o);

/** @brief Start tracking input @p offset of @p topic/@p partition with
 * @p pending outputs still to deliver (count one extra while producing and
 * release it with vl_offsets_done, so a quick report cannot complete it
 * early). Offsets of one partition must be tracked in increasing order.
 * @returns the entry, owned by @p o. */
struct vl_inflight *vl_offsets_track(struct vl_offsets *o, const char *topic,
                                     int32_t partition, int64_t offset,
                                     int pending);
/** @brief Add @p n outputs to wait for. */
void vl_offsets_add(struct vl_inflight *inf, int n);
/** @brief One output of @p inf was reported: delivered (@p ok) or failed.
 * A failed output pins the watermark below its input for good. */
void vl_offsets_done(struct vl_offsets *o, struct vl_inflight *inf, int ok);

/** @brief Move the watermarks past completed inputs and add, for each
 * partition that advanced, (topic, partition, last completed + 1) to
 * @p list. Calls @p on_complete(ctx, start_us) for each completed input.
 * @returns the number of partitions added. */
int vl_offsets_collect(struct vl_offsets *o,
                       rd_kafka_topic_partition_list_t *list,
                       void (*on_complete)(void *ctx, int64_t start_us),
                       void *ctx);

/** @brief Stop tracking a revoked partition; entries still waiting for
 * reports are orphaned and freed when their reports arrive. */
void vl_offsets_forget(struct vl_offsets *o, const char *topic,
                       int32_t partition);

/** @returns inputs tracked and not yet completed (backpressure). */
long vl_offsets_inflight(const struct vl_offsets *o);
/** @returns true if some output failed (the stage must stop). */
int vl_offsets_failed(const struct vl_offsets *o);

#endif
