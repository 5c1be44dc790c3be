/* parser/kind.c: pages that are not articles are refused with a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "veille/mem.h"
#include "parser/parser.h"

#define PARA "<p>Les pluies de la semaine ont fait monter le niveau du " \
        "fleuve au-dessus de la cote d'alerte, et les autorit\xc3\xa9s ont " \
        "demand\xc3\xa9 aux riverains de quitter les zones basses.</p>"

static enum parser_reason kind_of(const char *url, int status,
                                  const char *title, const char *body,
                                  bool non_articles, int64_t min_words)
{
        char *html = vl_xasprintf("<html><head><title>%s</title></head>"
                                  "<body>%s</body></html>", title, body);
        struct parser_page pg;
        struct parser_opts o;
        struct parser_result res;
        struct vl_err err;
        enum vl_rc rc;
        enum parser_reason r;

        memset(&pg, 0, sizeof(pg));
        memset(&o, 0, sizeof(o));
        memset(&res, 0, sizeof(res));
        pg.url = url;
        pg.http_status = status;
        pg.body = (unsigned char *)html;
        pg.body_len = strlen(html);
        o.min_words = min_words;
        o.non_articles = non_articles;
        o.lang_detect = true;
        o.now_ms = 1710000000000LL;
        rc = parser_article_build(&pg, &o, &res, &err);
        r = res.reason;
        cr_assert_eq(rc == VL_OK, r == PARSER_OK, "%s", err.msg);
        if (rc != VL_OK)
                cr_assert(err.msg[0], "a refusal says why");
        if (r > PARSER_TOO_SHORT && status < 400)
                cr_assert(strstr(err.msg, parser_reason_name(r)), "%s",
                          err.msg);
        parser_result_release(&res);
        free(html);
        return r;
}

#define ART "https://x.example/2024/03/12/crue-de-la-seine.html"

Test(parser_kind, articles_pass)
{
        cr_assert_eq(kind_of(ART, 200, "Crue de la Seine", PARA PARA, true,
                             1), PARSER_OK);
        /* an article under a section path is no section front */
        cr_assert_eq(kind_of("https://x.example/section/monde/crue-seine",
                             200, "Crue", PARA, true, 1), PARSER_OK);
        /* WordPress posts live under /archives/ */
        cr_assert_eq(kind_of("https://x.example/archives/14147", 200,
                             "Crue", PARA, true, 1), PARSER_OK);
}

Test(parser_kind, error_pages)
{
        cr_assert_eq(kind_of(ART, 200, "Page introuvable - Le Journal",
                             "<p>D\xc3\xa9sol\xc3\xa9, cette page a "
                             "peut-\xc3\xaatre \xc3\xa9t\xc3\xa9 "
                             "d\xc3\xa9plac\xc3\xa9" "e ou "
                             "supprim\xc3\xa9" "e.</p>", true, 1),
                     PARSER_ERROR_PAGE);
        cr_assert_eq(kind_of(ART, 200, "404", "<h1>404</h1><p>The page you "
                             "are looking for is gone.</p>", true, 1),
                     PARSER_ERROR_PAGE);
        cr_assert_eq(kind_of(ART, 404, "Crue", PARA, true, 1),
                     PARSER_ERROR_PAGE);
        /* the switch off: the same page is published */
        cr_assert_eq(kind_of(ART, 200, "Page introuvable", PARA, false, 1),
                     PARSER_OK);
}

Test(parser_kind, an_error_title_with_an_article_is_an_article)
{
        char body[16384] = "";

        for (int i = 0; i < 8; i++) {
                char p[1024];

                snprintf(p, sizeof(p), "<p>Paragraphe %d : la ville perdue "
                         "de la l\xc3\xa9gende n'a jamais \xc3\xa9t\xc3\xa9 "
                         "retrouv\xc3\xa9" "e, malgr\xc3\xa9 les %d "
                         "exp\xc3\xa9" "ditions lanc\xc3\xa9" "es depuis "
                         "le seizi\xc3\xa8me si\xc3\xa8" "cle par les "
                         "explorateurs.</p>", i + 1, (i + 2) * 7);
                strcat(body, p);
        }
        cr_assert_eq(kind_of(ART, 200, "Not found: the lost city of gold",
                             body, true, 1), PARSER_OK);
}

Test(parser_kind, paywall_and_consent_stubs)
{
        cr_assert_eq(kind_of(ART, 200, "Crue de la Seine", PARA
                             "<p>La suite est r\xc3\xa9serv\xc3\xa9" "e aux "
                             "abonn\xc3\xa9s. D\xc3\xa9j\xc3\xa0 abonn\xc3"
                             "\xa9 ? Connectez-vous.</p>", true, 1),
                     PARSER_STUB);
        cr_assert_eq(kind_of(ART, 200, "Crue de la Seine",
                             "<p>We use cookies to improve your experience. "
                             "By clicking Accept all cookies you agree to "
                             "our use of them.</p>", true, 1),
                     PARSER_STUB);
}

Test(parser_kind, index_pages)
{
        cr_assert_eq(kind_of("https://x.example/", 200, "Le Journal", PARA,
                             true, 1), PARSER_INDEX_PAGE);
        cr_assert_eq(kind_of("https://x.example/tag/climat", 200, "Climat",
                             PARA, true, 1), PARSER_INDEX_PAGE);
        cr_assert_eq(kind_of("https://x.example/rubrique/monde/page/2", 200,
                             "Monde", PARA, true, 1), PARSER_INDEX_PAGE);
}

Test(parser_kind, too_short)
{
        cr_assert_eq(kind_of(ART, 200, "Crue", PARA, true, 200),
                     PARSER_TOO_SHORT);
        cr_assert_str_eq(parser_reason_name(PARSER_TOO_SHORT), "too_short");
}
