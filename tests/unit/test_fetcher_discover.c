/* veille-fetcher: feed autodiscovery from a home page's <link> elements. */
#include <string.h>
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include "fetcher/fetcher.h"

static int discover(const char *html, struct fetcher_discovered **v)
{
        return fetcher_discover_feeds(html, strlen(html),
                                      "https://news.example/fr/index.html", v);
}

Test(fetcher_discover, announced_feeds_in_page_order)
{
        struct fetcher_discovered *v;
        int n = discover(
                "<html><head>"
                "<link rel='stylesheet alternate' type='application/rss+xml'"
                " href='/style.rss'>"
                "<link rel='alternate' type='application/atom+xml' "
                "title='Atom &amp; co' href='atom.xml'>"
                "<link rel='Alternate' type='Application/RSS+XML; charset=x' "
                "href='https://other.example/rss'>"
                "<link rel='alternate' type='application/feed+json' "
                "href='/feed.json'>"
                "<link rel='alternate' type='application/rss+xml' "
                "title='Commentaires' href='/c.rss'>"
                "<link rel='alternate' type='application/rss+xml' "
                "href='/comments/feed/'>"
                "<link rel='alternate' type='text/html' href='/en/'>"
                "<link rel='alternate' type='application/rss+xml' "
                "href='atom.xml'>"
                "<link rel='alternate' type='application/rss+xml' "
                "href='javascript:alert(1)'>"
                "<link rel='alternate' type='application/rss+xml'>"
                "</head><body>"
                "<link rel='alternate' type='text/xml' href='/body.xml'>"
                "</body></html>",
                &v);

        cr_assert_eq(n, 4);
        cr_assert_str_eq(v[0].url, "https://news.example/fr/atom.xml");
        cr_assert_eq(v[0].type, FETCHER_FEED_ATOM);
        cr_assert_str_eq(v[0].title, "Atom & co");
        cr_assert_str_eq(v[1].url, "https://other.example/rss");
        cr_assert_eq(v[1].type, FETCHER_FEED_RSS);
        cr_assert_str_eq(v[2].url, "https://news.example/feed.json");
        cr_assert_eq(v[2].type, FETCHER_FEED_JSON);
        cr_assert_str_eq(v[3].url, "https://news.example/body.xml");
        cr_assert_eq(v[3].type, FETCHER_FEED_AUTO);
        fetcher_discovered_free(v, n);
}

Test(fetcher_discover, base_href_and_nothing_found)
{
        struct fetcher_discovered *v;
        int n = discover("<base href='https://cdn.example/x/'>"
                         "<link rel=alternate type=application/rss+xml "
                         "href=feed>",
                         &v);

        cr_assert_eq(n, 1);
        cr_assert_str_eq(v[0].url, "https://cdn.example/x/feed");
        fetcher_discovered_free(v, n);
        cr_assert_eq(discover("<html><body>no feeds</body></html>", &v), 0);
        cr_assert_null(v);
        cr_assert_eq(fetcher_discover_feeds("", 0, "https://a.example/", &v),
                     0);
        cr_assert_eq(discover("\x01\x02<<<>>>&&&", &v), 0);
}
