/* veille-fetcher: robots.txt parsing and matching, RFC 9309 rule by rule. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "fetcher/fetcher.h"

static struct fetcher_robots parse(const char *txt, const char *agent)
{
        struct fetcher_robots r;

        fetcher_robots_parse(&r, txt, strlen(txt), agent);
        return r;
}

#define ALLOWED(r, p) cr_assert(fetcher_robots_allowed(&(r), p), "%s", p)
#define DENIED(r, p) cr_assert_not(fetcher_robots_allowed(&(r), p), "%s", p)

Test(fetcher_robots, agent_token)
{
        char *t = fetcher_robots_agent_token(
                "Veille-Bot/0.1 (+https://example.org/bot)");

        cr_assert_str_eq(t, "veille-bot");
        free(t);
        t = fetcher_robots_agent_token("/odd");
        cr_assert_str_eq(t, "veille");
        free(t);
}

Test(fetcher_robots, match_wildcards_and_anchor)
{
        cr_assert(fetcher_robots_match("/", "/anything"));
        cr_assert(fetcher_robots_match("/fish", "/fish.html"));
        cr_assert(fetcher_robots_match("/fish", "/fishheads/yummy.html"));
        cr_assert_not(fetcher_robots_match("/fish", "/Fish.asp"));
        cr_assert_not(fetcher_robots_match("/fish/", "/fish"));
        cr_assert(fetcher_robots_match("/*.php", "/folder/filename.php?x=1"));
        cr_assert(fetcher_robots_match("/*.php$", "/filename.php"));
        cr_assert_not(fetcher_robots_match("/*.php$", "/filename.php?x"));
        cr_assert_not(fetcher_robots_match("/*.php$", "/filename.php5"));
        cr_assert(fetcher_robots_match("/fish*.php", "/fishheads/catfish.php"));
        cr_assert_not(fetcher_robots_match("/fish*.php", "/Fish.PHP"));
        cr_assert(fetcher_robots_match("/a*b*c$", "/aXbYbZc"));
        cr_assert_not(fetcher_robots_match("/a*b*c$", "/aXbYbZcd"));
        cr_assert(fetcher_robots_match("*", ""));
        cr_assert(fetcher_robots_match("/$", "/"));
        cr_assert_not(fetcher_robots_match("/$", "/a"));
        /* '$' in the middle is an ordinary character */
        cr_assert(fetcher_robots_match("/a$b", "/a$bc"));
}

Test(fetcher_robots, pathological_pattern_is_not_exponential)
{
        char pat[400], path[4000];
        int i;

        for (i = 0; i < 199; i++) {
                pat[2 * i] = '*';
                pat[2 * i + 1] = 'a';
        }
        pat[398] = 'b';
        pat[399] = '\0';
        memset(path, 'a', sizeof(path) - 1);
        path[sizeof(path) - 1] = '\0';
        cr_assert_not(fetcher_robots_match(pat, path));
}

Test(fetcher_robots, longest_match_wins_allow_on_tie)
{
        struct fetcher_robots r = parse("User-agent: *\n"
                                        "Disallow: /news/\n"
                                        "Allow: /news/public/\n"
                                        "Disallow: /news/public/secret\n"
                                        "Allow: /page\n"
                                        "Disallow: /*.htm\n"
                                        "Allow: /tie\n"
                                        "Disallow: /tie\n",
                                        "veille");

        cr_assert_eq(r.mode, FETCHER_ROBOTS_RULES);
        cr_assert_eq(r.n, 7);
        DENIED(r, "/news/a.html");
        ALLOWED(r, "/news/public/a.html");
        DENIED(r, "/news/public/secret/a.html");
        ALLOWED(r, "/other");
        /* "/page" (5 octets) loses to "/(star).htm" (6) */
        DENIED(r, "/page.htm");
        ALLOWED(r, "/tie");
        ALLOWED(r, "/robots.txt");
        fetcher_robots_release(&r);
}

Test(fetcher_robots, our_group_else_star)
{
        static const char txt[] = "User-agent: *\n"
                                  "Disallow: /\n"
                                  "\n"
                                  "User-agent: otherbot\n"
                                  "Disallow: /other\n"
                                  "\n"
                                  "User-agent: Veille/2.0\n"
                                  "Disallow: /private\n"
                                  "Crawl-delay: 2.5\n";
        struct fetcher_robots r = parse(txt, "veille");
        struct fetcher_robots s = parse(txt, "someone");
        struct fetcher_robots o = parse(txt, "otherbot");

        /* ours: only our group, case-insensitive, version ignored */
        ALLOWED(r, "/news");
        DENIED(r, "/private/x");
        cr_assert_eq(r.crawl_delay_ms, 2500);
        /* an unknown agent gets '*' */
        DENIED(s, "/news");
        cr_assert_eq(s.crawl_delay_ms, -1);
        ALLOWED(o, "/news");
        DENIED(o, "/other");
        fetcher_robots_release(&r);
        fetcher_robots_release(&s);
        fetcher_robots_release(&o);
}

Test(fetcher_robots, groups_with_several_agents_and_merged_groups)
{
        struct fetcher_robots r = parse("User-agent: a\n"
                                        "User-agent: veille\n"
                                        "User-agent: b\n"
                                        "Disallow: /one\n"
                                        "User-agent: c\n"
                                        "Disallow: /two\n"
                                        "User-agent: VEILLE\n"
                                        "Disallow: /three\n",
                                        "veille");

        DENIED(r, "/one");
        ALLOWED(r, "/two");
        DENIED(r, "/three");
        fetcher_robots_release(&r);
}

Test(fetcher_robots, sloppy_syntax)
{
        struct fetcher_robots r = parse("\xef\xbb\xbf# a comment\r\n"
                                        "Disallow: /before-any-group\r\n"
                                        "  USER-AGENT :   *   # trailing\r\n"
                                        "disallow:/tmp # comment\r"
                                        "Disallow:\r\n"
                                        "Allow:\n"
                                        "Disallow /nocolon\n"
                                        "Crawl-delay: soon\n"
                                        "Noindex: /x\n"
                                        "Sitemap: https://a.example/s.xml\n"
                                        "Disallow: /after-sitemap\n",
                                        "veille");

        ALLOWED(r, "/before-any-group");
        DENIED(r, "/tmp/x");
        ALLOWED(r, "/nocolon");
        DENIED(r, "/after-sitemap");
        ALLOWED(r, "/");
        cr_assert_eq(r.crawl_delay_ms, -1);
        cr_assert_eq(r.nsitemaps, 1);
        cr_assert_str_eq(r.sitemaps[0], "https://a.example/s.xml");
        fetcher_robots_release(&r);
}

Test(fetcher_robots, empty_and_binary_allow_all)
{
        struct fetcher_robots r = parse("", "veille");
        static const char junk[] = "\x00\x01\xff\xfe<html>Disallow: /";
        struct fetcher_robots j;

        ALLOWED(r, "/");
        fetcher_robots_release(&r);
        fetcher_robots_parse(&j, junk, sizeof(junk) - 1, "veille");
        ALLOWED(j, "/x");
        fetcher_robots_release(&j);
}

Test(fetcher_robots, percent_encoding_normalised)
{
        struct fetcher_robots r = parse("User-agent: *\n"
                                        "Disallow: /caf\xc3\xa9\n"
                                        "Disallow: /%7euser\n"
                                        "Disallow: /a%2fb\n",
                                        "veille");

        DENIED(r, "/caf%C3%A9/menu");
        DENIED(r, "/caf%c3%a9");
        DENIED(r, "/~user/x");
        DENIED(r, "/a%2Fb");
        ALLOWED(r, "/a/b"); /* an encoded '/' is not a '/' */
        fetcher_robots_release(&r);
}

Test(fetcher_robots, modes)
{
        struct fetcher_robots r;

        fetcher_robots_init(&r, FETCHER_ROBOTS_DISALLOW_ALL);
        DENIED(r, "/");
        DENIED(r, "/a?b");
        ALLOWED(r, "/robots.txt");
        fetcher_robots_init(&r, FETCHER_ROBOTS_ALLOW_ALL);
        ALLOWED(r, "/a");
}

Test(fetcher_robots, crawl_delay_largest_and_capped)
{
        struct fetcher_robots r = parse("User-agent: *\n"
                                        "Crawl-delay: 1\n"
                                        "Crawl-delay: 0.25\n"
                                        "User-agent: *\n"
                                        "Crawl-delay: 4\n",
                                        "veille");

        cr_assert_eq(r.crawl_delay_ms, 4000);
        fetcher_robots_release(&r);
        r = parse("User-agent: *\nCrawl-delay: 1e12\n", "veille");
        cr_assert_eq(r.crawl_delay_ms, 86400000);
        fetcher_robots_release(&r);
}

Test(fetcher_robots, rule_count_capped)
{
        size_t n = (FETCHER_ROBOTS_MAX_RULES + 10) * 16 + 32;
        char *txt = malloc(n);
        size_t k = (size_t)snprintf(txt, n, "User-agent: *\n");
        struct fetcher_robots r;

        for (int i = 0; i < FETCHER_ROBOTS_MAX_RULES + 10; i++)
                k += (size_t)snprintf(txt + k, n - k, "Disallow: /%d\n",
                                      i % 10);
        fetcher_robots_parse(&r, txt, k, "veille");
        cr_assert_eq(r.n, FETCHER_ROBOTS_MAX_RULES);
        fetcher_robots_release(&r);
        free(txt);
}
