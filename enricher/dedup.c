/* Near-duplicates: an index of recent fingerprints (every instance's, read
 * from the fingerprint topic) in which an article finds the earlier one it
 * repeats. See docs/enricher.md#near-duplicates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/jscan.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "enricher.h"

#define K ENRICHER_MINHASH_K
#define BANDS 8 /* LSH: 8 bands of 2 values; a pair of similarity J shares
                 * a band with probability 1 - (1 - J^2)^8 (0.97 at 0.6) */
#define ROWS (K / BANDS)
#define HEAD_BITS 16
#define MAX_WALK 4096 /* entries looked at per band and query, at most */

struct dd_ent {
        uint32_t sig[K];
        int64_t t;              /* seconds: published (or first seen) */
        uint64_t seq;           /* its insertion number */
        uint64_t next[BANDS];   /* older entry in the same bucket: seq + 1 */
        char id[ENRICHER_DEDUP_ID_MAX + 1];
};

struct enricher_dedup {
        struct dd_ent *e; /* ring of cap entries: seq % cap */
        size_t cap;
        uint64_t seq;     /* next insertion number */
        uint64_t *head[BANDS]; /* per bucket: newest seq + 1, 0 none */
        int64_t window;
        int match;
};

struct enricher_dedup *enricher_dedup_new(size_t cap, int64_t window_s,
                                          int match)
{
        struct enricher_dedup *dd = vl_xcalloc(1, sizeof(*dd));

        dd->cap = cap ? cap : 1;
        dd->e = vl_xcalloc(dd->cap, sizeof(*dd->e));
        for (int b = 0; b < BANDS; b++)
                dd->head[b] = vl_xcalloc((size_t)1 << HEAD_BITS,
                                         sizeof(*dd->head[b]));
        dd->window = window_s;
        dd->match = match < 1 ? 1 : match > K ? K : match;
        return dd;
}

void enricher_dedup_destroy(struct enricher_dedup *dd)
{
        if (!dd)
                return;
        for (int b = 0; b < BANDS; b++)
                free(dd->head[b]);
        free(dd->e);
        free(dd);
}

size_t enricher_dedup_size(const struct enricher_dedup *dd)
{
        return dd->seq < dd->cap ? (size_t)dd->seq : dd->cap;
}

static size_t bucket(const uint32_t *sig, int b)
{
        uint64_t v = enricher_mix64((uint64_t)sig[b * ROWS] << 32 ^
                                    sig[b * ROWS + 1] ^ (uint64_t)b);

        return (size_t)v & (((size_t)1 << HEAD_BITS) - 1);
}

static int same_band(const uint32_t *a, const uint32_t *x, int b)
{
        return memcmp(a + b * ROWS, x + b * ROWS, ROWS * sizeof(*a)) == 0;
}

static int equal_values(const uint32_t *a, const uint32_t *x)
{
        int n = 0;

        for (int k = 0; k < K; k++)
                n += a[k] == x[k] && a[k] != UINT32_MAX;
        return n;
}

/* (t, id) order: which of two articles is the original */
static int before(int64_t ta, const char *a, int64_t tb, const char *b)
{
        return ta < tb || (ta == tb && strcmp(a, b) < 0);
}

static uint64_t oldest(const struct enricher_dedup *dd)
{
        return dd->seq > dd->cap ? dd->seq - dd->cap : 0;
}

void enricher_dedup_add(struct enricher_dedup *dd, const char *id,
                        const uint32_t *sig, int64_t t)
{
        uint64_t seq, s = dd->head[0][bucket(sig, 0)];
        struct dd_ent *e;

        /* already there (an article delivered again, a record read twice):
         * once is enough */
        for (int k = 0; s && s - 1 >= oldest(dd) && k < MAX_WALK; k++) {
                e = &dd->e[(s - 1) % dd->cap];
                if (memcmp(e->sig, sig, sizeof(e->sig)) == 0 &&
                    strcmp(e->id, id) == 0)
                        return;
                s = e->next[0];
        }
        seq = dd->seq++;
        e = &dd->e[seq % dd->cap];
        memcpy(e->sig, sig, sizeof(e->sig));
        e->t = t;
        e->seq = seq;
        snprintf(e->id, sizeof(e->id), "%s", id);
        for (int b = 0; b < BANDS; b++) {
                uint64_t *h = &dd->head[b][bucket(sig, b)];

                e->next[b] = *h;
                *h = seq + 1;
        }
}

bool enricher_dedup_find(const struct enricher_dedup *dd, const char *id,
                         const uint32_t *sig, int64_t t,
                         char out[ENRICHER_DEDUP_ID_MAX + 1])
{
        const struct dd_ent *best = NULL;

        for (int b = 0; b < BANDS; b++) {
                uint64_t s = dd->head[b][bucket(sig, b)];

                /* newest first; an entry older than the ring was
                 * overwritten, and so were all after it */
                for (int k = 0; s && s - 1 >= oldest(dd) && k < MAX_WALK;
                     k++) {
                        const struct dd_ent *e = &dd->e[(s - 1) % dd->cap];

                        s = e->next[b];
                        if (!same_band(e->sig, sig, b) ||
                            e->t < t - dd->window ||
                            equal_values(e->sig, sig) < dd->match ||
                            strcmp(e->id, id) == 0 ||
                            !before(e->t, e->id, t, id))
                                continue;
                        if (!best || before(e->t, e->id, best->t, best->id))
                                best = e;
                }
        }
        if (!best)
                return false;
        snprintf(out, ENRICHER_DEDUP_ID_MAX + 1, "%s", best->id);
        return true;
}

/* ---- the fingerprint record ---------------------------------------------- */

int enricher_dedup_record(char *buf, size_t size, const char *id,
                          const uint32_t *sig, int64_t t)
{
        char hex[K * 8 + 1];

        for (int k = 0; k < K; k++)
                snprintf(hex + 8 * k, 9, "%08x", sig[k]);
        return snprintf(buf, size,
                        "{\"schema\":\"" ENRICHER_FINGERPRINT_SCHEMA
                        "\",\"id\":\"%s\",\"minhash\":\"%s\",\"time\":%lld}",
                        id, hex, (long long)t);
}

enum vl_rc enricher_dedup_parse(const char *s, size_t n, struct vl_jobj *o,
                                struct vl_buf *scratch,
                                char id[ENRICHER_DEDUP_ID_MAX + 1],
                                uint32_t *sig, int64_t *t, struct vl_err *err)
{
        const struct vl_jmember *mi, *ms, *mt;
        const char *v;
        size_t len;
        char *end;

        if (vl_jscan_object(s, n, o, err) != VL_OK)
                return VL_REJECT;
        mi = vl_jobj_get(o, "id");
        ms = vl_jobj_get(o, "minhash");
        mt = vl_jobj_get(o, "time");
        if (!vl_jmember_is_string(mi) || !vl_jmember_is_string(ms) || !mt ||
            mt->val[0] == '"')
                return vl_err_set(err, VL_REJECT, "not a fingerprint record");
        v = vl_jmember_string(mi, scratch, &len);
        if (!len || len > ENRICHER_DEDUP_ID_MAX)
                return vl_err_set(err, VL_REJECT, "bad id in a fingerprint");
        memcpy(id, v, len);
        id[len] = '\0';
        v = vl_jmember_string(ms, scratch, &len);
        if (len != K * 8)
                return vl_err_set(err, VL_REJECT, "bad minhash");
        for (int k = 0; k < K; k++) {
                char w[9];

                memcpy(w, v + 8 * k, 8);
                w[8] = '\0';
                sig[k] = (uint32_t)strtoul(w, &end, 16);
                if (*end || end != w + 8)
                        return vl_err_set(err, VL_REJECT, "bad minhash");
        }
        *t = strtoll(mt->val, &end, 10);
        if (end != mt->val + mt->vlen)
                return vl_err_set(err, VL_REJECT, "bad time");
        return VL_OK;
}
