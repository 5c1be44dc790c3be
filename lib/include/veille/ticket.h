#ifndef VEILLE_TICKET_H
#define VEILLE_TICKET_H
/* Outputs that a stage delivers itself, not through Kafka (the sink's
 * webhooks). In process(), the stage claims a ticket for each such output
 * with vl_out_ticket(); the runner ties the tickets to the input, whose
 * offset is then stored only once every ticket is settled (and its other
 * records delivered). The stage settles a ticket from any thread, when the
 * output was delivered or replaced by a dead-letter record. */
#include <stdbool.h>
#include "veille/out.h"

struct vl_ticket;
struct vl_tickets; /* the runner's inbox of settled tickets */

/** @brief In process(), just before returning VL_OK: one more output of
 * the current input that the stage delivers itself. @returns the ticket,
 * or NULL when the runner takes no tickets (one-shot mode): the stage then
 * delivers nothing itself. */
struct vl_ticket *vl_out_ticket(struct vl_out *out);

/**
 * @brief The stage is done with @p t (thread-safe; @p t is the runner's
 * from here on).
 * @param ok true: delivered, or given up on with @p instead holding the
 * records to produce in its place (a dead letter); the input completes
 * when they are delivered too. false: not delivered and not given up on
 * (the stage is stopping): the input's offset is not stored and the input
 * is consumed again after a restart.
 * @param instead records (stolen, released by the runner), or NULL.
 */
void vl_ticket_settle(struct vl_ticket *t, bool ok, struct vl_out *instead);

/* ---- the runner's side ---- */

struct vl_tickets *vl_tickets_new(void);
/** @brief Free the inbox and the settled tickets left in it. */
void vl_tickets_destroy(struct vl_tickets *box);
/** @brief Tie the tickets claimed in @p out to @p owner (the runner's
 * per-input bookkeeping) and forget them from @p out. @returns how many. */
int vl_tickets_bind(struct vl_out *out, void *owner);
/** @returns tickets claimed and not yet settled. */
long vl_tickets_pending(struct vl_tickets *box);
/**
 * @brief Take the settled tickets: for each, @p fn(ctx, owner, ok,
 * instead) is called on the caller's thread (instead: stolen by @p fn, or
 * NULL) and the ticket freed. @returns how many.
 */
int vl_tickets_take(struct vl_tickets *box,
                    void (*fn)(void *ctx, void *owner, bool ok,
                               struct vl_out *instead),
                    void *ctx);

#endif
