/* parser/meta.c and jsonld.c: title, authors, dates and their sources,
 * canonical URL and id, language, site. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <criterion/criterion.h>
#include "veille/codec.h"
#include "veille/mem.h"
#include "veille/lang.h"
#include "parser/parser.h"

#define BODY "<p>Le gouvernement a annonc\xc3\xa9 mardi un plan de soutien " \
        "aux \xc3\xa9leveurs du nord du pays, durement touch\xc3\xa9s par la " \
        "s\xc3\xa9" "cheresse de l'an dernier. Les premi\xc3\xa8res aides " \
        "seront vers\xc3\xa9" "es d\xc3\xa8s le mois prochain, selon le " \
        "ministre, qui a promis un suivi r\xc3\xa9gulier des " \
        "distributions dans les r\xc3\xa9gions.</p>"

#define BODY2 "<p>Les \xc3\xa9leveurs, qui ont perdu une partie de leurs " \
        "troupeaux, attendent aussi des semences et du fourrage pour la " \
        "saison des pluies, et ils demandent que les listes des " \
        "b\xc3\xa9n\xc3\xa9" "ficiaires soient publi\xc3\xa9" "es.</p>"

#define BODY_EN "<p>The government announced on Tuesday a support plan for " \
        "herders in the north of the country, who were hit hard by last " \
        "year's drought. The first payments will be made next month, the " \
        "minister said, and he promised that the distributions would be " \
        "followed closely in every region.</p>"

/* Build a page event around @p html; @p extra is JSON members to merge
 * (may be NULL). @returns the article (new) or NULL when rejected. */
static json_t *parse(const char *html, const char *extra, struct vl_err *err)
{
        json_t *page = json_object();
        struct parser_opts o;
        struct parser_result res;
        size_t blen;
        char *b64 = vl_base64_encode(html, strlen(html), &blen), *ev;
        json_t *out;

        json_object_set_new(page, "url",
                            json_string("https://news.example/a/story.html"));
        if (extra) {
                json_error_t jerr;
                json_t *x = json_loads(extra, 0, &jerr);

                cr_assert(x, "bad test json: %s", jerr.text);
                json_object_update(page, x);
                json_decref(x);
        }
        json_object_set_new(page, "body_b64", json_stringn(b64, blen));
        free(b64);
        ev = json_dumps(page, JSON_COMPACT);
        json_decref(page);
        memset(&o, 0, sizeof(o));
        o.min_words = 5;
        o.max_body_bytes = 1 << 20;
        o.lang_detect = true;
        o.now_ms = 1735689600000LL; /* 2025-01-01 */
        if (parser_article_from_event(ev, strlen(ev), &o, &res, err) != VL_OK)
                res.article = NULL;
        free(ev);
        out = res.article;
        res.article = NULL;
        parser_result_release(&res);
        return out;
}

static const char *sget(json_t *a, const char *key)
{
        json_t *v = json_object_get(a, key);

        return json_is_string(v) ? json_string_value(v) : NULL;
}

#define expect_field(a, key, want)                                             \
        do {                                                                   \
                const char *got_ = sget(a, key);                               \
                cr_expect(got_ && strcmp(got_, want) == 0,                     \
                          "%s is '%s', expected '%s'", key,                    \
                          got_ ? got_ : "(null)", want);                       \
        } while (0)

static json_t *page(const char *head, const char *body, const char *extra)
{
        char *html = vl_xasprintf("<html><head>%s</head><body>%s%s</body>"
                                  "</html>", head, body, BODY);
        struct vl_err err;
        json_t *a = parse(html, extra, &err);

        cr_assert(a, "rejected: %s", err.msg);
        free(html);
        return a;
}

/* ------------------------------------------------------------- titles */

static void title_is(const char *in, const char *site, const char *host,
                     bool loose, const char *want)
{
        char *t = parser_meta_clean_title(in, site, host, loose);

        cr_expect_str_eq(t, want, "clean_title('%s')", in);
        free(t);
}

Test(parser_meta, strips_title_suffix)
{
        title_is("Niger : la crue - Sahel Actu", "Sahel Actu", NULL, false,
                 "Niger : la crue");
        title_is("Niger : la crue | SAHEL ACTU", "Sahel Actu", NULL, false,
                 "Niger : la crue");
        title_is("Niger : la crue \xe2\x80\x93 sahelactu.com", NULL,
                 "sahelactu.com", false, "Niger : la crue");
        title_is("Niger : la crue - Sahel Actu, l'info du Sahel",
                 "Sahel Actu", NULL, false, "Niger : la crue");
        title_is("Sahel Actu | Niger : la crue", "Sahel Actu", NULL, false,
                 "Niger : la crue");
        /* "Tchad" is the host's name but here the headline's place */
        title_is("Tchad : reprise des cours", "Tchad Infos", "tchad.example",
                 false, "Tchad : reprise des cours");
        /* a headline with a dash in it keeps it */
        title_is("Mali - Burkina : les ministres se rencontrent", "Sahel Actu",
                 NULL, false, "Mali - Burkina : les ministres se rencontrent");
        /* <title>: a short last part goes, a long one stays */
        title_is("Floods close the Bamako ferry crossing | Daily Example",
                 NULL, NULL, true, "Floods close the Bamako ferry crossing");
        title_is("Floods close the ferry | as the river rises over the ramps",
                 NULL, NULL, true,
                 "Floods close the ferry | as the river rises over the ramps");
}

Test(parser_meta, title_sources)
{
        json_t *a = page("<title>From title - Site</title>"
                         "<meta property=\"og:title\" content=\"From og\">",
                         "<h1>From h1</h1>", NULL);

        expect_field(a, "title", "From og");
        json_decref(a);
        a = page("<title>The page title of the story - Site</title>",
                 "<h1>The page title of the story</h1>", NULL);
        expect_field(a, "title", "The page title of the story");
        json_decref(a);
        a = page("<script type=\"application/ld+json\">{\"@type\":"
                 "\"NewsArticle\",\"headline\":\"From &amp; JSON-LD\"}"
                 "</script><title>x</title>", "", NULL);
        expect_field(a, "title", "From & JSON-LD");
        json_decref(a);
}

/* ------------------------------------------------------------ authors */

static void authors_are(const char *raw, bool strict, const char *want)
{
        struct parser_strv sv = { 0 };
        char got[512] = "";
        size_t k = 0;

        parser_meta_add_author(&sv, raw, "Sahel Actu", strict);
        for (int i = 0; i < sv.n && k < sizeof(got); i++)
                k += (size_t)snprintf(got + k, sizeof(got) - k, "%s%s",
                                      i ? ";" : "", sv.v[i]);
        cr_expect_str_eq(got, want, "authors of '%s'", raw);
        parser_strv_release(&sv);
}

Test(parser_meta, cleans_authors)
{
        authors_are("Par Jean Dupont", true, "Jean Dupont");
        authors_are("By John Smith and Jane Roe", true, "John Smith;Jane Roe");
        authors_are("Par Aïssa Moumouni, le 12 mars 2024 à 10h", true,
                    "Aïssa Moumouni");
        authors_are("Jean Dupont - Sahel Actu", false, "Jean Dupont");
        authors_are("Sahel Actu", false, "");
        authors_are("https://sahel-actu.example/auteurs/jd", false, "");
        authors_are("jdupont@example.com", false, "");
        authors_are("Auteur : Mamadou Ould Ahmed", true, "Mamadou Ould Ahmed");
        authors_are("publié il y a trois heures", true, "");
        authors_are("Written by Staff writer", true, "");
        authors_are("AFP", false, "AFP");
}

Test(parser_meta, author_sources)
{
        json_t *a = page("<script type=\"application/ld+json\">{\"@graph\":["
                         "{\"@type\":\"Person\",\"@id\":\"#p\",\"name\":"
                         "\"Awa Traor\xc3\xa9\"},{\"@type\":[\"NewsArticle\"],"
                         "\"author\":[{\"@id\":\"#p\"},{\"@type\":"
                         "\"Organization\",\"name\":\"Sahel Actu\"}],"
                         "\"publisher\":{\"name\":\"Sahel Actu\"}}]}</script>"
                         "<meta name=\"author\" content=\"Meta Name\">",
                         "", NULL);
        json_t *au = json_object_get(a, "authors");

        cr_expect_eq(json_array_size(au), 1);
        cr_expect_str_eq(json_string_value(json_array_get(au, 0)),
                         "Awa Traor\xc3\xa9");
        json_decref(a);
        a = page("<meta property=\"article:author\" "
                 "content=\"https://facebook.example/x\">"
                 "<meta name=\"author\" content=\"Meta Name\">", "", NULL);
        cr_expect_str_eq(json_string_value(json_array_get(
                                 json_object_get(a, "authors"), 0)),
                         "Meta Name");
        json_decref(a);
        a = page("", "<div class=\"byline\">Par <a rel=\"author\" "
                     "href=\"/a\">Ibrahim Ma\xc3\xafga</a></div>", NULL);
        cr_expect_str_eq(json_string_value(json_array_get(
                                 json_object_get(a, "authors"), 0)),
                         "Ibrahim Ma\xc3\xafga");
        json_decref(a);
        a = page("", "<p>Par Fatou Diallo</p>", NULL);
        cr_expect_str_eq(json_string_value(json_array_get(
                                 json_object_get(a, "authors"), 0)),
                         "Fatou Diallo");
        cr_expect_null(strstr(sget(a, "text"), "Fatou"));
        json_decref(a);
}

/* -------------------------------------------------------------- dates */

static void date_from(const char *head, const char *body, const char *extra,
                      const char *want, const char *source)
{
        json_t *a = page(head, body, extra);

        expect_field(a, "published_at", want);
        expect_field(a, "published_at_source", source);
        json_decref(a);
}

Test(parser_meta, date_sources)
{
        const char *feed = "{\"item\":{\"published\":"
                           "\"2024-01-05T08:00:00Z\"}}";
        const char *ld = "<script type=\"application/ld+json\">{\"@type\":"
                         "\"NewsArticle\",\"datePublished\":"
                         "\"2024-01-01T10:00:00+01:00\"}</script>";
        const char *og = "<meta property=\"article:published_time\" "
                         "content=\"2024-01-02T10:00:00Z\">";
        const char *meta = "<meta name=\"date\" content=\"2024-01-03\">";
        const char *tm = "<time datetime=\"2024-01-04T07:00:00Z\">4 "
                         "janvier</time>";
        char *all = vl_xasprintf("%s%s%s", ld, og, meta);
        char *no_ld = vl_xasprintf("%s%s", og, meta);

        date_from(all, tm, feed, "2024-01-01T09:00:00Z", "jsonld");
        date_from(no_ld, tm, feed, "2024-01-02T10:00:00Z", "og");
        date_from(meta, tm, feed, "2024-01-03", "meta");
        date_from("", tm, feed, "2024-01-04T07:00:00Z", "time");
        date_from("", "", feed, "2024-01-05T08:00:00Z", "feed");
        /* a date in the future or before 1990 is no date */
        date_from("<meta name=\"date\" content=\"2030-01-01\">", "", feed,
                  "2024-01-05T08:00:00Z", "feed");
        date_from("<meta name=\"date\" content=\"1970-01-01\">", tm, NULL,
                  "2024-01-04T07:00:00Z", "time");
        free(all);
        free(no_ld);
}

Test(parser_meta, no_date)
{
        json_t *a = page("", "", NULL);

        cr_expect(json_is_null(json_object_get(a, "published_at")));
        cr_expect(json_is_null(json_object_get(a, "published_at_source")));
        cr_expect(json_is_null(json_object_get(a, "modified_at")));
        json_decref(a);
}

Test(parser_meta, modified)
{
        json_t *a = page("<meta property=\"article:modified_time\" "
                         "content=\"2024-01-02T10:00:00+02:00\">", "", NULL);

        expect_field(a, "modified_at", "2024-01-02T08:00:00Z");
        json_decref(a);
}

/* --------------------------------------------------- canonical and id */

Test(parser_meta, canonical_gives_the_id)
{
        const char *head = "<link rel=\"canonical\" "
                           "href=\"/a/story.html?utm_source=x\">";
        json_t *a = page(head, "", "{\"url\":\"https://news.example/a/"
                                   "story.html?utm_source=rss\"}");
        json_t *b = page(head, "", "{\"url\":\"https://m.news.example/"
                                   "x?id=1\",\"final_url\":\"https://"
                                   "news.example/a/story.html\"}");
        char id[VL_ID_LEN + 1];

        expect_field(a, "canonical_url", "https://news.example/a/story.html");
        vl_article_id("https://news.example/a/story.html", id);
        expect_field(a, "id", id);
        expect_field(b, "id", id);
        json_decref(a);
        json_decref(b);
}

Test(parser_meta, canonical_fallbacks)
{
        json_t *a = page("<meta property=\"og:url\" "
                         "content=\"https://news.example/og\">", "", NULL);

        expect_field(a, "canonical_url", "https://news.example/og");
        json_decref(a);
        a = page("", "", "{\"url\":\"https://news.example/u?fbclid=1\","
                         "\"final_url\":\"https://news.example/f#top\"}");
        expect_field(a, "canonical_url", "https://news.example/f");
        json_decref(a);
        a = page("<link rel=\"canonical\" href=\"https://news.example/\">",
                 "", NULL);
        expect_field(a, "canonical_url", "https://news.example/a/story.html");
        json_decref(a);
}

/* --------------------------------------------------------------- lang */

static void lang_is(const char *head, const char *body, const char *extra,
                    const char *want, const char *source)
{
        char *html;
        struct vl_err err;
        json_t *a;

        if (strncmp(head, "lang=", 5) == 0)
                html = vl_xasprintf("<html %s><body>%s</body></html>", head,
                                    body);
        else
                html = vl_xasprintf("<html><head>%s</head><body>%s</body>"
                                    "</html>", head, body);
        a = parse(html, extra, &err);
        cr_assert(a, "rejected: %s", err.msg);
        if (want) {
                expect_field(a, "lang", want);
                expect_field(a, "lang_source", source);
        } else {
                cr_expect(json_is_null(json_object_get(a, "lang")));
        }
        json_decref(a);
        free(html);
}

Test(parser_meta, lang_sources)
{
        lang_is("lang=\"fr-FR\"", BODY, NULL, "fr", "html");
        lang_is("<meta http-equiv=\"content-language\" content=\"fr\">", BODY,
                NULL, "fr", "meta");
        lang_is("<meta property=\"og:locale\" content=\"fr_FR\">", BODY, NULL,
                "fr", "meta");
        lang_is("", BODY, "{\"http\":{\"status\":200,\"content_language\":"
                          "\"fr-CA\"}}", "fr", "http");
        lang_is("", BODY, "{\"source\":{\"lang\":\"fr\"}}", "fr", "source");
        lang_is("", BODY, NULL, "fr", "detect");
        lang_is("", BODY_EN, NULL, "en", "detect");
        /* a template's lang="en-US" on French text */
        lang_is("lang=\"en-US\"", BODY BODY2, NULL, "fr", "detect");
}

Test(parser_meta, detects_languages)
{
        int strength;

        cr_expect_str_eq(vl_lang_detect("Le ministre a annoncé que les "
                                            "élections auront lieu dans les "
                                            "délais prévus, selon la "
                                            "commission qui est chargée du "
                                            "scrutin et des listes.",
                                            &strength), "fr");
        cr_expect_str_eq(vl_lang_detect("The minister said that the "
                                            "elections will be held on time, "
                                            "according to the commission "
                                            "which is in charge of the vote.",
                                            &strength), "en");
        cr_expect_str_eq(vl_lang_detect("\xd9\x82\xd8\xa7\xd9\x84 "
                                            "\xd8\xa7\xd9\x84\xd9\x88\xd8\xb2"
                                            "\xd9\x8a\xd8\xb1 \xd8\xa5\xd9\x86"
                                            " \xd8\xa7\xd9\x84\xd8\xa7\xd9\x86"
                                            "\xd8\xaa\xd8\xae\xd8\xa7\xd8\xa8"
                                            "\xd8\xa7\xd8\xaa \xd8\xb3\xd8\xaa"
                                            "\xd8\xac\xd8\xb1\xd9\x8a",
                                            &strength), "ar");
        cr_expect_null(vl_lang_detect("Bamako", &strength));
        cr_expect_eq(strength, 0);
}

Test(parser_meta, normalizes_lang_tags)
{
        char out[8];

        cr_assert(vl_lang_normalize("fr-FR", out));
        cr_expect_str_eq(out, "fr");
        cr_assert(vl_lang_normalize("EN_us", out));
        cr_expect_str_eq(out, "en");
        cr_assert(vl_lang_normalize("fra", out));
        cr_expect_str_eq(out, "fr");
        cr_expect_not(vl_lang_normalize("und", out));
        cr_expect_not(vl_lang_normalize("x", out));
        cr_expect_not(vl_lang_normalize("{{lang}}", out));
}

/* ---------------------------------------------------- the other fields */

Test(parser_meta, site_description_image_tags)
{
        json_t *a = page("<meta property=\"og:image\" content=\"/i/p.jpg\">"
                         "<meta name=\"description\" content=\" A  short "
                         "summary. \">"
                         "<meta name=\"keywords\" content=\"Mali, Niger ,"
                         "mali\">"
                         "<meta property=\"article:section\" "
                         "content=\"Monde\">",
                         "", NULL);
        json_t *tags = json_object_get(a, "tags");

        expect_field(a, "site", "news.example");
        expect_field(a, "image", "https://news.example/i/p.jpg");
        expect_field(a, "description", "A short summary.");
        expect_field(a, "section", "Monde");
        cr_expect_eq(json_array_size(tags), 2);
        cr_expect_str_eq(json_string_value(json_array_get(tags, 1)), "Niger");
        json_decref(a);
        a = page("", "", "{\"source\":{\"site\":\"News Example\",\"tags\":"
                         "[\"sahel\"]}}");
        expect_field(a, "site", "News Example");
        cr_expect_str_eq(json_string_value(json_array_get(json_object_get(
                                 json_object_get(a, "source"), "tags"), 0)),
                         "sahel");
        json_decref(a);
}

Test(parser_meta, jsonld_variants)
{
        struct parser_jsonld ld;
        const char *t = "<!--\n[{\"@context\":\"http://schema.org\",\"@type\":"
                        "\"WebPage\",\"name\":\"Page\",\"datePublished\":"
                        "\"2024-01-01\"},{\"@type\":\"http://schema.org/"
                        "ReportageNewsArticle\",\"headline\":\"Line one\nline"
                        " two\",\"author\":\"A. Writer\",\"keywords\":[\"k1\","
                        "\"k2\"],\"image\":{\"@type\":\"ImageObject\",\"url\":"
                        "\"https://x.example/i.jpg\"},\"articleBody\":\"P1."
                        "\\nP2.\"}]\n-->";

        memset(&ld, 0, sizeof(ld));
        parser_jsonld_add(&ld, t, strlen(t));
        cr_assert_eq(ld.rank, 3);
        cr_expect_str_eq(ld.type, "ReportageNewsArticle");
        cr_expect_str_eq(ld.headline, "Line one line two");
        cr_expect_str_eq(ld.published, "2024-01-01"); /* from the WebPage */
        cr_expect_str_eq(ld.authors.v[0], "A. Writer");
        cr_expect_eq(ld.keywords.n, 2);
        cr_expect_str_eq(ld.image, "https://x.example/i.jpg");
        cr_expect_str_eq(ld.article_body, "P1.\nP2.");
        parser_jsonld_release(&ld);
        /* garbage is ignored */
        parser_jsonld_add(&ld, "{\"@type\": oops", 14);
        cr_expect_eq(ld.rank, 0);
        parser_jsonld_release(&ld);
}
