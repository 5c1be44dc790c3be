#include <criterion/criterion.h>
#include "veille/offsets.h"

static int64_t stored(rd_kafka_topic_partition_list_t *l, int32_t part)
{
        for (int i = 0; i < l->cnt; i++)
                if (l->elems[i].partition == part)
                        return l->elems[i].offset;
        return -1;
}

static int64_t collect(struct vl_offsets *o, int32_t part)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(4);
        int64_t v;

        vl_offsets_collect(o, l, NULL, NULL);
        v = stored(l, part);
        rd_kafka_topic_partition_list_destroy(l);
        return v;
}

Test(offsets, stores_low_watermark_out_of_order)
{
        struct vl_offsets *o = vl_offsets_new();
        struct vl_inflight *a = vl_offsets_track(o, "t", 0, 10, 1);
        struct vl_inflight *b = vl_offsets_track(o, "t", 0, 11, 2);
        struct vl_inflight *c = vl_offsets_track(o, "t", 0, 12, 1);

        vl_offsets_done(o, c, 1); /* 12 done first: nothing storable */
        cr_assert_eq(collect(o, 0), -1);
        vl_offsets_done(o, a, 1);
        cr_assert_eq(collect(o, 0), 11); /* 10 done: store 11 */
        vl_offsets_done(o, b, 1);
        cr_assert_eq(collect(o, 0), -1); /* b has one output left */
        vl_offsets_done(o, b, 1);
        cr_assert_eq(collect(o, 0), 13); /* 11 and 12 done: store 13 */
        cr_assert_eq(vl_offsets_inflight(o), 0);
        vl_offsets_destroy(o);
}

Test(offsets, partitions_are_independent)
{
        struct vl_offsets *o = vl_offsets_new();
        struct vl_inflight *a = vl_offsets_track(o, "t", 0, 5, 1);
        struct vl_inflight *b = vl_offsets_track(o, "t", 1, 7, 1);

        vl_offsets_done(o, b, 1);
        cr_assert_eq(collect(o, 1), 8);
        vl_offsets_done(o, a, 1);
        cr_assert_eq(collect(o, 0), 6);
        vl_offsets_destroy(o);
}

Test(offsets, failure_pins_the_watermark)
{
        struct vl_offsets *o = vl_offsets_new();
        struct vl_inflight *a = vl_offsets_track(o, "t", 0, 1, 1);
        struct vl_inflight *b = vl_offsets_track(o, "t", 0, 2, 1);

        vl_offsets_done(o, a, 0);
        vl_offsets_done(o, b, 1);
        cr_assert_eq(collect(o, 0), -1);
        cr_assert(vl_offsets_failed(o));
        vl_offsets_destroy(o);
}

Test(offsets, zero_outputs_complete_at_once)
{
        struct vl_offsets *o = vl_offsets_new();
        struct vl_inflight *a = vl_offsets_track(o, "t", 3, 40, 1);

        vl_offsets_done(o, a, 1); /* the guard count, no outputs */
        cr_assert_eq(collect(o, 3), 41);
        vl_offsets_destroy(o);
}

Test(offsets, forget_orphans_pending_entries)
{
        struct vl_offsets *o = vl_offsets_new();
        struct vl_inflight *a = vl_offsets_track(o, "t", 0, 1, 1);

        vl_offsets_track(o, "t", 1, 1, 1); /* grows the table */
        vl_offsets_forget(o, "t", 0);
        cr_assert_eq(vl_offsets_inflight(o), 1);
        vl_offsets_done(o, a, 1); /* late report: freed, never stored */
        cr_assert_eq(collect(o, 0), -1);
        vl_offsets_destroy(o);
}
