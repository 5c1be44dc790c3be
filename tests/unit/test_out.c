#include <criterion/criterion.h>
#include <string.h>
#include "veille/out.h"

Test(out, json_append_adds_a_raw_member)
{
        struct vl_out out;
        struct vl_rec *rec;
        const char *art = "{\"id\":\"k\",\"n\":[1,2]}";

        vl_out_init(&out, "urn:veille:test");
        rec = vl_out_json_take(&out, "t", "k", "org.veille.test.v1",
                               json_pack("{s:s}", "watch", "w"));
        vl_rec_json_append(rec, "article", art, strlen(art));
        cr_assert_str_eq(rec->value,
                         "{\"watch\":\"w\",\"article\":{\"id\":\"k\",\"n\":[1,2]}}");
        cr_assert_eq(rec->len, strlen(rec->value));
        cr_assert_str_eq(vl_rec_header_get(rec, "ce_subject"), "k");
        vl_out_release(&out);
}

Test(out, json_append_to_an_empty_object)
{
        struct vl_out out;
        struct vl_rec *rec;

        vl_out_init(&out, NULL);
        rec = vl_out_json_take(&out, "t", NULL, "x", json_object());
        vl_rec_json_append(rec, "a", "null", 4);
        cr_assert_str_eq(rec->value, "{\"a\":null}");
        rec = vl_out_raw(&out, "t", NULL, "[1]", 3);
        vl_rec_json_append(rec, "a", "1", 1); /* not an object: unchanged */
        cr_assert_str_eq(rec->value, "[1]");
        vl_out_release(&out);
}
