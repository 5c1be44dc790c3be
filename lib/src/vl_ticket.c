/* Tickets: outputs a stage delivers itself (veille/ticket.h). A ticket is
 * claimed on the runner's thread, settled on any thread into the runner's
 * inbox, and taken back on the runner's thread. */
#include <pthread.h>
#include <stdlib.h>
#include "veille/ticket.h"
#include "veille/mem.h"

struct vl_ticket {
        struct vl_tickets *box;
        void *owner; /* set by vl_tickets_bind */
        bool ok;
        struct vl_out *instead;
        struct vl_ticket *next; /* in the inbox */
};

struct vl_tickets {
        pthread_mutex_t mu;
        struct vl_ticket *head, *tail; /* settled, in order */
        long pending;                  /* claimed, not settled */
};

struct vl_tickets *vl_tickets_new(void)
{
        struct vl_tickets *box = vl_xcalloc(1, sizeof(*box));

        pthread_mutex_init(&box->mu, NULL);
        return box;
}

static void ticket_free(struct vl_ticket *t)
{
        if (t->instead) {
                vl_out_release(t->instead);
                free(t->instead);
        }
        free(t);
}

void vl_tickets_destroy(struct vl_tickets *box)
{
        struct vl_ticket *t, *next;

        if (!box)
                return;
        for (t = box->head; t; t = next) {
                next = t->next;
                ticket_free(t);
        }
        pthread_mutex_destroy(&box->mu);
        free(box);
}

struct vl_ticket *vl_out_ticket(struct vl_out *out)
{
        struct vl_ticket *t;

        if (!out->tickets)
                return NULL;
        t = vl_xcalloc(1, sizeof(*t));
        t->box = out->tickets;
        if (out->nheld == out->capheld) {
                out->capheld = out->capheld ? out->capheld * 2 : 8;
                out->held = vl_xrealloc(out->held, (size_t)out->capheld *
                                                           sizeof(*out->held));
        }
        out->held[out->nheld++] = t;
        pthread_mutex_lock(&t->box->mu);
        t->box->pending++;
        pthread_mutex_unlock(&t->box->mu);
        return t;
}

void vl_ticket_settle(struct vl_ticket *t, bool ok, struct vl_out *instead)
{
        struct vl_tickets *box = t->box;

        t->ok = ok;
        t->instead = instead;
        pthread_mutex_lock(&box->mu);
        if (box->tail)
                box->tail->next = t;
        else
                box->head = t;
        box->tail = t;
        box->pending--;
        pthread_mutex_unlock(&box->mu);
}

int vl_tickets_bind(struct vl_out *out, void *owner)
{
        int n = out->nheld;

        /* the inbox is only read on this thread: a ticket settled already
         * waits there, and gets its owner before anyone looks at it */
        for (int i = 0; i < n; i++)
                out->held[i]->owner = owner;
        out->nheld = 0;
        return n;
}

long vl_tickets_pending(struct vl_tickets *box)
{
        long n;

        pthread_mutex_lock(&box->mu);
        n = box->pending;
        pthread_mutex_unlock(&box->mu);
        return n;
}

int vl_tickets_take(struct vl_tickets *box,
                    void (*fn)(void *ctx, void *owner, bool ok,
                               struct vl_out *instead),
                    void *ctx)
{
        struct vl_ticket *t, *next;
        int n = 0;

        pthread_mutex_lock(&box->mu);
        t = box->head;
        box->head = box->tail = NULL;
        pthread_mutex_unlock(&box->mu);
        for (; t; t = next, n++) {
                next = t->next;
                fn(ctx, t->owner, t->ok, t->instead);
                t->instead = NULL;
                ticket_free(t);
        }
        return n;
}
