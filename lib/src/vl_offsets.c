#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "veille/offsets.h"
#include "veille/mem.h"

struct tp {
        char *topic;
        int32_t partition;
        struct vl_inflight *head, *tail;
};

struct vl_inflight {
        struct tp *tp; /* NULL once orphaned by a revoke */
        int64_t offset;
        int pending;
        int failed;
        int64_t start_us;
        struct vl_inflight *next;
};

struct vl_offsets {
        struct tp *tps;
        int ntps;
        long inflight;
        int failed;
};

static int64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct vl_offsets *vl_offsets_new(void)
{
        return vl_xcalloc(1, sizeof(struct vl_offsets));
}

static void free_list(struct vl_inflight *inf)
{
        while (inf) {
                struct vl_inflight *next = inf->next;

                free(inf);
                inf = next;
        }
}

void vl_offsets_destroy(struct vl_offsets *o)
{
        if (!o)
                return;
        for (int i = 0; i < o->ntps; i++) {
                free_list(o->tps[i].head);
                free(o->tps[i].topic);
        }
        free(o->tps);
        free(o);
}

static struct tp *find_tp(struct vl_offsets *o, const char *topic,
                          int32_t partition, int create)
{
        for (int i = 0; i < o->ntps; i++)
                if (o->tps[i].partition == partition &&
                    strcmp(o->tps[i].topic, topic) == 0)
                        return &o->tps[i];
        if (!create)
                return NULL;
        /* entries point at their tp: grow by moving, then re-point them */
        o->tps = vl_xrealloc(o->tps, (size_t)(o->ntps + 1) * sizeof(*o->tps));
        o->tps[o->ntps].topic = vl_xstrdup(topic);
        o->tps[o->ntps].partition = partition;
        o->tps[o->ntps].head = o->tps[o->ntps].tail = NULL;
        o->ntps++;
        for (int i = 0; i < o->ntps; i++)
                for (struct vl_inflight *e = o->tps[i].head; e; e = e->next)
                        e->tp = &o->tps[i];
        return &o->tps[o->ntps - 1];
}

struct vl_inflight *vl_offsets_track(struct vl_offsets *o, const char *topic,
                                     int32_t partition, int64_t offset,
                                     int pending)
{
        struct tp *tp = find_tp(o, topic, partition, 1);
        struct vl_inflight *inf = vl_xcalloc(1, sizeof(*inf));

        inf->tp = tp;
        inf->offset = offset;
        inf->pending = pending;
        inf->start_us = now_us();
        if (tp->tail)
                tp->tail->next = inf;
        else
                tp->head = inf;
        tp->tail = inf;
        o->inflight++;
        return inf;
}

void vl_offsets_add(struct vl_inflight *inf, int n)
{
        inf->pending += n;
}

void vl_offsets_done(struct vl_offsets *o, struct vl_inflight *inf, int ok)
{
        if (!ok) {
                inf->failed = 1;
                o->failed = 1;
        }
        inf->pending--;
        if (!inf->tp && inf->pending <= 0)
                free(inf); /* orphan of a revoked partition */
}

int vl_offsets_collect(struct vl_offsets *o,
                       rd_kafka_topic_partition_list_t *list,
                       void (*on_complete)(void *ctx, int64_t start_us),
                       void *ctx)
{
        int added = 0;

        for (int i = 0; i < o->ntps; i++) {
                struct tp *tp = &o->tps[i];
                int64_t last = -1;

                while (tp->head && tp->head->pending <= 0 &&
                       !tp->head->failed) {
                        struct vl_inflight *inf = tp->head;

                        last = inf->offset;
                        if (on_complete)
                                on_complete(ctx, now_us() - inf->start_us);
                        tp->head = inf->next;
                        if (!tp->head)
                                tp->tail = NULL;
                        free(inf);
                        o->inflight--;
                }
                if (last >= 0) {
                        rd_kafka_topic_partition_list_add(list, tp->topic,
                                                          tp->partition)
                                ->offset = last + 1;
                        added++;
                }
        }
        return added;
}

void vl_offsets_forget(struct vl_offsets *o, const char *topic,
                       int32_t partition)
{
        struct tp *tp = find_tp(o, topic, partition, 0);
        struct vl_inflight *inf, *next;

        if (!tp)
                return;
        for (inf = tp->head; inf; inf = next) {
                next = inf->next;
                o->inflight--;
                if (inf->pending <= 0) {
                        free(inf);
                } else {
                        inf->tp = NULL;
                        inf->next = NULL;
                }
        }
        tp->head = tp->tail = NULL;
}

long vl_offsets_inflight(const struct vl_offsets *o)
{
        return o->inflight;
}

int vl_offsets_failed(const struct vl_offsets *o)
{
        return o->failed;
}
