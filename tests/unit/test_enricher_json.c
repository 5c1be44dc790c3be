/* The JSON the enricher reads without jansson (veille/jscan.h): it must
 * accept and refuse what jansson does, and decode strings the same way. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "veille/jscan.h"

static bool jansson_ok(const char *s, size_t n)
{
        json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
        bool ok = json_is_object(j);

        json_decref(j);
        return ok;
}

static bool jscan_ok(const char *s, size_t n)
{
        struct vl_jobj o = {0};
        struct vl_err err = {0};
        bool ok = vl_jscan_object(s, n, &o, &err) == VL_OK;

        vl_jobj_release(&o);
        return ok;
}

Test(enricher_json, accepts_and_refuses_like_jansson)
{
        static const char *const cases[] = {
                "{}", " {} ", "{\"a\":1}", "{\"a\":-0.5e+3,\"b\":[1,2,{}]}",
                "{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}",
                "{\"a\":true,\"b\":false,\"c\":null}",
                "{\"a\":\"h\xc3\xa9\"}", "{\"a\":[[[]]]}",
                /* refused */
                "", "[]", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
                "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}",
                "{\"a\":1e}", "{\"a\":tru}", "{\"a\":nul}", "{a:1}",
                "{\"a\":\"\\x\"}", "{\"a\":\"\\u00\"}", "{\"a\":\"\\u0000\"}",
                "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
                "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\x01\"}",
                "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
                "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
                "{\"a\":\"\xe2\x82\"}", "{} x", "{}{}", "{\"a\":1 \"b\":2}",
                "{\"a\":1,\"a\":2}", "{\"a\":[1,]}", "{\"a\":\"x}",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
                cr_expect_eq(jscan_ok(cases[i], strlen(cases[i])),
                             jansson_ok(cases[i], strlen(cases[i])), "%s",
                             cases[i]);
}

Test(enricher_json, random_damage_like_jansson)
{
        static const char doc[] =
                "{\"schema\":\"veille.article.v1\",\"id\":\"abc\",\"n\":-12.5e3,"
                "\"title\":\"L'AES \\u00e0 Niamey\",\"tags\":[\"a\",\"b\"],"
                "\"source\":{\"x\":[true,false,null,0]},\"text\":\"Le "
                "ministre \\\"Simpor\xc3\xa9\\\"\\n\\tparle.\"}";
        size_t n = sizeof(doc) - 1, agree = 0, refused = 0;
        char buf[sizeof(doc)];

        srand(7);
        for (int k = 0; k < 20000; k++) {
                size_t len = n;

                memcpy(buf, doc, n);
                for (int d = 0; d < 1 + rand() % 3; d++) {
                        size_t at = (size_t)rand() % len;

                        switch (rand() % 3) {
                        case 0: /* a byte replaced by a JSON-ish one */
                                buf[at] = "{}[]\",:\\0123456789.eE+-tfnul \x80\xc3\x01"
                                        [rand() % 33];
                                break;
                        case 1: /* a byte removed */
                                memmove(buf + at, buf + at + 1, len - at - 1);
                                len--;
                                break;
                        default: /* cut short */
                                len = at;
                                break;
                        }
                        if (!len)
                                break;
                }
                if (jscan_ok(buf, len) == jansson_ok(buf, len))
                        agree++;
                else
                        cr_expect_fail("disagree on %.*s", (int)len, buf);
                refused += !jansson_ok(buf, len);
        }
        cr_expect_eq(agree, 20000);
        cr_expect_gt(refused, 10000); /* the damage did damage */
}

Test(enricher_json, members_and_strings)
{
        static const char doc[] =
                " {\"id\" : \"x1\", \"text\":\"a\\nb \\u00e9\\ud83d\\ude00 "
                "\\\"q\\\" \\\\ \\/\", \"o\":{\"k\":[1]}, \"k\\\"ey\":2} ";
        struct vl_jobj o = {0};
        struct vl_err err = {0};
        struct vl_buf b, w;
        const struct vl_jmember *m;
        const char *s;
        size_t len;
        json_t *j;

        vl_buf_init(&b, 0);
        vl_buf_init(&w, 0);
        cr_assert_eq(vl_jscan_object(doc, sizeof(doc) - 1, &o, &err), VL_OK,
                     "%s", err.msg);
        cr_assert_eq(o.n, 4);
        m = vl_jobj_get(&o, "id");
        cr_assert(m && !m->escaped);
        s = vl_jmember_string(m, &b, &len);
        cr_expect_eq(len, 2);
        cr_expect(memcmp(s, "x1", 2) == 0);
        cr_expect_eq(m->rawlen, strlen("\"id\" : \"x1\""));
        m = vl_jobj_get(&o, "text");
        cr_assert(m && m->escaped);
        s = vl_jmember_string(m, &b, &len);
        j = json_loadb(doc, sizeof(doc) - 1, 0, NULL);
        cr_assert(j);
        cr_expect_eq(len, json_string_length(json_object_get(j, "text")));
        cr_expect(memcmp(s, json_string_value(json_object_get(j, "text")),
                         len) == 0);
        /* written back as JSON, it decodes to the same bytes */
        vl_json_put_string(&w, s, len);
        {
                json_t *back = json_loadb(w.data, w.len, JSON_DECODE_ANY,
                                          NULL);

                cr_assert(back);
                cr_expect_str_eq(json_string_value(back), s);
                json_decref(back);
        }
        m = vl_jobj_get(&o, "o");
        cr_assert(m);
        cr_expect_eq(m->vlen, strlen("{\"k\":[1]}"));
        cr_expect_eq(o.m[3].klen, strlen("k\\\"ey"));
        /* control characters are escaped */
        vl_buf_reset(&w);
        vl_json_put_string(&w, "a\x01\t", 3);
        cr_expect_str_eq(w.data, "\"a\\u0001\\t\"");
        /* byte for byte as jansson writes them, into a vl_buf or in place */
        {
                static const char in[] = "x\x1b\"\\/\x7f\xc3\xa9\n\x1f";
                json_t *js = json_stringn(in, sizeof(in) - 1);
                char *want = json_dumps(js, JSON_ENCODE_ANY | JSON_COMPACT);
                size_t qn = vl_json_quoted_len(in, sizeof(in) - 1);
                char *d = malloc(qn + 1);

                vl_buf_reset(&w);
                vl_json_put_string(&w, in, sizeof(in) - 1);
                cr_expect_str_eq(w.data, want);
                cr_expect_eq(qn, strlen(want));
                *vl_json_put_quoted(d, in, sizeof(in) - 1) = 0;
                cr_expect_str_eq(d, want);
                free(d);
                free(want);
                json_decref(js);
        }
        json_decref(j);
        vl_buf_release(&b);
        vl_buf_release(&w);
        vl_jobj_release(&o);
}
