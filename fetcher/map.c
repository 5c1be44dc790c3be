/* A string-keyed hash table with chaining: the set of pages in flight, the
 * per-host slots. Small and boring on purpose. */
#include <stdlib.h>
#include <string.h>
#include "veille/mem.h"
#include "fetcher.h"

#define MAP_MIN_BUCKETS 64

static uint64_t hash(const char *s)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

void fetcher_map_init(struct fetcher_map *m)
{
        m->b = NULL;
        m->nb = 0;
        m->n = 0;
}

void fetcher_map_release(struct fetcher_map *m, void (*free_val)(void *))
{
        size_t i;

        for (i = 0; i < m->nb; i++) {
                struct fetcher_map_entry *me = m->b[i];

                while (me) {
                        struct fetcher_map_entry *next = me->next;

                        if (free_val)
                                free_val(me->val);
                        free(me->key);
                        free(me);
                        me = next;
                }
        }
        free(m->b);
        fetcher_map_init(m);
}

static struct fetcher_map_entry **find(const struct fetcher_map *m,
                                       const char *key)
{
        struct fetcher_map_entry **pp;

        if (!m->nb)
                return NULL;
        pp = &m->b[hash(key) & (m->nb - 1)];
        for (; *pp; pp = &(*pp)->next)
                if (!strcmp((*pp)->key, key))
                        return pp;
        return pp;
}

void *fetcher_map_get(const struct fetcher_map *m, const char *key)
{
        struct fetcher_map_entry **pp = find(m, key);

        return pp && *pp ? (*pp)->val : NULL;
}

static void grow(struct fetcher_map *m)
{
        size_t nb = m->nb ? m->nb * 2 : MAP_MIN_BUCKETS;
        struct fetcher_map_entry **b = vl_xcalloc(nb, sizeof(*b));
        size_t i;

        for (i = 0; i < m->nb; i++) {
                struct fetcher_map_entry *me = m->b[i];

                while (me) {
                        struct fetcher_map_entry *next = me->next;
                        size_t j = hash(me->key) & (nb - 1);

                        me->next = b[j];
                        b[j] = me;
                        me = next;
                }
        }
        free(m->b);
        m->b = b;
        m->nb = nb;
}

void *fetcher_map_put(struct fetcher_map *m, const char *key, void *val)
{
        struct fetcher_map_entry **pp;
        struct fetcher_map_entry *me;
        void *old;

        if (m->n + 1 > m->nb * 3 / 4)
                grow(m);
        pp = find(m, key);
        if (*pp) {
                old = (*pp)->val;
                (*pp)->val = val;
                return old;
        }
        me = vl_xmalloc(sizeof(*me));
        me->key = vl_xstrdup(key);
        me->val = val;
        me->next = NULL;
        *pp = me;
        m->n++;
        return NULL;
}

void *fetcher_map_del(struct fetcher_map *m, const char *key)
{
        struct fetcher_map_entry **pp = find(m, key);
        struct fetcher_map_entry *me;
        void *val;

        if (!pp || !*pp)
                return NULL;
        me = *pp;
        *pp = me->next;
        val = me->val;
        free(me->key);
        free(me);
        m->n--;
        return val;
}

void fetcher_map_each(const struct fetcher_map *m,
                      void (*fn)(void *ctx, const char *key, void *val),
                      void *ctx)
{
        size_t i;

        for (i = 0; i < m->nb; i++) {
                const struct fetcher_map_entry *me;

                for (me = m->b[i]; me; me = me->next)
                        fn(ctx, me->key, me->val);
        }
}
