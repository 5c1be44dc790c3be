/* parser/stage.c: the callbacks the stage runner calls. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/out.h"
#include "parser/parser.h"

#define HTML "<html lang=\"fr\"><head><title>Le budget municipal " \
        "adopt\xc3\xa9 - Le Site</title>" \
        "<link rel=\"canonical\" href=\"https://site.example/a.html\">" \
        "</head><body><article><p>Le conseil municipal a vot\xc3\xa9 lundi " \
        "soir le budget de l'ann\xc3\xa9" "e prochaine, en hausse de dix " \
        "pour cent, apr\xc3\xa8s un long d\xc3\xa9" "bat sur le prix de " \
        "l'eau et sur l'entretien des routes du quartier nord.</p>" \
        "</article></body></html>"

struct fixture {
        struct parser_conf pc;
        struct vl_stage st;
        struct vl_stage_conf sc;
        void *state;
        struct vl_out out;
};

static void setup(struct fixture *f)
{
        struct vl_err err;

        memset(f, 0, sizeof(*f));
        parser_stage_setup(&f->st, &f->pc);
        f->pc.min_words = 20;
        f->pc.max_body_bytes = 10 << 20;
        f->pc.lang_detect = true;
        f->sc.output_topic = (char *)(uintptr_t)"veille.articles";
        cr_assert_eq(f->st.init(&f->state, &f->sc, &f->pc, NULL, &err), VL_OK,
                     "%s", err.msg);
        vl_out_init(&f->out, "urn:veille:parser");
}

static void teardown(struct fixture *f)
{
        vl_out_release(&f->out);
        f->st.destroy(f->state);
}

static enum vl_rc process(struct fixture *f, const char *value,
                          struct vl_err *err)
{
        struct vl_in in;

        memset(&in, 0, sizeof(in));
        in.topic = "veille.pages";
        in.value = value;
        in.len = strlen(value);
        return f->st.process(f->state, &in, &f->out, err);
}

Test(parser_stage, describes_itself)
{
        struct parser_conf pc;
        struct vl_stage st;

        parser_stage_setup(&st, &pc);
        cr_expect_str_eq(st.name, "parser");
        cr_expect_str_eq(st.input_topic, "veille.pages");
        cr_expect_str_eq(st.output_topic, "veille.articles");
        cr_expect(st.init && st.process && st.oneshot_input && st.destroy);
        cr_expect_eq(st.conf, &pc);
        cr_expect_str_eq(st.keys[0].name, "parser.min.words");
        cr_expect_str_eq(st.keys[0].def, "20");
}

Test(parser_stage, oneshot_then_process)
{
        struct fixture f;
        struct vl_err err;
        char *value = NULL;
        size_t len = 0;
        json_t *a;
        const char *topic;

        setup(&f);
        f.pc.url = (char *)(uintptr_t)
                "https://site.example/a.html?utm_source=x";
        cr_assert_eq(f.st.oneshot_input(f.state, HTML, strlen(HTML), &value,
                                        &len, &err), VL_OK);
        cr_assert_eq(strlen(value), len);
        cr_assert_eq(process(&f, value, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(f.out.n, 1);
        topic = f.out.recs[0].topic;
        cr_expect_str_eq(topic, "veille.articles");
        cr_expect_str_eq(vl_rec_header_get(&f.out.recs[0], "ce_type"),
                         "org.veille.article.v1");
        a = json_loadb(f.out.recs[0].value, f.out.recs[0].len, 0, NULL);
        cr_assert(a);
        cr_expect_str_eq(f.out.recs[0].key,
                         json_string_value(json_object_get(a, "id")));
        cr_expect_str_eq(json_string_value(json_object_get(a, "title")),
                         "Le budget municipal adopt\xc3\xa9");
        cr_expect_str_eq(json_string_value(json_object_get(a, "schema")),
                         "veille.article.v1");
        json_decref(a);
        free(value);
        teardown(&f);
}

Test(parser_stage, reject_produces_nothing)
{
        struct fixture f;
        struct vl_err err;

        setup(&f);
        cr_expect_eq(process(&f, "{\"url\":\"https://x.example/\","
                                 "\"body_b64\":\"JVBERi0xLjQK\"}", &err),
                     VL_REJECT);
        cr_expect(strstr(err.msg, "not html"), "%s", err.msg);
        cr_expect_eq(f.out.n, 0);
        teardown(&f);
}

Test(parser_stage, refuses_bad_settings)
{
        struct parser_conf pc;
        struct vl_stage_conf sc;
        struct vl_err err;
        void *state = NULL;

        memset(&pc, 0, sizeof(pc));
        memset(&sc, 0, sizeof(sc));
        pc.max_body_bytes = 0;
        cr_expect_eq(parser_stage_init(&state, &sc, &pc, NULL, &err),
                     VL_FATAL);
        cr_expect(strstr(err.msg, "parser.max.body.bytes"), "%s", err.msg);
        pc.max_body_bytes = 100;
        pc.min_words = -1;
        cr_expect_eq(parser_stage_init(&state, &sc, &pc, NULL, &err),
                     VL_FATAL);
}
