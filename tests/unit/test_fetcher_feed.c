/* veille-fetcher: the feed parser and its text helpers (dates are lib's
 * vl_date: tests/unit/test_date.c).
 *
 * Golden cases: every tests/data/fetcher/feeds/<case>.xml (or .json, or
 * .txt: a URL list) is parsed (as if fetched from
 * https://feeds.example/path/<case>.<ext>) and compared with
 * <case>.expected.json; every tests/data/fetcher/notfeeds/<case>.xml must be
 * rejected. Adding a case means adding files. VL_UPDATE_GOLDEN=1 rewrites
 * the expected files (review the diff).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include "veille/buf.h"
#include "fetcher/fetcher.h"
#include "vl_test.h"

#define DATA VL_SOURCE_DIR "/tests/data/fetcher"
#define BASE_URL "https://feeds.example/path/"

static void setup(void)
{
        xmlInitParser();
}

static enum vl_rc parse_file(const char *dir, const char *name,
                             struct fetcher_feed *feed, struct vl_err *err)
{
        char path[512];
        char url[512];
        size_t len;
        char *buf;
        enum vl_rc rc;

        snprintf(path, sizeof(path), "%s/%s/%s", DATA, dir, name);
        snprintf(url, sizeof(url), "%s%s", BASE_URL, name);
        buf = vl_test_read(path, &len);
        rc = fetcher_feed_parse(feed, buf, len, url, FETCHER_FEED_AUTO, err);
        free(buf);
        return rc;
}

static enum vl_rc parse_str(const char *s, struct fetcher_feed *feed,
                            struct vl_err *err)
{
        return fetcher_feed_parse(feed, s, strlen(s),
                                  "https://feeds.example/path/feed.xml",
                                  FETCHER_FEED_AUTO, err);
}

static json_t *jstr(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *jarr(char **v, int n)
{
        json_t *a = json_array();

        for (int i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *feed_json(const struct fetcher_feed *feed)
{
        json_t *items = json_array();

        for (int i = 0; i < feed->n; i++) {
                const struct fetcher_item *it = &feed->items[i];

                json_array_append_new(items, json_pack(
                        "{s:o s:o s:o s:o s:o s:o s:o s:o s:o}",
                        "link", jstr(it->link), "guid", jstr(it->guid),
                        "title", jstr(it->title),
                        "published", jstr(it->published),
                        "published_raw", jstr(it->published_raw),
                        "updated", jstr(it->updated),
                        "summary", jstr(it->summary),
                        "authors", jarr(it->authors, it->nauthors),
                        "categories",
                        jarr(it->categories, it->ncategories)));
        }
        json_t *o = json_pack("{s:s s:o s:o s:o s:b s:o}", "type",
                              fetcher_feed_type_name(feed->type), "title",
                              jstr(feed->title), "link", jstr(feed->link),
                              "lang", jstr(feed->lang), "malformed",
                              feed->malformed, "items", items);

        if (feed->nchildren) {
                json_t *ch = json_array();

                for (int i = 0; i < feed->nchildren; i++)
                        json_array_append_new(ch, json_pack(
                                "{s:s s:o}", "url", feed->children[i].url,
                                "lastmod",
                                jstr(feed->children[i].lastmod)));
                json_object_set_new(o, "children", ch);
        }
        return o;
}

static const char *case_ext(const char *name)
{
        static const char *const exts[] = { ".xml", ".json", ".txt" };

        for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++) {
                size_t n = strlen(name), k = strlen(exts[i]);

                if (n > k && !strcmp(name + n - k, exts[i]) &&
                    !strstr(name, ".expected."))
                        return exts[i];
        }
        return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && !strcmp(s + n - k, suffix);
}

Test(fetcher_feed, golden_cases, .init = setup)
{
        DIR *d = opendir(DATA "/feeds");
        const char *update = getenv("VL_UPDATE_GOLDEN");
        struct dirent *de;
        int n = 0;

        cr_assert(d, "cannot open " DATA "/feeds");
        while ((de = readdir(d)) != NULL) {
                struct fetcher_feed feed;
                struct vl_err err;
                char exp_path[512];
                json_t *got, *exp;
                json_error_t jerr;
                char *g, *x;
                const char *ext = case_ext(de->d_name);

                if (!ext)
                        continue;
                n++;
                cr_assert_eq(parse_file("feeds", de->d_name, &feed, &err),
                             VL_OK, "%s: %s", de->d_name, err.msg);
                got = feed_json(&feed);
                fetcher_feed_release(&feed);
                snprintf(exp_path, sizeof(exp_path), "%s/feeds/%.*s"
                         ".expected.json", DATA,
                         (int)(strlen(de->d_name) - strlen(ext)),
                         de->d_name);
                if (update && *update == '1')
                        json_dump_file(got, exp_path,
                                       JSON_INDENT(2) | JSON_SORT_KEYS);
                exp = json_load_file(exp_path, 0, &jerr);
                cr_assert(exp, "%s: %s", exp_path, jerr.text);
                g = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
                x = json_dumps(exp, JSON_INDENT(2) | JSON_SORT_KEYS);
                cr_expect(json_equal(got, exp),
                          "%s differs:\n%s\nexpected:\n%s", de->d_name, g,
                          x);
                free(g);
                free(x);
                json_decref(got);
                json_decref(exp);
        }
        closedir(d);
        cr_assert_gt(n, 10);
}

Test(fetcher_feed, not_a_feed_rejected, .init = setup)
{
        DIR *d = opendir(DATA "/notfeeds");
        struct dirent *de;
        int n = 0;

        cr_assert(d);
        while ((de = readdir(d)) != NULL) {
                struct fetcher_feed feed;
                struct vl_err err;

                if (!ends_with(de->d_name, ".xml"))
                        continue;
                n++;
                cr_expect_eq(parse_file("notfeeds", de->d_name, &feed, &err),
                             VL_REJECT, "%s was read as a feed", de->d_name);
                cr_expect(strstr(err.msg, "not a feed"), "%s: %s",
                          de->d_name, err.msg);
        }
        closedir(d);
        cr_assert_geq(n, 5);
}

Test(fetcher_feed, rss_items, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;
        const struct fetcher_item *it;

        cr_assert_eq(parse_file("feeds", "rss2_basic.xml", &feed, &err),
                     VL_OK);
        cr_assert_eq(feed.type, FETCHER_FEED_RSS);
        cr_assert_str_eq(feed.lang, "fr");
        cr_assert_str_eq(feed.title, "Sahel Actu - À la une");
        cr_assert_eq(feed.n, 3);
        cr_assert_not(feed.malformed);
        it = &feed.items[0];
        cr_assert_str_eq(it->link, "https://sahel-actu.example/securite/"
                                   "soldats-russes-ouagadougou.html"
                                   "?utm_source=rss");
        cr_assert_str_eq(it->published, "2024-01-26T09:00:00Z");
        cr_assert_str_eq(it->published_raw, "Fri, 26 Jan 2024 10:00:00 +0100");
        cr_assert_eq(it->nauthors, 1);
        cr_assert_str_eq(it->authors[0], "André-Martin Bado");
        cr_assert_eq(it->ncategories, 2);
        cr_assert_str_eq(it->categories[1], "Burkina Faso");
        /* whitespace around a link is not part of it */
        cr_assert_str_eq(feed.items[1].link,
                         "https://sahel-actu.example/politique/"
                         "burkina-russie.html");
        /* "email (Name)" */
        cr_assert_str_eq(feed.items[1].authors[0], "Moussa Diallo");
        cr_assert_str_eq(feed.items[1].guid, "sahel-actu-1234");
        /* no link, and a guid that is not a permalink */
        cr_assert_null(feed.items[2].link);
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, atom_items, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;
        const struct fetcher_item *it;

        cr_assert_eq(parse_file("feeds", "atom_basic.xml", &feed, &err),
                     VL_OK);
        cr_assert_eq(feed.type, FETCHER_FEED_ATOM);
        cr_assert_str_eq(feed.lang, "fr");
        cr_assert_str_eq(feed.link, "https://sahel-actu.example/");
        cr_assert_eq(feed.n, 2);
        it = &feed.items[0];
        /* the alternate link, not the enclosure */
        cr_assert_str_eq(it->link, "https://sahel-actu.example/international/"
                                   "aes-russie.html?utm_source=atom&utm_medium"
                                   "=feed");
        cr_assert_str_eq(it->title, "AES : à Moscou, Andreï Belousov promet "
                                    "une coopération élargie");
        cr_assert_str_eq(it->published, "2025-05-10T12:00:00Z");
        cr_assert_str_eq(it->updated, "2025-05-10T11:40:00Z");
        cr_assert_eq(it->nauthors, 2);
        cr_assert_str_eq(it->authors[0], "Aïcha Ouédraogo");
        cr_assert_str_eq(it->authors[1], "desk@sahel-actu.example");
        cr_assert_eq(it->ncategories, 2);
        cr_assert_str_eq(it->categories[0], "International");
        cr_assert_str_eq(it->categories[1], "defense");
        cr_assert_str_eq(it->summary, "Le ministre russe de la Défense a reçu "
                                      "ses homologues. Mali, Niger, Burkina "
                                      "Faso.");
        /* no published: updated stands in; no author: the feed's */
        it = &feed.items[1];
        cr_assert_str_eq(it->published, "2025-05-09T08:45:00Z");
        cr_assert_str_eq(it->authors[0], "Rédaction Sahel Actu");
        cr_assert_str_eq(it->summary, "Le Capitaine Ibrahim Traoré a "
                                      "rencontré le Général Sadio Camara.");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, cdata, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss_cdata.xml", &feed, &err), VL_OK);
        cr_assert_eq(feed.n, 2);
        cr_assert_str_eq(feed.title, "Le Journal du Faso");
        cr_assert_str_eq(feed.items[0].title,
                         "Ouagadougou : la rentrée des classes & ses défis");
        cr_assert_str_eq(feed.items[0].link,
                         "https://lejournaldufaso.example/2024/10/01/"
                         "rentree.html");
        /* scripts dropped, paragraphs kept apart, description wins */
        cr_assert_str_eq(feed.items[0].summary,
                         "Les élèves ont repris le chemin de l'école. "
                         "Reportage & photos.");
        /* content:encoded when there is no description */
        cr_assert_str_eq(feed.items[1].summary,
                         "Seul le contenu complet est donné.");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, html_entities_in_titles, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss_entities.xml", &feed, &err),
                     VL_OK);
        cr_assert_str_eq(feed.title, "Café & Politique");
        cr_assert_eq(feed.n, 1);
        /* HTML named entities, double escaping, numeric references (and
         * &#150; read as windows-1252), escaped tags */
        cr_assert_str_eq(feed.items[0].title,
                         "L’été au Niger : Tom & Jerry – – gras — fin");
        cr_assert_str_eq(feed.items[0].summary,
                         "Trois points… et 5 < 6 & 7 > 2 © &unknownentity; fin");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, relative_links_and_xml_base, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "atom_xml_base.xml", &feed, &err),
                     VL_OK);
        cr_assert_eq(feed.n, 5);
        cr_assert_str_eq(feed.link, "https://base.example/news/");
        cr_assert_str_eq(feed.items[0].link,
                         "https://base.example/news/2024/article-1.html"
                         "#comments");
        cr_assert_str_eq(feed.items[1].link,
                         "https://base.example/other/article-2.html");
        cr_assert_str_eq(feed.items[2].link,
                         "https://elsewhere.example/x/article-3.html");
        cr_assert_str_eq(feed.items[3].link, "https://absolute.example/a.html");
        cr_assert_null(feed.items[4].link);
        fetcher_feed_release(&feed);

        cr_assert_eq(parse_file("feeds", "rss_relative_links.xml", &feed,
                                &err),
                     VL_OK);
        cr_assert_eq(feed.n, 5);
        cr_assert_str_eq(feed.link, "https://feeds.example/");
        cr_assert_str_eq(feed.items[0].link,
                         "https://feeds.example/articles/one.html");
        cr_assert_str_eq(feed.items[1].link,
                         "https://feeds.example/path/two.html");
        cr_assert_str_eq(feed.items[2].link,
                         "https://relative.example/articles/three.html");
        cr_assert_null(feed.items[3].link);
        cr_assert_null(feed.items[4].link); /* mailto: */
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, missing_and_odd_dates, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss_dates.xml", &feed, &err), VL_OK);
        cr_assert_eq(feed.n, 6);
        cr_assert_str_eq(feed.items[0].published, "2003-06-10T09:00:00Z");
        cr_assert_null(feed.items[1].published);
        cr_assert_null(feed.items[1].published_raw);
        cr_assert_str_eq(feed.items[2].published, "2024-03-12T09:05:00Z");
        /* kept as given when it cannot be read */
        cr_assert_str_eq(feed.items[3].published, "hier soir");
        cr_assert_str_eq(feed.items[3].published_raw, "hier soir");
        cr_assert_str_eq(feed.items[4].published, "2024-10-05T13:00:00Z");
        cr_assert_str_eq(feed.items[5].published, "2024-02-29T00:00:00Z");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, truncated_feed_partially_read, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss_truncated.xml", &feed, &err),
                     VL_OK, "%s", err.msg);
        cr_assert(feed.malformed);
        cr_assert_neq(feed.warning[0], '\0');
        cr_assert_geq(feed.n, 2);
        cr_assert_str_eq(feed.items[0].link,
                         "https://truncated.example/1.html");
        cr_assert_str_eq(feed.items[1].link,
                         "https://truncated.example/2.html");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, malformed_feed_partially_read, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss_malformed.xml", &feed, &err),
                     VL_OK, "%s", err.msg);
        cr_assert(feed.malformed);
        cr_assert_geq(feed.n, 1);
        cr_assert_str_eq(feed.items[0].link,
                         "https://malformed.example/1.html");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, truncated_anywhere_never_crashes, .init = setup)
{
        char path[512];
        size_t len;
        char *buf;

        /* every prefix of a real feed: accepted or rejected, never more
         * items than the whole */
        snprintf(path, sizeof(path), "%s/feeds/atom_basic.xml", DATA);
        buf = vl_test_read(path, &len);
        for (size_t n = 0; n <= len; n += 7) {
                struct fetcher_feed feed;
                struct vl_err err;

                if (fetcher_feed_parse(&feed, buf, n, BASE_URL "x.xml",
                                       FETCHER_FEED_AUTO, &err) == VL_OK) {
                        cr_assert_leq(feed.n, 2);
                        fetcher_feed_release(&feed);
                }
        }
        free(buf);
}

Test(fetcher_feed, rss1_and_latin1, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "rss1_rdf.xml", &feed, &err), VL_OK);
        cr_assert_eq(feed.type, FETCHER_FEED_RSS);
        cr_assert_str_eq(feed.lang, "en");
        cr_assert_eq(feed.n, 2);
        cr_assert_str_eq(feed.items[0].published, "2004-05-06T07:08:09Z");
        cr_assert_str_eq(feed.items[0].authors[0], "Jane Roe");
        cr_assert_str_eq(feed.items[0].categories[0], "Science");
        cr_assert_str_eq(feed.items[1].link, "https://rdf.example/two");
        fetcher_feed_release(&feed);

        cr_assert_eq(parse_file("feeds", "rss_latin1.xml", &feed, &err), VL_OK);
        cr_assert_str_eq(feed.title, "Le Café");
        cr_assert_str_eq(feed.items[0].title, "Déjà vu à Niéla");
        cr_assert_str_eq(feed.items[0].link,
                         "https://latin1.example/d%c3%a9j%c3%a0.html");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, atom_xhtml, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_file("feeds", "atom_xhtml.xml", &feed, &err), VL_OK);
        cr_assert_str_eq(feed.title, "XHTML feed");
        cr_assert_str_eq(feed.items[0].title, "An xhtml title");
        cr_assert_str_eq(feed.items[0].summary,
                         "First paragraph. Second paragraph.");
        cr_assert_str_eq(feed.items[0].published, "2024-07-01T16:00:00Z");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, type_is_enforced, .init = setup)
{
        const char *atom = "<feed xmlns='http://www.w3.org/2005/Atom'>"
                           "<entry><link href='/a'/></entry></feed>";
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(fetcher_feed_parse(&feed, atom, strlen(atom),
                                        BASE_URL "f", FETCHER_FEED_RSS, &err),
                     VL_REJECT);
        cr_assert(strstr(err.msg, "expected an rss feed, got atom"), "%s",
                  err.msg);
        cr_assert_eq(fetcher_feed_parse(&feed, atom, strlen(atom),
                                        BASE_URL "f", FETCHER_FEED_ATOM, &err),
                     VL_OK);
        cr_assert_str_eq(feed.items[0].link, "https://feeds.example/a");
        fetcher_feed_release(&feed);
}

Test(fetcher_feed, no_external_entities, .init = setup)
{
        /* an external entity must neither be loaded nor expanded */
        const char *xxe =
                "<?xml version='1.0'?>"
                "<!DOCTYPE rss [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>"
                "<!ENTITY lol 'lol'>]>"
                "<rss><channel><item><title>a&xxe;b&lol;c</title>"
                "<link>https://x.example/</link></item></channel></rss>";
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_str(xxe, &feed, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(feed.n, 1);
        cr_assert_null(strstr(feed.items[0].title, "root"));
        cr_assert_str_eq(feed.items[0].title, "abc");
        fetcher_feed_release(&feed);
}

/* ---------------------------------------------------------------- text */

Test(fetcher_text, from_html)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "  a  <b>bold</b>\n\t text ", "a bold text" },
                { "<p>one</p><p>two</p>", "one two" },
                { "x<br/>y", "x y" },
                { "a <script>var s = '<p>';</script>b", "a b" },
                { "5 < 6 and 7>2", "5 < 6 and 7>2" },
                { "a<b", "a<b" },
                { "<a title=\"x>y\" href='#'>link</a>", "link" },
                { "<!-- c -->z", "z" },
                { "&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&eacute;",
                  "&<>\"'ABé" },
                { "&bogus; &#xZZ; & ;", "&bogus; &#xZZ; & ;" },
                { "&#0;&#xD800;&#1114112;",
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
                { "nb&nbsp;sp", "nb sp" },
                { "", "" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = fetcher_text_from_html(cases[i].in, 0);

                cr_expect_str_eq(s, cases[i].out, "case %zu: '%s'", i,
                                 cases[i].in);
                free(s);
        }
}

Test(fetcher_text, clean_caps_on_a_character_boundary)
{
        char *s = fetcher_text_clean("ééééé", 5); /* 2 bytes each */

        cr_assert_str_eq(s, "éé");
        free(s);
        s = fetcher_text_clean("a\xff" "b\xc3", 0);
        cr_assert_str_eq(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
        free(s);
}

Test(fetcher_feed, new_types_are_enforced, .init = setup)
{
        const char *sm = "<urlset><url><loc>/a</loc></url></urlset>";
        const char *js = "{\"version\":\"https://jsonfeed.org/version/1.1\","
                         "\"items\":[{\"id\":\"1\",\"url\":\"/a\"}]}";
        const char *urls = "https://a.example/1\nhttps://a.example/2\n";
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(fetcher_feed_parse(&feed, sm, strlen(sm), BASE_URL "f",
                                        FETCHER_FEED_RSS, &err),
                     VL_REJECT);
        cr_assert(strstr(err.msg, "expected an rss feed, got sitemap"), "%s",
                  err.msg);
        cr_assert_eq(fetcher_feed_parse(&feed, js, strlen(js), BASE_URL "f",
                                        FETCHER_FEED_SITEMAP, &err),
                     VL_REJECT);
        cr_assert_eq(fetcher_feed_parse(&feed, sm, strlen(sm), BASE_URL "f",
                                        FETCHER_FEED_JSON, &err),
                     VL_REJECT);
        cr_assert_eq(fetcher_feed_parse(&feed, js, strlen(js), BASE_URL "f",
                                        FETCHER_FEED_JSON, &err),
                     VL_OK, "%s", err.msg);
        cr_assert_str_eq(feed.items[0].link, "https://feeds.example/a");
        fetcher_feed_release(&feed);
        cr_assert_eq(fetcher_feed_parse(&feed, sm, strlen(sm), BASE_URL "f",
                                        FETCHER_FEED_SITEMAP, &err),
                     VL_OK, "%s", err.msg);
        fetcher_feed_release(&feed);
        cr_assert_eq(fetcher_feed_parse(&feed, urls, strlen(urls),
                                        BASE_URL "f", FETCHER_FEED_URLS,
                                        &err),
                     VL_OK, "%s", err.msg);
        cr_assert_eq(feed.n, 2);
        cr_assert_eq(feed.type, FETCHER_FEED_URLS);
        fetcher_feed_release(&feed);
        /* a URL list is only guessed when its first line is a URL */
        cr_assert_eq(parse_str("hello\nhttps://a.example/1\n", &feed, &err),
                     VL_REJECT);
}

/* Every prefix of every JSON, sitemap and URL-list case parses or is
 * rejected cleanly (the sanitizer build checks the memory side). */
Test(fetcher_feed, new_formats_truncated_anywhere, .init = setup)
{
        static const char *const cases[] = { "jsonfeed_11.json",
                                             "sitemap_news.xml",
                                             "sitemap_index.xml",
                                             "urls_list.txt" };

        for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
                char path[512];
                size_t len;
                char *buf;
                int ok = 0;

                snprintf(path, sizeof(path), "%s/feeds/%s", DATA, cases[c]);
                buf = vl_test_read(path, &len);
                for (size_t n = 0; n <= len; n++) {
                        struct fetcher_feed feed;
                        struct vl_err err;

                        if (fetcher_feed_parse(&feed, buf, n, BASE_URL "x",
                                               FETCHER_FEED_AUTO,
                                               &err) == VL_OK) {
                                ok++;
                                fetcher_feed_release(&feed);
                        }
                }
                cr_assert_gt(ok, 0, "%s", cases[c]);
                free(buf);
        }
}

Test(fetcher_feed, polling_hints, .init = setup)
{
        struct fetcher_feed feed;
        struct vl_err err;

        cr_assert_eq(parse_str("<rss><channel><ttl>30</ttl>"
                               "<item><link>/a</link></item></channel></rss>",
                               &feed, &err),
                     VL_OK);
        cr_assert_eq(feed.ttl_s, 1800);
        fetcher_feed_release(&feed);
        cr_assert_eq(parse_str("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/"
                               "02/22-rdf-syntax-ns#' xmlns='http://purl.org/"
                               "rss/1.0/' xmlns:sy='http://purl.org/rss/1.0/"
                               "modules/syndication/'><channel>"
                               "<sy:updatePeriod>hourly</sy:updatePeriod>"
                               "<sy:updateFrequency>4</sy:updateFrequency>"
                               "</channel></rdf:RDF>",
                               &feed, &err),
                     VL_OK, "%s", err.msg);
        cr_assert_eq(feed.ttl_s, 900);
        fetcher_feed_release(&feed);
        cr_assert_eq(parse_str("<rss><channel><ttl>soon</ttl>"
                               "<ttl>99999999999</ttl></channel></rss>",
                               &feed, &err),
                     VL_OK);
        cr_assert_eq(feed.ttl_s, 0);
        fetcher_feed_release(&feed);
}
