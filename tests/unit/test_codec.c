#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "veille/codec.h"
#include "veille/url.h"

Test(codec, base64_round_trip)
{
        unsigned char bin[300];
        size_t n, m;
        char *enc;
        unsigned char *dec;
        struct vl_err err;

        for (int i = 0; i < 300; i++)
                bin[i] = (unsigned char)(i * 7);
        for (size_t len = 0; len < 10; len++) {
                enc = vl_base64_encode(bin, len, &n);
                cr_assert_eq(n, 4 * ((len + 2) / 3));
                dec = vl_base64_decode(enc, n, &m, &err);
                cr_assert_not_null(dec);
                cr_assert_eq(m, len);
                cr_assert(memcmp(dec, bin, len) == 0);
                free(enc);
                free(dec);
        }
        enc = vl_base64_encode("Sahel", 5, NULL);
        cr_assert_str_eq(enc, "U2FoZWw=");
        free(enc);
}

Test(codec, base64_rejects_garbage)
{
        struct vl_err err;

        cr_assert_null(vl_base64_decode("abc", 3, NULL, &err));
        cr_assert_null(vl_base64_decode("ab!=", 4, NULL, &err));
        cr_assert_eq(err.rc, VL_REJECT);
}

Test(codec, article_id_is_stable_sha256_prefix)
{
        char id[VL_ID_LEN + 1];

        /* sha256("https://example.com/") starts with 0f115db0... */
        vl_article_id("https://example.com/", id);
        cr_assert_eq(strlen(id), 32);
        cr_assert_str_eq(id, "0f115db062b7c0dd030b16878c99dea5");
}

Test(url, canonical_form)
{
        struct vl_err err;
        char *u = vl_url_canonical(
                "HTTPS://Example.COM:443/a/./b/../c?utm_source=x&id=3&fbclid=y#top",
                &err);

        cr_assert_str_eq(u, "https://example.com/a/c?id=3");
        free(u);
        u = vl_url_canonical("http://example.com", &err);
        cr_assert_str_eq(u, "http://example.com/");
        free(u);
        u = vl_url_canonical("http://example.com:8080/x?utm_medium=a", &err);
        cr_assert_str_eq(u, "http://example.com:8080/x");
        free(u);
}

Test(url, resolve_relative)
{
        struct vl_err err;
        char *u = vl_url_resolve("https://a.example/news/feed.xml",
                                 "../articles/1.html", &err);

        cr_assert_str_eq(u, "https://a.example/articles/1.html");
        free(u);
}

Test(url, refuses_other_schemes)
{
        struct vl_err err;

        cr_assert_null(vl_url_canonical("file:///etc/passwd", &err));
        cr_assert_null(vl_url_resolve(NULL, "javascript:alert(1)", &err));
        cr_assert_eq(err.rc, VL_REJECT);
}
