/* veille-fetcher, topic mode: site records, the polling state a site's next
 * owner starts from, and site keys. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/codec.h"
#include "fetcher/fetcher.h"

static json_t *load(const char *s)
{
        json_error_t jerr;
        json_t *j = json_loads(s, 0, &jerr);

        cr_assert(j, "bad test JSON: %s", jerr.text);
        return j;
}

Test(fetcher_state, site_record_round_trip)
{
        struct fetcher_sources ss = { 0 }, again = { 0 };
        struct vl_err err;
        json_t *site, *list;

        static const char text[] =
                "https://a.example/rss type=rss interval=15m lang=fr "
                "site=\"A b\" tags=x,y\nhttps://a.example/sitemap.xml\n";

        cr_assert_eq(fetcher_sources_parse(&ss, text, strlen(text), "s",
                                           &err),
                     VL_OK, "%s", err.msg);
        cr_assert_eq(ss.n, 2);
        list = json_array();
        for (int i = 0; i < ss.n; i++)
                json_array_append_new(list, fetcher_source_to_json(ss.v[i]));
        site = json_pack("{s:o}", "sources", list);
        cr_assert_eq(fetcher_sources_from_json(&again, site, &err), VL_OK,
                     "%s", err.msg);
        cr_assert_eq(again.n, 2);
        cr_assert_str_eq(again.v[0]->url, "https://a.example/rss");
        cr_assert_eq(again.v[0]->type, FETCHER_FEED_RSS);
        cr_assert_eq(again.v[0]->interval_s, 900);
        cr_assert_str_eq(again.v[0]->lang, "fr");
        cr_assert_str_eq(again.v[0]->site, "A b");
        cr_assert_eq(again.v[0]->ntags, 2);
        cr_assert_str_eq(again.v[0]->tags[1], "y");
        cr_assert_eq(again.v[1]->type, FETCHER_FEED_AUTO);
        cr_assert_null(again.v[1]->lang);
        json_decref(site);
        fetcher_sources_release(&ss);
        fetcher_sources_release(&again);
}

Test(fetcher_state, site_record_in_file_units_and_deletions)
{
        struct fetcher_sources ss = { 0 };
        struct vl_err err;
        json_t *j;

        j = load("{\"sources\":[{\"url\":\"http://b.example/f\","
                 "\"interval\":\"2h\",\"tags\":[\"t\"],\"lang\":null}]}");
        cr_assert_eq(fetcher_sources_from_json(&ss, j, &err), VL_OK, "%s",
                     err.msg);
        cr_assert_eq(ss.n, 1);
        cr_assert_eq(ss.v[0]->interval_s, 7200);
        json_decref(j);
        /* deleted, or no sources: nothing */
        j = load("{\"deleted\":true,\"sources\":[{\"url\":\"http://c/\"}]}");
        cr_assert_eq(fetcher_sources_from_json(&ss, j, &err), VL_OK);
        json_decref(j);
        j = load("{\"sources\":[]}");
        cr_assert_eq(fetcher_sources_from_json(&ss, j, &err), VL_OK);
        json_decref(j);
        cr_assert_eq(ss.n, 1);
        fetcher_sources_release(&ss);
}

Test(fetcher_state, bad_site_records_add_nothing)
{
        static const char *const bad[] = {
                "[]",
                "{\"sources\":{}}",
                "{\"sources\":[{\"interval\":5}]}",
                "{\"sources\":[{\"url\":\"ftp://x.example/\"}]}",
                "{\"sources\":[{\"url\":\"http://x.example/\"},"
                "{\"url\":\"http://y.example/\",\"interval\":\"often\"}]}",
                "{\"sources\":[{\"url\":\"http://x.example/\",\"color\":1}]}",
                "{\"sources\":[{\"url\":\"http://x.example/\",\"tags\":[1]}]}",
                "{\"sources\":[{\"url\":\"http://x.example/\",\"site\":{}}]}",
        };
        struct fetcher_sources ss = { 0 };
        struct vl_err err;

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                json_t *j = load(bad[i]);

                cr_assert_eq(fetcher_sources_from_json(&ss, j, &err),
                             VL_REJECT, "accepted %s", bad[i]);
                cr_assert_eq(ss.n, 0, "%s added sources", bad[i]);
                json_decref(j);
        }
}

Test(fetcher_state, state_round_trip)
{
        struct fetcher_source *a = fetcher_source_new("http://a.example/f");
        struct fetcher_source *b = fetcher_source_new("http://a.example/f");
        int64_t mono = vl_time_mono_ms();
        static char mark;
        json_t *st;

        a->etag = strdup("\"v1\"");
        a->last_modified = strdup("Mon, 01 Jan 2024 00:00:00 GMT");
        a->cur_interval_ms = 45000;
        a->next_poll_ms = mono + 60000;
        a->failures = 3;
        a->not_modified = 7;
        a->stale_validators = true;
        fetcher_map_put(&a->known, "0123456789abcdef0123456789abcdef",
                        &mark);
        fetcher_map_put(&a->known, "fedcba9876543210fedcba9876543210",
                        &mark);
        st = fetcher_source_state(a);
        /* through text, as on the topic */
        {
                char *txt = json_dumps(st, JSON_COMPACT);

                json_decref(st);
                st = load(txt);
                free(txt);
        }
        fetcher_source_apply_state(b, st);
        cr_assert_str_eq(b->etag, "\"v1\"");
        cr_assert_str_eq(b->last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
        cr_assert_eq(b->cur_interval_ms, 45000);
        /* the next poll is a wall-clock time on the topic */
        cr_assert(b->next_poll_ms >= mono + 59000 &&
                  b->next_poll_ms <= vl_time_mono_ms() + 60000,
                  "next poll %lld ms away",
                  (long long)(b->next_poll_ms - mono));
        cr_assert_eq(b->failures, 3);
        cr_assert_eq(b->not_modified, 7);
        cr_assert(b->stale_validators);
        cr_assert_eq(b->known.n, 2);
        cr_assert_not_null(fetcher_map_get(
                &b->known, "fedcba9876543210fedcba9876543210"));
        json_decref(st);
        /* a poll that was due in the past is due now; junk is skipped */
        st = load("{\"next_poll_at\":1000,\"etag\":5,\"failures\":-2,"
                  "\"items\":[\"x\",3]}");
        fetcher_source_apply_state(b, st);
        cr_assert_leq(b->next_poll_ms, vl_time_mono_ms());
        cr_assert_str_eq(b->etag, "\"v1\"");
        cr_assert_eq(b->failures, 3);
        cr_assert_eq(b->known.n, 3);
        json_decref(st);
        fetcher_source_unref(a);
        fetcher_source_unref(b);
}

Test(fetcher_state, group_state_holds_the_sources_of_one_site)
{
        struct fetcher_sources ss = { 0 };
        const char *const urls[] = { "http://a.example/1", "http://a.example/2",
                                     "http://b.example/1" };
        json_t *st;

        for (int i = 0; i < 3; i++) {
                struct fetcher_source *s = fetcher_source_new(urls[i]);

                s->key = strdup(i < 2 ? "a.example" : "b.example");
                fetcher_sources_add_take(&ss, s);
        }
        st = fetcher_group_state(&ss, "a.example");
        cr_assert_str_eq(json_string_value(json_object_get(st, "site")),
                         "a.example");
        cr_assert_eq(json_object_size(json_object_get(st, "sources")), 2);
        cr_assert_not_null(json_object_get(json_object_get(st, "sources"),
                                           "http://a.example/2"));
        json_decref(st);
        fetcher_sources_release(&ss);
}

Test(fetcher_state, site_keys)
{
        static const struct {
                const char *url;
                const char *host;
                const char *domain;
        } c[] = {
                { "http://WWW.Example.COM:8080/x", "www.example.com",
                  "example.com" },
                { "https://feeds.bbc.co.uk/news/rss.xml", "feeds.bbc.co.uk",
                  "bbc.co.uk" },
                { "http://a.news.localhost:1234/f", "a.news.localhost",
                  "news.localhost" },
                { "http://localhost/f", "localhost", "localhost" },
                { "http://127.0.0.1:99/f", "127.0.0.1", "127.0.0.1" },
                { "http://[::1]:99/f", "[::1]", "[::1]" },
                { "https://user.github.io/blog", "user.github.io",
                  "user.github.io" },
        };

        for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
                char *h = fetcher_site_key(c[i].url, FETCHER_POLITE_HOST);
                char *d = fetcher_site_key(c[i].url, FETCHER_POLITE_DOMAIN);

                cr_assert_str_eq(h, c[i].host, "%s", c[i].url);
                cr_assert_str_eq(d, c[i].domain, "%s", c[i].url);
                free(h);
                free(d);
        }
        cr_assert_null(fetcher_site_key("not a url", FETCHER_POLITE_HOST));
}

Test(fetcher_state, no_validators_while_pages_are_unsettled)
{
        struct fetcher_source *a = fetcher_source_new("http://a.example/f");
        json_t *st;

        a->etag = strdup("\"v1\"");
        a->last_modified = strdup("Mon, 01 Jan 2024 00:00:00 GMT");
        a->pages = 2;
        st = fetcher_source_state(a);
        cr_assert(json_is_null(json_object_get(st, "etag")));
        cr_assert(json_is_null(json_object_get(st, "last_modified")));
        json_decref(st);
        a->pages = 0;
        st = fetcher_source_state(a);
        cr_assert_str_eq(json_string_value(json_object_get(st, "etag")),
                         "\"v1\"");
        cr_assert_str_eq(
                json_string_value(json_object_get(st, "last_modified")),
                "Mon, 01 Jan 2024 00:00:00 GMT");
        json_decref(st);
        fetcher_source_unref(a);
}
