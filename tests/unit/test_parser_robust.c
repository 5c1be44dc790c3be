/* Hostile and broken input: every case ends in VL_OK or VL_REJECT, never in
 * a crash, a hang or an abort (the sanitizer build runs these too). */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/codec.h"
#include "veille/mem.h"
#include "parser/parser.h"

static struct parser_opts opts(void)
{
        struct parser_opts o;

        memset(&o, 0, sizeof(o));
        o.min_words = 20;
        o.max_body_bytes = 10 << 20;
        o.lang_detect = true;
        return o;
}

/* Run one page event made of @p body; @returns the result code. */
static enum vl_rc run_body(const void *body, size_t n, const char *http,
                           struct parser_result *res, struct vl_err *err)
{
        struct parser_opts o = opts();
        size_t blen;
        char *b64 = vl_base64_encode(body, n, &blen);
        char *ev = vl_xasprintf("{\"schema\":\"veille.page.v1\",\"url\":"
                                "\"https://x.example/a\",%s\"body_b64\":"
                                "\"%s\"}", http ? http : "", b64);
        enum vl_rc rc;

        memset(err, 0, sizeof(*err));
        rc = parser_article_from_event(ev, strlen(ev), &o, res, err);
        free(ev);
        free(b64);
        return rc;
}

static void rejects(const void *body, size_t n, const char *http,
                    const char *msg, enum parser_reason why)
{
        struct parser_result res;
        struct vl_err err;
        enum vl_rc rc = run_body(body, n, http, &res, &err);

        cr_expect_eq(rc, VL_REJECT, "expected a reject ('%s'), got %s",
                     msg, vl_rc_name(rc));
        cr_expect(strstr(err.msg, msg), "message '%s' lacks '%s'", err.msg,
                  msg);
        cr_expect_eq(res.reason, why, "reason %s for '%s'",
                     parser_reason_name(res.reason), msg);
        cr_expect_null(res.article);
        parser_result_release(&res);
}

/* OK or REJECT, whatever: it must just come back. */
static void survives(const void *body, size_t n)
{
        struct parser_result res;
        struct vl_err err;
        enum vl_rc rc = run_body(body, n, NULL, &res, &err);

        cr_expect(rc == VL_OK || rc == VL_REJECT, "%s: %s", vl_rc_name(rc),
                  err.msg);
        if (rc == VL_OK) {
                char *s = json_dumps(res.article, 0);

                cr_expect(s && vl_utf8_valid(s, strlen(s)));
                free(s);
        }
        parser_result_release(&res);
}

static void rejects_event(const char *ev, const char *msg)
{
        struct parser_opts o = opts();
        struct parser_result res;
        struct vl_err err;

        memset(&err, 0, sizeof(err));
        cr_expect_eq(parser_article_from_event(ev, strlen(ev), &o, &res,
                                               &err), VL_REJECT, "%s", ev);
        cr_expect(strstr(err.msg, msg), "message '%s' lacks '%s'", err.msg,
                  msg);
        cr_expect_eq(res.reason, PARSER_BAD_EVENT);
        parser_result_release(&res);
}

Test(parser_robust, bad_events)
{
        rejects_event("", "bad page event");
        rejects_event("{\"url\":", "bad page event");
        rejects_event("[1,2]", "not a json object");
        rejects_event("{\"body_b64\":\"PGh0bWw+\"}", "no 'url'");
        rejects_event("{\"url\":\"https://x.example/\"}", "no 'body_b64'");
        rejects_event("{\"url\":\"https://x.example/\",\"body_b64\":\"***\"}",
                      "body_b64");
        rejects_event("{\"schema\":\"veille.feed.v1\",\"url\":\"u\","
                      "\"body_b64\":\"PGh0bWw+\"}", "unsupported schema");
}

Test(parser_robust, empty_pages)
{
        struct parser_opts o = opts();
        struct parser_result res;
        struct vl_err err;
        const char *ev = "{\"url\":\"https://x.example/\",\"body_b64\":\"\"}";

        cr_expect_eq(parser_article_from_event(ev, strlen(ev), &o, &res,
                                               &err), VL_REJECT);
        cr_expect(strstr(err.msg, "empty page"), "%s", err.msg);
        parser_result_release(&res);
        rejects("   \n\t ", 6, NULL, "no markup", PARSER_NOT_HTML);
        rejects("<html></html>", 13, NULL, "no article text",
                PARSER_NO_TEXT);
        rejects("<p>Trop court.</p>", 18, NULL, "too little text",
                PARSER_TOO_SHORT);
        rejects("just some text without any markup at all", 40, NULL,
                "no markup", PARSER_NOT_HTML);
}

Test(parser_robust, not_html)
{
        static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
                                             0x1a, '\n', 0, 0, 0, 13 };
        static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 };

        rejects("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", 25, NULL, "pdf",
                PARSER_NOT_HTML);
        rejects(png, sizeof(png), NULL, "png", PARSER_NOT_HTML);
        rejects(gz, sizeof(gz), NULL, "gzip", PARSER_NOT_HTML);
        rejects("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>",
                50, NULL, "feed", PARSER_NOT_HTML);
        rejects("{\"items\": [1, 2, 3]}", 20, NULL, "json", PARSER_NOT_HTML);
        rejects("<html><body><p>x</p></body></html>", 34,
                "\"http\":{\"status\":200,\"content_type\":\"image/png\"},",
                "content type", PARSER_NOT_HTML);
        rejects("<html><body><p>x</p></body></html>", 34,
                "\"http\":{\"status\":404},", "http status 404",
                PARSER_ERROR_PAGE);
}

Test(parser_robust, binary_garbage)
{
        unsigned char buf[4096];
        unsigned s = 12345;

        for (size_t i = 0; i < sizeof(buf); i++) {
                s = s * 1103515245u + 12345u;
                buf[i] = (unsigned char)(s >> 16);
        }
        rejects(buf, sizeof(buf), NULL, "binary", PARSER_NOT_HTML);
        buf[0] = '<';
        memset(buf + 1, 'a', 200);
        buf[300] = 0;
        rejects(buf, sizeof(buf), NULL, "not html", PARSER_NOT_HTML);
}

Test(parser_robust, truncated_and_malformed)
{
        static const char *const cases[] = {
                "<html><head><title>x",
                "<html><body><p>Un d\xc3\xa9" "but de phrase qui s'arr\xc3\xaa",
                "<html><body><div class=\"a\"><p>unclosed <b>bold <i>it",
                "<<<<>>>><p <p <p>>>",
                "<html><body><table><tr><td><table><td><td></table>",
                "<!-- never closed comment <p>text</p>",
                "<script>var a = '</scr' + 'ipt>'; <p>in script</p>",
                "<html \"broken\"=attr><body a=b=c ===><p>ok</p>",
                "<svg><p>in svg</p><math><mi>x</mi></math></svg>",
                "<p>&#x110000; &#xD800; &#0; &#99999999999; &bogus &amp</p>",
                "<meta charset=\"utf-16\"><p>ascii really</p>",
                "<html><body>\xef\xbb\xbf\xff\xfe\xc0\x80\xed\xa0\x80</body>",
                "<html><frameset><frame src=x></frameset></html>",
                "<body><noscript><p>Activez JavaScript</p></noscript>",
                "<p>" "\xe2\x80\xae" "right to left override</p>",
                NULL,
        };

        for (int i = 0; cases[i]; i++)
                survives(cases[i], strlen(cases[i]));
}

Test(parser_robust, deep_nesting)
{
        size_t depth = 100000;
        size_t n = depth * 5 + 1000;
        char *html = vl_xmalloc(n * 2);
        size_t k = 0;

        k += (size_t)snprintf(html, 32, "<html><body>");
        for (size_t i = 0; i < depth; i++)
                memcpy(html + k + i * 5, "<div>", 5);
        k += depth * 5;
        for (size_t i = 0; i < 50; i++)
                k += (size_t)snprintf(html + k, 200, "<p>Un paragraphe, "
                                      "assez long pour compter, au fond "
                                      "d'une pile de div.</p>");
        survives(html, k);
        /* inline elements nest the same way */
        k = 0;
        for (size_t i = 0; i < depth; i++)
                memcpy(html + i * 3, "<b>", 3);
        k = depth * 3;
        survives(html, k);
        free(html);
}

Test(parser_robust, too_large)
{
        struct parser_opts o = opts();
        struct parser_result res;
        struct vl_err err;
        size_t n = 4096, blen;
        char *body = vl_xmalloc(n);
        char *b64, *ev;

        memset(body, 'a', n);
        b64 = vl_base64_encode(body, n, &blen);
        ev = vl_xasprintf("{\"url\":\"https://x.example/\",\"body_b64\":"
                          "\"%s\"}", b64);
        o.max_body_bytes = 1000;
        cr_expect_eq(parser_article_from_event(ev, strlen(ev), &o, &res,
                                               &err), VL_REJECT);
        cr_expect(strstr(err.msg, "too large"), "%s", err.msg);
        cr_expect_eq(res.reason, PARSER_TOO_LARGE);
        parser_result_release(&res);
        free(ev);
        free(b64);
        free(body);
}

Test(parser_robust, big_page_is_fast)
{
        size_t paras = 40000, k = 0;
        char *html = vl_xmalloc(paras * 160 + 100);
        struct parser_result res;
        struct vl_err err;

        k += (size_t)snprintf(html, 100, "<html><body><div class=\"text\">");
        for (size_t i = 0; i < paras; i++)
                k += (size_t)snprintf(html + k, 160, "<p>Paragraphe %zu, "
                                      "avec des mots, des virgules, et "
                                      "<a href=\"/%zu\">un lien</a> au "
                                      "milieu du texte.</p>", i, i);
        cr_assert_eq(run_body(html, k, NULL, &res, &err), VL_OK, "%s",
                     err.msg);
        cr_expect_gt(res.words, 100000);
        parser_result_release(&res);
        free(html);
}

Test(parser_robust, control_characters_in_text)
{
        const char *html = "<html><body><article><p>Texte\x01 avec\x1b des "
                           "caract\xc3\xa8res\x7f de contr\xc3\xb4le\x0b au "
                           "milieu, et \xc2\x85 un C1, mais qui reste un "
                           "paragraphe d'article assez long pour passer le "
                           "seuil de vingt mots sans probl\xc3\xa8me.</p>"
                           "</article></body></html>";
        struct parser_result res;
        struct vl_err err;
        const char *text;

        cr_assert_eq(run_body(html, strlen(html), NULL, &res, &err), VL_OK,
                     "%s", err.msg);
        text = json_string_value(json_object_get(res.article, "text"));
        for (const char *p = text; *p; p++)
                cr_expect((unsigned char)*p >= 0x20, "control 0x%02x in text",
                          (unsigned char)*p);
        cr_expect_null(strstr(text, "\xc2\x85"));
        parser_result_release(&res);
}

/* Close the page in @p b, run it (it must give an article) and release
 * @p b. */
static void run_article(struct vl_buf *b, struct parser_result *res)
{
        struct vl_err err;

        vl_buf_append(b, "</article></body></html>", 24, NULL);
        cr_assert_eq(run_body(b->data, b->len, NULL, res, &err), VL_OK, "%s",
                     err.msg);
        vl_buf_release(b);
}

/* The article's texts are written into its JSON by the parser, not by
 * jansson: the bytes must be jansson's own (quotes, backslashes, every C0
 * control, DEL, '/', UTF-8 kept), in both modes. */
Test(parser_robust, json_written_as_jansson_writes_it)
{
        struct parser_result res;
        struct vl_buf b;
        char *dump;

        vl_buf_init(&b, 0);
        vl_buf_append(&b, "<html><body><article>", 21, NULL);
        /* past the first KiB, which the sniffing wants free of controls */
        for (int i = 0; i < 12; i++)
                vl_buf_append(&b, "<p>Une phrase ordinaire, assez longue "
                              "pour ouvrir la page sans rien d'autre que "
                              "du texte.</p>", 93, NULL);
        for (int i = 0; i < 6; i++) {
                char p[300];
                int n = snprintf(p, sizeof(p),
                                 "<p>Le \"maire\" de C:\\ville a dit \x01"
                                 "\x02\x1f\x7f a/b \xc3\xa9t\xc3\xa9 "
                                 "\xe2\x80\xa8 que la r\xc3\xa9union %d "
                                 "aura lieu demain matin avec tous les "
                                 "habitants du quartier.</p><pre>a\tb"
                                 "\x0b\x0c</pre>", i);
                vl_buf_append(&b, p, (size_t)n, NULL);
        }
        run_article(&b, &res);
        cr_assert_not_null(res.json);
        cr_assert_not_null(res.article);
        cr_expect(strstr(res.json, "\\\"maire\\\""));
        cr_expect(strstr(res.json, "C:\\\\ville"));
        dump = json_dumps(res.article, JSON_COMPACT);
        cr_assert_not_null(dump);
        cr_expect_eq(strlen(res.json), res.json_len);
        cr_expect_str_eq(res.json, dump);
        free(dump);
        parser_result_release(&res);
}

/* An article whose event would be over PARSER_MAX_ARTICLE_BYTES (the
 * producers' message.max.bytes, less room) keeps its whole text and only
 * its first blocks: it can still be produced. */
Test(parser_robust, huge_article_keeps_text_and_first_blocks, .timeout = 120)
{
        struct parser_result res;
        struct vl_buf b;
        json_t *blocks;
        const char *text;
        const int np = 70000;
        size_t nblocks;

        vl_buf_init(&b, 0);
        vl_buf_append(&b, "<html><body><article>", 21, NULL);
        for (int i = 0; i < np; i++) {
                char p[200];
                int n = snprintf(p, sizeof(p),
                                 "<p>Paragraphe %d : \"il\" a dit \"oui\", "
                                 "\"non\" puis \"peut-\\etre\" \"demain\" "
                                 "\"matin\" \"au\" \"conseil\".</p>\n", i);
                vl_buf_append(&b, p, (size_t)n, NULL);
        }
        run_article(&b, &res);
        cr_expect_leq(res.json_len, PARSER_MAX_ARTICLE_BYTES);
        text = json_string_value(json_object_get(res.article, "text"));
        cr_assert_not_null(text);
        /* the whole text: its last paragraph is there */
        cr_expect(strstr(text, "Paragraphe 69999 :"));
        blocks = json_object_get(res.article, "blocks");
        nblocks = json_array_size(blocks);
        cr_expect_gt(nblocks, 1000);
        cr_expect_lt(nblocks, (size_t)np);
        /* the first blocks, in order */
        {
                char want[40];

                snprintf(want, sizeof(want), "Paragraphe %zu :", nblocks - 1);
                cr_expect(strncmp(json_string_value(json_object_get(
                                          json_array_get(blocks, nblocks - 1),
                                          "text")),
                                  want, strlen(want)) == 0);
        }
        parser_result_release(&res);
}
