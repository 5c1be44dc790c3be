/* veille-fetcher: page events, DLQ inputs, transfer classification, the
 * address filter and the hash table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include "veille/codec.h"
#include "fetcher/fetcher.h"

static struct fetcher_page *sample_page(void)
{
        struct vl_err err;
        struct fetcher_page *pg = fetcher_page_new(
                "https://Sahel-Actu.example:443/a.html?utm_source=rss&id=7#top",
                &err);
        struct fetcher_source *src;

        cr_assert(pg, "%s", err.msg);
        src = fetcher_source_new("https://sahel-actu.example/feeds/rss.xml");
        src->tags = calloc(1, sizeof(char *));
        src->tags[0] = strdup("sahel");
        src->ntags = 1;
        pg->src = src;
        pg->site = strdup("Sahel Actu");
        pg->lang = strdup("fr");
        pg->has_item = true;
        pg->item.title = strdup("Titre");
        pg->item.published = strdup("2024-01-26T09:00:00Z");
        pg->item.published_raw = strdup("Fri, 26 Jan 2024 10:00:00 +0100");
        pg->item.authors = calloc(1, sizeof(char *));
        pg->item.authors[0] = strdup("A. Bado");
        pg->item.nauthors = 1;
        pg->item.guid = strdup("g-1");
        return pg;
}

Test(fetcher_page, identity)
{
        struct fetcher_page *pg = sample_page();
        char id[VL_ID_LEN + 1];
        struct vl_err err;

        cr_assert_str_eq(pg->canonical,
                         "https://sahel-actu.example/a.html?id=7");
        vl_article_id(pg->canonical, id);
        cr_assert_str_eq(pg->id, id);
        cr_assert_eq(strlen(pg->id), VL_ID_LEN);
        fetcher_page_destroy(pg);
        fetcher_page_destroy(NULL);
        cr_assert_null(fetcher_page_new("javascript:alert(1)", &err));
        cr_assert_eq(err.rc, VL_REJECT);
}

Test(fetcher_page, event)
{
        struct fetcher_page *pg = sample_page();
        struct fetcher_xfer *x = fetcher_xfer_new(FETCHER_XFER_PAGE, pg->url,
                                                  pg);
        const char body[] = "<html>\xe9t\xe9</html>"; /* latin-1 bytes */
        json_t *ev, *http, *item, *src;
        unsigned char *dec;
        size_t n;
        struct vl_err err;

        x->status = 200;
        x->final_url = strdup("https://sahel-actu.example/final.html");
        x->content_type = strdup("text/html; Charset=\"ISO-8859-1\"");
        x->etag = strdup("\"abc\"");
        x->content_encoding = strdup("gzip");
        cr_assert_eq(vl_buf_append(&x->body, body, sizeof(body) - 1, NULL),
                     VL_OK);
        ev = fetcher_page_event(pg, x, "2024-01-26T10:00:00.000Z");
        cr_assert_str_eq(json_string_value(json_object_get(ev, "schema")),
                         "veille.page.v1");
        cr_assert_str_eq(json_string_value(json_object_get(ev, "id")), pg->id);
        cr_assert_str_eq(json_string_value(json_object_get(ev, "url")),
                         pg->url);
        cr_assert_str_eq(json_string_value(json_object_get(ev,
                                                           "canonical_url")),
                         pg->canonical);
        cr_assert_str_eq(json_string_value(json_object_get(ev, "final_url")),
                         "https://sahel-actu.example/final.html");
        http = json_object_get(ev, "http");
        cr_assert_eq(json_integer_value(json_object_get(http, "status")), 200);
        cr_assert_str_eq(json_string_value(json_object_get(http, "charset")),
                         "iso-8859-1");
        cr_assert_str_eq(json_string_value(json_object_get(http, "etag")),
                         "\"abc\"");
        cr_assert(json_is_null(json_object_get(http, "last_modified")));
        cr_assert_str_eq(json_string_value(json_object_get(
                                 http, "content_encoding")),
                         "gzip");
        src = json_object_get(ev, "source");
        cr_assert_str_eq(json_string_value(json_object_get(src, "site")),
                         "Sahel Actu");
        cr_assert_str_eq(json_string_value(json_array_get(
                                 json_object_get(src, "tags"), 0)),
                         "sahel");
        item = json_object_get(ev, "item");
        cr_assert_str_eq(json_string_value(json_object_get(item, "title")),
                         "Titre");
        cr_assert_str_eq(json_string_value(json_array_get(
                                 json_object_get(item, "authors"), 0)),
                         "A. Bado");
        cr_assert_eq(json_array_size(json_object_get(item, "categories")), 0);
        cr_assert_eq(json_integer_value(json_object_get(ev, "body_bytes")),
                     (json_int_t)(sizeof(body) - 1));
        dec = vl_base64_decode(json_string_value(json_object_get(ev,
                                                                 "body_b64")),
                               strlen(json_string_value(json_object_get(
                                       ev, "body_b64"))),
                               &n, &err);
        cr_assert(dec, "%s", err.msg);
        cr_assert_eq(n, sizeof(body) - 1);
        cr_assert_eq(memcmp(dec, body, n), 0);
        free(dec);
        json_decref(ev);
        fetcher_xfer_destroy(x);
        fetcher_page_destroy(pg);
}

Test(fetcher_page, event_without_feed)
{
        struct vl_err err;
        struct fetcher_page *pg = fetcher_page_new("https://a.example/", &err);
        struct fetcher_xfer *x = fetcher_xfer_new(FETCHER_XFER_PAGE, pg->url,
                                                  pg);
        json_t *ev;

        x->status = 200;
        x->content_type = strdup("text/html");
        x->final_url = strdup("https://a.example/\xff"); /* not UTF-8 */
        ev = fetcher_page_event(pg, x, "2024-01-26T10:00:00.000Z");
        cr_assert_null(json_object_get(ev, "source"));
        cr_assert_null(json_object_get(ev, "item"));
        cr_assert(json_is_null(json_object_get(json_object_get(ev, "http"),
                                               "charset")));
        cr_assert_str_eq(json_string_value(json_object_get(ev, "body_b64")),
                         "");
        cr_assert_str_eq(json_string_value(json_object_get(ev, "final_url")),
                         "https://a.example/\xef\xbf\xbd");
        json_decref(ev);
        fetcher_xfer_destroy(x);
        fetcher_page_destroy(pg);
}

Test(fetcher_page, dlq_input)
{
        struct fetcher_page *pg = sample_page();
        json_t *in = fetcher_page_dlq_input(pg, 404);

        cr_assert_str_eq(json_string_value(json_object_get(in, "url")),
                         pg->url);
        cr_assert_eq(json_integer_value(json_object_get(in, "http_status")),
                     404);
        cr_assert_str_eq(json_string_value(json_object_get(
                                 json_object_get(in, "source"), "url")),
                         "https://sahel-actu.example/feeds/rss.xml");
        cr_assert_str_eq(json_string_value(json_object_get(
                                 json_object_get(in, "item"), "guid")),
                         "g-1");
        json_decref(in);
        fetcher_page_destroy(pg);
}

Test(fetcher_page, charset)
{
        static const struct {
                const char *ct, *cs;
        } cases[] = {
                { "text/html; charset=UTF-8", "utf-8" },
                { "text/html;charset=\"windows-1252\"", "windows-1252" },
                { "text/html; foo=bar; CHARSET = iso-8859-15 ", "iso-8859-15" },
                { "text/html", NULL },
                { "text/html; charset=", NULL },
                { "text/html; mycharset=x", NULL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *cs = fetcher_page_charset(cases[i].ct);

                if (cases[i].cs)
                        cr_expect_str_eq(cs, cases[i].cs, "%s", cases[i].ct);
                else
                        cr_expect_null(cs, "%s", cases[i].ct);
                free(cs);
        }
        cr_assert_null(fetcher_page_charset(NULL));
}

static enum vl_rc classify(CURLcode code, long status, bool too_big,
                           bool blocked)
{
        struct fetcher_xfer *x = fetcher_xfer_new(FETCHER_XFER_PAGE,
                                                  "https://a.example/", NULL);
        struct vl_err err;
        enum vl_rc rc;

        x->code = code;
        x->status = status;
        x->too_big = too_big;
        x->blocked = blocked;
        rc = fetcher_xfer_result(x, &err);
        if (rc != VL_OK)
                cr_assert(strstr(err.msg, "https://a.example/"), "%s",
                          err.msg);
        fetcher_xfer_destroy(x);
        return rc;
}

Test(fetcher_http, classification)
{
        cr_expect_eq(classify(CURLE_OK, 200, false, false), VL_OK);
        cr_expect_eq(classify(CURLE_OK, 204, false, false), VL_OK);
        cr_expect_eq(classify(CURLE_OK, 304, false, false), VL_OK);
        cr_expect_eq(classify(CURLE_OK, 404, false, false), VL_REJECT);
        cr_expect_eq(classify(CURLE_OK, 410, false, false), VL_REJECT);
        cr_expect_eq(classify(CURLE_OK, 403, false, false), VL_REJECT);
        cr_expect_eq(classify(CURLE_OK, 301, false, false), VL_REJECT);
        cr_expect_eq(classify(CURLE_OK, 429, false, false), VL_RETRY);
        cr_expect_eq(classify(CURLE_OK, 408, false, false), VL_RETRY);
        cr_expect_eq(classify(CURLE_OK, 500, false, false), VL_RETRY);
        cr_expect_eq(classify(CURLE_OK, 503, false, false), VL_RETRY);
        cr_expect_eq(classify(CURLE_OPERATION_TIMEDOUT, 0, false, false),
                     VL_RETRY);
        cr_expect_eq(classify(CURLE_COULDNT_CONNECT, 0, false, false),
                     VL_RETRY);
        cr_expect_eq(classify(CURLE_COULDNT_CONNECT, 0, false, true),
                     VL_REJECT);
        cr_expect_eq(classify(CURLE_COULDNT_RESOLVE_HOST, 0, false, false),
                     VL_RETRY);
        cr_expect_eq(classify(CURLE_WRITE_ERROR, 200, true, false), VL_REJECT);
        cr_expect_eq(classify(CURLE_FILESIZE_EXCEEDED, 200, false, false),
                     VL_REJECT);
        cr_expect_eq(classify(CURLE_TOO_MANY_REDIRECTS, 302, false, false),
                     VL_REJECT);
        cr_expect_eq(classify(CURLE_UNSUPPORTED_PROTOCOL, 0, false, false),
                     VL_REJECT);
        cr_expect_eq(classify(CURLE_BAD_CONTENT_ENCODING, 200, false, false),
                     VL_REJECT);
        cr_expect_eq(classify(CURLE_RECV_ERROR, 0, false, false), VL_RETRY);
        cr_expect_eq(classify(CURLE_PARTIAL_FILE, 200, false, false),
                     VL_RETRY);
}

static bool blocked4(const char *ip)
{
        struct sockaddr_in in = { .sin_family = AF_INET };

        cr_assert_eq(inet_pton(AF_INET, ip, &in.sin_addr), 1, "%s", ip);
        return fetcher_http_addr_blocked((const struct sockaddr *)&in);
}

static bool blocked6(const char *ip)
{
        struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

        cr_assert_eq(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1, "%s", ip);
        return fetcher_http_addr_blocked((const struct sockaddr *)&in6);
}

Test(fetcher_http, private_addresses)
{
        static const char *const v4_blocked[] = {
                "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
                "172.31.255.255", "192.168.1.1", "169.254.169.254",
                "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                "192.0.2.10", "198.18.0.1",
        };
        static const char *const v4_open[] = {
                "8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255",
                "100.128.0.1", "93.184.216.34", "192.169.0.1",
        };
        static const char *const v6_blocked[] = {
                "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
                "2001:db8::1",
        };
        static const char *const v6_open[] = {
                "2606:4700:4700::1111", "2a00:1450:4007:80e::200e",
                "::ffff:8.8.8.8", "64:ff9b::808:808",
        };

        for (size_t i = 0; i < sizeof(v4_blocked) / sizeof(*v4_blocked); i++)
                cr_expect(blocked4(v4_blocked[i]), "%s", v4_blocked[i]);
        for (size_t i = 0; i < sizeof(v4_open) / sizeof(*v4_open); i++)
                cr_expect_not(blocked4(v4_open[i]), "%s", v4_open[i]);
        for (size_t i = 0; i < sizeof(v6_blocked) / sizeof(*v6_blocked); i++)
                cr_expect(blocked6(v6_blocked[i]), "%s", v6_blocked[i]);
        for (size_t i = 0; i < sizeof(v6_open) / sizeof(*v6_open); i++)
                cr_expect_not(blocked6(v6_open[i]), "%s", v6_open[i]);
}

static void count_cb(void *ctx, const char *key, void *val)
{
        (void)key;
        *(long *)ctx += (long)(intptr_t)val;
}

Test(fetcher_map, put_get_del)
{
        struct fetcher_map m;
        char key[16];
        long sum = 0;

        fetcher_map_init(&m);
        cr_assert_null(fetcher_map_get(&m, "x"));
        cr_assert_null(fetcher_map_del(&m, "x"));
        for (intptr_t i = 1; i <= 1000; i++) {
                snprintf(key, sizeof(key), "k%ld", (long)i);
                cr_assert_null(fetcher_map_put(&m, key, (void *)i));
        }
        cr_assert_eq(m.n, 1000);
        cr_assert_eq((intptr_t)fetcher_map_get(&m, "k500"), 500);
        cr_assert_eq((intptr_t)fetcher_map_put(&m, "k500", (void *)5), 500);
        cr_assert_eq((intptr_t)fetcher_map_del(&m, "k500"), 5);
        cr_assert_null(fetcher_map_get(&m, "k500"));
        cr_assert_eq(m.n, 999);
        fetcher_map_each(&m, count_cb, &sum);
        cr_assert_eq(sum, 1000L * 1001 / 2 - 500);
        fetcher_map_release(&m, NULL);
        cr_assert_eq(m.n, 0);
}
