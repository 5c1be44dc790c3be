/* Golden cases: tests/data/parser/<case>.html with <case>.expected.json,
 * walked by one test; adding a case is adding two files.
 *
 * <case>.expected.json:
 *   "page":          page event fields (url, http, source, item, ...);
 *                    the body is the .html file
 *   "min_words":     parser.min.words (default 20)
 *   "non_articles":  parser.non.articles (default true, as the daemon)
 *   "reason":        the result's reason name ("article", "error_page"...)
 *   "reject":        the page must be rejected with this in the message
 *   "expect":        article fields that must be equal (JSON equality)
 *   "blocks":        blocks ({"kind","text"}) that must be among the blocks
 *   "text_starts":   the text must start with this
 *   "text_contains", "text_excludes": substrings of the text
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/buf.h"
#include "veille/codec.h"
#include "parser/parser.h"

#ifndef VL_SOURCE_DIR
#define VL_SOURCE_DIR "."
#endif
#define DATA_DIR VL_SOURCE_DIR "/tests/data/parser"

static char *read_all(const char *path, size_t *len)
{
        struct vl_buf b;
        struct vl_err err;

        vl_buf_init(&b, 0);
        if (vl_buf_read_file(&b, path, &err) != VL_OK) {
                vl_buf_release(&b);
                return NULL;
        }
        return vl_buf_take(&b, len);
}

/* @returns the number of failed checks of one case. */
static int run_case(const char *name)
{
        char path[1024];
        char *html, *exp_text, *b64, *event;
        size_t hlen, elen, blen;
        json_t *exp, *page, *v;
        json_error_t jerr;
        struct parser_opts o;
        struct parser_result res;
        struct vl_err err;
        enum vl_rc rc;
        const char *text = "", *key;
        int fails = 0;

        snprintf(path, sizeof(path), "%s/%s.html", DATA_DIR, name);
        html = read_all(path, &hlen);
        snprintf(path, sizeof(path), "%s/%s.expected.json", DATA_DIR, name);
        exp_text = read_all(path, &elen);
        cr_assert(html && exp_text, "%s: cannot read the case files", name);
        exp = json_loadb(exp_text, elen, 0, &jerr);
        cr_assert(exp, "%s.expected.json: %s", name, jerr.text);

        page = json_deep_copy(json_object_get(exp, "page"));
        if (!page)
                page = json_object();
        if (!json_object_get(page, "url")) {
                snprintf(path, sizeof(path), "https://golden.example/%s", name);
                json_object_set_new(page, "url", json_string(path));
        }
        json_object_set_new(page, "schema", json_string("veille.page.v1"));
        b64 = vl_base64_encode(html, hlen, &blen);
        json_object_set_new(page, "body_b64", json_stringn(b64, blen));
        json_object_set_new(page, "body_bytes", json_integer((json_int_t)hlen));
        event = json_dumps(page, JSON_COMPACT);

        memset(&o, 0, sizeof(o));
        v = json_object_get(exp, "min_words");
        o.min_words = json_is_integer(v) ? json_integer_value(v) : 20;
        o.max_body_bytes = 10 << 20;
        o.lang_detect = true;
        v = json_object_get(exp, "non_articles");
        o.non_articles = json_is_boolean(v) ? json_is_true(v) : true;
        memset(&err, 0, sizeof(err));
        rc = parser_article_from_event(event, strlen(event), &o, &res, &err);

        v = json_object_get(exp, "reason");
        if (json_is_string(v) &&
            strcmp(parser_reason_name(res.reason), json_string_value(v))) {
                cr_log_error("%s: reason %s, expected %s", name,
                             parser_reason_name(res.reason),
                             json_string_value(v));
                fails++;
        }
        v = json_object_get(exp, "reject");
        if (json_is_string(v)) {
                if (rc != VL_REJECT ||
                    !strstr(err.msg, json_string_value(v))) {
                        cr_log_error("%s: expected a reject with '%s', got "
                                     "%s '%s'", name, json_string_value(v),
                                     vl_rc_name(rc), err.msg);
                        fails++;
                }
                goto out;
        }
        if (rc != VL_OK) {
                cr_log_error("%s: %s: %s", name, vl_rc_name(rc), err.msg);
                fails++;
                goto out;
        }
        text = json_string_value(json_object_get(res.article, "text"));
        json_object_foreach(json_object_get(exp, "expect"), key, v) {
                json_t *got = json_object_get(res.article, key);

                if (!json_equal(got, v)) {
                        char *g = got ? json_dumps(got, JSON_ENCODE_ANY) :
                                        NULL;
                        char *w = json_dumps(v, JSON_ENCODE_ANY);

                        cr_log_error("%s: %s is %s, expected %s", name, key,
                                     g ? g : "(missing)", w);
                        free(g);
                        free(w);
                        fails++;
                }
        }
        v = json_object_get(exp, "text_starts");
        if (json_is_string(v) &&
            strncmp(text, json_string_value(v), json_string_length(v)) != 0) {
                cr_log_error("%s: text starts with '%.80s'", name, text);
                fails++;
        }
        {
                size_t i;
                json_t *s;

                json_array_foreach(json_object_get(exp, "text_contains"), i,
                                   s)
                        if (!strstr(text, json_string_value(s))) {
                                cr_log_error("%s: text lacks '%s'", name,
                                             json_string_value(s));
                                fails++;
                        }
                json_array_foreach(json_object_get(exp, "text_excludes"), i,
                                   s)
                        if (strstr(text, json_string_value(s))) {
                                cr_log_error("%s: text has '%s'", name,
                                             json_string_value(s));
                                fails++;
                        }
                json_array_foreach(json_object_get(exp, "blocks"), i, s) {
                        size_t j;
                        json_t *blk;
                        bool found = false;

                        json_array_foreach(json_object_get(res.article,
                                                           "blocks"), j, blk)
                                if (json_equal(blk, s))
                                        found = true;
                        if (!found) {
                                char *w = json_dumps(s, 0);

                                cr_log_error("%s: no block %s", name, w);
                                free(w);
                                fails++;
                        }
                }
        }
        if (fails)
                cr_log_error("%s: text was:\n%s", name, text);
out:
        parser_result_release(&res);
        free(event);
        free(b64);
        json_decref(page);
        json_decref(exp);
        free(exp_text);
        free(html);
        return fails;
}

Test(parser_golden, every_case)
{
        DIR *d = opendir(DATA_DIR);
        struct dirent *de;
        int cases = 0, fails = 0;

        cr_assert(d, "cannot open %s", DATA_DIR);
        while ((de = readdir(d))) {
                const char *suffix = ".expected.json";
                size_t l = strlen(de->d_name), sl = strlen(suffix);
                char name[512];

                if (l <= sl || l - sl >= sizeof(name) ||
                    strcmp(de->d_name + l - sl, suffix) != 0)
                        continue;
                memcpy(name, de->d_name, l - sl);
                name[l - sl] = '\0';
                fails += run_case(name);
                cases++;
        }
        closedir(d);
        cr_expect(cases >= 5, "only %d golden cases found", cases);
        cr_expect(fails == 0, "%d failed checks in %d cases (see above)",
                  fails, cases);
}
