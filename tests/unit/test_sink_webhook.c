/* The webhook thread without a broker: safe by default (a loopback
 * address is refused and dead-lettered at once, without a retry), and the
 * dead letter describes the input and the webhook. Deliveries to a real
 * receiver are in tests/integration/test_sink_webhook.sh. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>
#include "veille/codec.h"
#include "sink.h"

struct got {
        int n;
        bool ok;
        char *dlq; /* the dead letter's value */
};

static void on_take(void *ctx, void *owner, bool ok, struct vl_out *instead)
{
        struct got *g = ctx;

        (void)owner;
        g->n++;
        g->ok = ok;
        if (instead) {
                cr_assert_eq(instead->n, 1);
                cr_expect_str_eq(instead->recs[0].topic, "veille.dlq");
                g->dlq = strdup(instead->recs[0].value);
                vl_out_release(instead);
                free(instead);
        }
}

static void post_one(struct sink_hooks *h, struct vl_out *out,
                     const char *url)
{
        static const char ev[] = "{\"schema\":\"veille.enriched.v1\","
                                 "\"id\":\"a1\"}";
        struct vl_in in = { .topic = "veille.enriched", .partition = 1,
                            .offset = 42, .key = "a1", .key_len = 2,
                            .value = ev, .len = sizeof(ev) - 1 };
        struct vl_rec *rec;
        struct vl_ticket *t;

        vl_out_set_id_base(out, "veille.enriched-1-42");
        rec = vl_out_json_raw(out, "veille.watch.w", "a1",
                              SINK_MATCH_CE_TYPE, "{\"watch\":\"w\"}", 13);
        t = vl_out_ticket(out);
        cr_assert_not_null(t);
        sink_hooks_post(h, t, "w", url, rec, &in);
        vl_tickets_bind(out, NULL);
}

static void wait_settled(struct vl_tickets *box)
{
        int64_t until = vl_time_mono_ms() + 20000;

        while (vl_tickets_pending(box) > 0 && vl_time_mono_ms() < until)
                nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
        cr_assert_eq(vl_tickets_pending(box), 0, "not settled in 20 s");
}

Test(sink_webhook, loopback_is_refused_by_default)
{
        struct sink_hook_conf c = {
                .timeout_ms = 2000, .retries = 5, .backoff_ms = 10000,
                .backoff_max_ms = 10000, .max_pending = 10,
                .allow_private = false, .dlq_topic = "veille.dlq",
                .dlq_max_input_bytes = 1048576,
        };
        struct vl_err err = { 0 };
        struct vl_tickets *box = vl_tickets_new();
        struct sink_hooks *h = sink_hooks_start(&c, NULL, &err);
        struct vl_out out;
        struct got g = { 0 };
        json_t *dl, *in, *wh;

        cr_assert_not_null(h, "%s", err.msg);
        vl_out_init(&out, "urn:veille:sink");
        out.tickets = box;
        /* the query string is a secret: it must not reach the dead letter */
        post_one(h, &out, "http://127.0.0.1:9/hook?token=s3cret");
        wait_settled(box); /* at once: the backoff (10 s) is not waited */
        cr_expect_eq(vl_tickets_take(box, on_take, &g), 1);
        cr_expect(g.ok);
        cr_assert_not_null(g.dlq);
        cr_expect_null(strstr(g.dlq, "s3cret"), "%s", g.dlq);
        dl = json_loads(g.dlq, 0, NULL);
        cr_assert_not_null(dl);
        cr_expect_str_eq(json_string_value(json_object_get(dl, "stage")),
                         "sink");
        cr_expect_str_eq(json_string_value(json_object_get(
                                 json_object_get(dl, "error"), "class")),
                         "reject");
        cr_expect_not_null(
                strstr(json_string_value(json_object_get(
                               json_object_get(dl, "error"), "message")),
                       "127.0.0.1 is a private address"),
                "%s", g.dlq);
        in = json_object_get(dl, "input");
        cr_expect_str_eq(json_string_value(json_object_get(in, "topic")),
                         "veille.enriched");
        cr_expect_eq(json_integer_value(json_object_get(in, "offset")), 42);
        cr_expect_str_eq(json_string_value(json_object_get(in, "key")), "a1");
        wh = json_object_get(in, "webhook");
        cr_expect_eq(json_integer_value(json_object_get(wh, "attempts")), 1);
        cr_expect_str_eq(json_string_value(json_object_get(wh, "url")),
                         "http://127.0.0.1:9/hook");
        cr_expect_str_eq(
                json_string_value(json_object_get(wh, "idempotency_key")),
                "veille.enriched-1-42/0");
        json_decref(dl);
        free(g.dlq);
        sink_hooks_stop(h);
        vl_out_release(&out);
        vl_tickets_destroy(box);
}

Test(sink_webhook, stop_abandons_what_waits)
{
        struct sink_hook_conf c = {
                .timeout_ms = 2000, .retries = 5, .backoff_ms = 60000,
                .backoff_max_ms = 60000, .max_pending = 10,
                .allow_private = true, .dlq_topic = "veille.dlq",
                .dlq_max_input_bytes = 1048576,
        };
        struct vl_err err = { 0 };
        struct vl_tickets *box = vl_tickets_new();
        struct sink_hooks *h = sink_hooks_start(&c, NULL, &err);
        struct vl_out out;
        struct got g = { 0 };

        cr_assert_not_null(h, "%s", err.msg);
        vl_out_init(&out, "urn:veille:sink");
        out.tickets = box;
        /* port 9 (discard) on loopback: refused, retried in a minute */
        post_one(h, &out, "http://127.0.0.1:9/hook");
        sink_hooks_stop(h);
        cr_expect_eq(vl_tickets_pending(box), 0);
        cr_expect_eq(vl_tickets_take(box, on_take, &g), 1);
        cr_expect_not(g.ok); /* not delivered, not dead-lettered */
        cr_expect_null(g.dlq);
        vl_out_release(&out);
        vl_tickets_destroy(box);
}
