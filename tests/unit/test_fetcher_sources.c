/* veille-fetcher: the sources file. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "fetcher/fetcher.h"

#define DATA VL_SOURCE_DIR "/tests/data/fetcher"

static enum vl_rc parse(const char *text, struct fetcher_sources *ss,
                        struct vl_err *err)
{
        return fetcher_sources_parse(ss, text, strlen(text), "s.conf", err);
}

Test(fetcher_sources, good_lines)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;
        const struct fetcher_source *s;

        cr_assert_eq(fetcher_sources_load(&ss, DATA "/sources/good.conf", &err),
                     VL_OK, "%s", err.msg);
        cr_assert_eq(ss.n, 4);

        s = ss.v[0];
        cr_assert_str_eq(s->url, "https://sahel-actu.example/feeds/rss.xml");
        cr_assert_str_eq(s->lang, "fr");
        cr_assert_str_eq(s->site, "Sahel Actu");
        cr_assert_eq(s->ntags, 2);
        cr_assert_str_eq(s->tags[0], "sahel");
        cr_assert_str_eq(s->tags[1], "burkina");
        cr_assert_eq(s->interval_s, 60);
        cr_assert_eq(s->type, FETCHER_FEED_AUTO);
        cr_assert_eq(s->line, 4);
        cr_assert_eq(s->refs, 1);

        s = ss.v[1];
        cr_assert_eq(s->type, FETCHER_FEED_ATOM);
        cr_assert_str_eq(s->site, "Sahel \"Actu\" \\ Atom");
        cr_assert_str_eq(s->lang, "fr");

        s = ss.v[2];
        cr_assert_str_eq(s->url, "http://news.example/rss");
        cr_assert_null(s->site);
        cr_assert_null(s->lang);
        cr_assert_eq(s->ntags, 0);
        cr_assert_eq(s->interval_s, 0);

        s = ss.v[3];
        cr_assert_eq(s->interval_s, 15 * 60);
        cr_assert_eq(s->ntags, 2);
        cr_assert_str_eq(s->tags[0], "world");
        cr_assert_str_eq(s->tags[1], "politics");
        fetcher_sources_release(&ss);
        cr_assert_eq(ss.n, 0);
}

Test(fetcher_sources, intervals)
{
        static const struct {
                const char *v;
                int64_t s;
        } ok[] = { { "1", 1 }, { "90s", 90 }, { "2m", 120 }, { "3h", 10800 },
                   { "1d", 86400 } };
        static const char *const bad[] = { "0", "-5", "5x", "m", "31d",
                                           "99999999999999999999", "" };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                struct fetcher_sources ss = { 0 };
                struct vl_err err;
                char line[128];

                snprintf(line, sizeof(line), "https://x.example/ interval=%s",
                         ok[i].v);
                cr_assert_eq(parse(line, &ss, &err), VL_OK, "%s", err.msg);
                cr_expect_eq(ss.v[0]->interval_s, ok[i].s, "%s", ok[i].v);
                fetcher_sources_release(&ss);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct fetcher_sources ss = { 0 };
                struct vl_err err;
                char line[128];

                snprintf(line, sizeof(line), "https://x.example/ interval=%s",
                         bad[i]);
                cr_expect_eq(parse(line, &ss, &err), VL_REJECT, "'%s'", bad[i]);
                cr_expect(strstr(err.msg, "s.conf:1: invalid interval"), "%s",
                          err.msg);
                cr_expect_eq(ss.n, 0);
        }
}

Test(fetcher_sources, bad_line_names_its_number)
{
        static const struct {
                const char *text, *msg;
        } cases[] = {
                { "https://a.example/\n\nhttps://b.example/ color=red\n",
                  "s.conf:3: unknown key 'color'" },
                { "# c\nhttps://a.example/ lang\n",
                  "s.conf:2: expected key=value, got 'lang'" },
                { "https://a.example/ =x\n", "s.conf:1: expected key=value" },
                { "https://a.example/ site=\"Sahel Actu\n",
                  "s.conf:1: unterminated quote" },
                { "https://a.example/ site=\"a\"b\n",
                  "s.conf:1: expected a space after a quoted value" },
                { "ftp://a.example/feed\n", "s.conf:1: unsupported scheme" },
                { "a.example/feed\n", "s.conf:1: invalid URL" },
                { "https://a.example/ type=yaml\n",
                  "s.conf:1: invalid type 'yaml'" },
                { "https://a.example/ lang=f r\n",
                  "s.conf:1: expected key=value, got 'r'" },
                { "https://a.example/ lang=\"fr fr\"\n",
                  "s.conf:1: invalid lang" },
                { "https://a.example/ site=\"\"\n", "s.conf:1: empty site" },
                { "https://a.example/\nhttps://b.example/\n"
                  "https://a.example/\n",
                  "s.conf:3: duplicate source 'https://a.example/' (first on "
                  "line 1)" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fetcher_sources ss = { 0 };
                struct vl_err err = { 0 };

                cr_expect_eq(parse(cases[i].text, &ss, &err), VL_REJECT,
                             "case %zu accepted", i);
                cr_expect(strstr(err.msg, cases[i].msg),
                          "case %zu: '%s' lacks '%s'", i, err.msg,
                          cases[i].msg);
                cr_expect_eq(ss.n, 0, "case %zu kept sources", i);
                fetcher_sources_release(&ss);
        }
}

Test(fetcher_sources, comments_blank_lines_and_crlf)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;
        const char *text = "# only comments\r\n\r\n   \t\r\n"
                           "https://a.example/ # lang=xx is commented out\r\n"
                           "https://b.example/ lang=en\r\n"
                           "https://c.example/#fragment";

        cr_assert_eq(parse(text, &ss, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(ss.n, 3);
        cr_assert_null(ss.v[0]->lang);
        cr_assert_str_eq(ss.v[1]->lang, "en");
        cr_assert_eq(ss.v[1]->line, 5);
        /* '#' inside a word is part of it */
        cr_assert_str_eq(ss.v[2]->url, "https://c.example/#fragment");
        fetcher_sources_release(&ss);
}

Test(fetcher_sources, appends_only_on_success)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;

        cr_assert_eq(parse("https://a.example/\n", &ss, &err), VL_OK);
        cr_assert_eq(parse("https://b.example/\nbad\n", &ss, &err), VL_REJECT);
        cr_assert_eq(ss.n, 1);
        cr_assert_eq(parse("https://b.example/\n", &ss, &err), VL_OK);
        cr_assert_eq(ss.n, 2);
        fetcher_sources_release(&ss);
}

Test(fetcher_sources, missing_file)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;

        cr_assert_eq(fetcher_sources_load(&ss, DATA "/sources/nope.conf", &err),
                     VL_REJECT);
        cr_assert(strstr(err.msg, "nope.conf"), "%s", err.msg);
}

Test(fetcher_sources, refcount)
{
        struct fetcher_source *s = fetcher_source_new("https://a.example/");

        fetcher_source_ref(s);
        s->etag = strdup("\"x\"");
        fetcher_source_unref(s);
        cr_assert_eq(s->refs, 1);
        fetcher_source_forget_validators(s);
        cr_assert_null(s->etag);
        fetcher_source_unref(s);
        fetcher_source_unref(NULL);
}
