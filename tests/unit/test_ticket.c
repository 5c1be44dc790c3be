/* Tickets (veille/ticket.h): outputs a stage delivers itself, settled from
 * another thread and taken back by the runner; and vl_out_json_raw. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "veille/out.h"
#include "veille/ticket.h"

struct seen {
        void *owner[8];
        bool ok[8];
        int nrecs[8];
        int n;
};

static void on_take(void *ctx, void *owner, bool ok, struct vl_out *instead)
{
        struct seen *s = ctx;

        s->owner[s->n] = owner;
        s->ok[s->n] = ok;
        s->nrecs[s->n] = instead ? instead->n : -1;
        s->n++;
        if (instead) {
                vl_out_release(instead);
                free(instead);
        }
}

struct settle_arg {
        struct vl_ticket *t;
        bool ok;
        struct vl_out *instead;
};

static void *settle_thread(void *p)
{
        struct settle_arg *a = p;

        vl_ticket_settle(a->t, a->ok, a->instead);
        return NULL;
}

Test(ticket, none_in_one_shot_mode)
{
        struct vl_out out;

        vl_out_init(&out, NULL);
        cr_expect_null(vl_out_ticket(&out));
        cr_expect_eq(out.nheld, 0);
        vl_out_release(&out);
}

Test(ticket, settled_on_another_thread_taken_in_order)
{
        struct vl_tickets *box = vl_tickets_new();
        struct vl_out out, *dl = calloc(1, sizeof(*dl));
        struct vl_ticket *a, *b, *c;
        struct settle_arg sa[3];
        struct seen seen = { 0 };
        pthread_t th;
        int owner1, owner2;

        vl_out_init(&out, "urn:veille:test");
        out.tickets = box;
        a = vl_out_ticket(&out);
        b = vl_out_ticket(&out);
        cr_assert(a && b);
        cr_expect_eq(vl_tickets_pending(box), 2);
        /* settled before it is bound: it waits in the inbox */
        sa[0] = (struct settle_arg){ a, true, NULL };
        pthread_create(&th, NULL, settle_thread, &sa[0]);
        pthread_join(th, NULL);
        cr_expect_eq(vl_tickets_bind(&out, &owner1), 2);
        cr_expect_eq(out.nheld, 0);
        c = vl_out_ticket(&out);
        cr_expect_eq(vl_tickets_bind(&out, &owner2), 1);
        vl_out_init(dl, "urn:veille:test");
        vl_out_raw(dl, "veille.dlq", "k", "{}", 2);
        sa[1] = (struct settle_arg){ c, true, dl };
        sa[2] = (struct settle_arg){ b, false, NULL };
        pthread_create(&th, NULL, settle_thread, &sa[1]);
        pthread_join(th, NULL);
        pthread_create(&th, NULL, settle_thread, &sa[2]);
        pthread_join(th, NULL);
        cr_expect_eq(vl_tickets_pending(box), 0);
        cr_expect_eq(vl_tickets_take(box, on_take, &seen), 3);
        cr_assert_eq(seen.n, 3);
        cr_expect_eq(seen.owner[0], &owner1);
        cr_expect(seen.ok[0]);
        cr_expect_eq(seen.nrecs[0], -1);
        cr_expect_eq(seen.owner[1], &owner2);
        cr_expect(seen.ok[1]);
        cr_expect_eq(seen.nrecs[1], 1);
        cr_expect_eq(seen.owner[2], &owner1);
        cr_expect_not(seen.ok[2]);
        cr_expect_eq(vl_tickets_take(box, on_take, &seen), 0);
        vl_tickets_destroy(box);
        vl_out_release(&out);
}

Test(ticket, destroy_frees_what_was_not_taken)
{
        struct vl_tickets *box = vl_tickets_new();
        struct vl_out out, *dl = calloc(1, sizeof(*dl));
        struct vl_ticket *t;

        vl_out_init(&out, NULL);
        out.tickets = box;
        t = vl_out_ticket(&out);
        vl_tickets_bind(&out, NULL);
        vl_out_init(dl, NULL);
        vl_out_raw(dl, "veille.dlq", NULL, "{}", 2);
        vl_ticket_settle(t, true, dl);
        vl_tickets_destroy(box); /* the sanitizer build checks for leaks */
        vl_out_release(&out);
}

Test(out, json_raw_is_json_take_for_text)
{
        struct vl_out out;
        struct vl_rec *a, *b;
        const char *names[] = { "ce_specversion", "ce_source", "ce_type",
                                "ce_subject", "content-type" };

        vl_out_init(&out, "urn:veille:test");
        vl_out_set_id_base(&out, "in-0-7");
        a = vl_out_json_take(&out, "t", "k", "org.veille.test.v1",
                             json_pack("{s:i}", "n", 1));
        b = vl_out_json_raw(&out, "t", "k", "org.veille.test.v1",
                            "{\"n\":1}", 7);
        a = &out.recs[0]; /* the array may have moved */
        cr_expect_str_eq(a->value, b->value);
        cr_expect_eq(a->len, b->len);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                cr_expect_str_eq(vl_rec_header_get(a, names[i]),
                                 vl_rec_header_get(b, names[i]), "%s",
                                 names[i]);
        cr_expect_str_eq(vl_rec_header_get(a, "ce_id"), "in-0-7/0");
        cr_expect_str_eq(vl_rec_header_get(b, "ce_id"), "in-0-7/1");
        vl_out_release(&out);
}
