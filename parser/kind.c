/*
 * kind.c: is the page an article at all? Error pages, section fronts and
 * tag pages, paywall and consent stubs are recognised after the
 * extraction and refused with their reason (a metric label and the DLQ
 * message) instead of being published as articles.
 *
 * Every rule needs two signals, so that an article is not refused for one
 * unlucky word: an error title and little text; a paywall or consent
 * phrase and little text; an index URL or page type and neither a date nor
 * much text.
 */
#include <stdlib.h>
#include <string.h>
#include "parser.h"

/* phrases (as words_of() writes them) of error pages' titles */
static const char *const error_titles[] = {
        "page not found", "not found", "page introuvable",
        "page non trouvee", "page inexistante", "cette page n existe pas",
        "this page doesn t exist", "page does not exist",
        "page doesn t exist", "erreur 404", "error 404", "404 error",
        "internal server error", "service unavailable",
        "une erreur est survenue", "something went wrong", "oops", NULL,
};
/* phrases of paywall and consent stubs */
static const char *const stub_phrases[] = {
        "subscribe to continue", "subscribe to read", "to continue reading",
        "subscribers only", "already a subscriber", "reserve aux abonnes",
        "article reserve", "deja abonne", "abonnez vous pour lire",
        "pour lire la suite", "la suite est reservee",
        "accept cookies", "accept all cookies", "we use cookies",
        "accepter les cookies", "accepter et fermer", "tout accepter",
        "vos choix concernant les cookies", "manage your consent",
        "gerer mes choix", "enable javascript", "activer javascript",
        "please enable cookies", NULL,
};
/* URL path segments of section fronts, tag and author pages */
static const char *const index_segments[] = {
        "tag", "tags", "category", "categories", "categorie", "rubrique",
        "rubriques", "section", "sections", "topic", "topics", "theme",
        "themes", "author", "authors", "auteur", "auteurs", "search",
        "recherche", NULL, /* not "archives": WordPress posts live there */
};

#define ERROR_MAX_WORDS 150
#define STUB_MAX_WORDS 200
#define INDEX_MAX_WORDS 400

/* @p s folded (vl_text_fold) with every ASCII character that is not a
 * letter or digit made a space, runs of spaces made one: "Page
 * n'existe pas !" -> "page n existe pas". */
static char *words_of(const char *s)
{
        char *f = vl_text_fold(s, 0);
        size_t o = 0;

        for (size_t i = 0; f[i]; i++) {
                unsigned char c = (unsigned char)f[i];
                bool keep = c >= 0x80 || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9');

                if (keep)
                        f[o++] = (char)c;
                else if (o && f[o - 1] != ' ')
                        f[o++] = ' ';
        }
        while (o && f[o - 1] == ' ')
                o--;
        f[o] = '\0';
        return f;
}

static bool has_phrase(const char *folded, const char *const *list)
{
        size_t n = strlen(folded);

        for (; *list; list++) {
                size_t l = strlen(*list);
                const char *p = folded;

                /* whole words only: bounded by the string or a space */
                while ((p = strstr(p, *list))) {
                        size_t at = (size_t)(p - folded);

                        if ((at == 0 || p[-1] == ' ') &&
                            (at + l == n || p[l] == ' '))
                                return true;
                        p++;
                }
        }
        return false;
}

static bool error_title(const char *s)
{
        char *f;
        bool r;

        if (!s)
                return false;
        f = words_of(s);
        r = has_phrase(f, error_titles) ||
            (strncmp(f, "404", 3) == 0 && (!f[3] || f[3] == ' ')) ||
            (strncmp(f, "410", 3) == 0 && (!f[3] || f[3] == ' '));
        free(f);
        return r;
}

/* The URL path is a home page, or one of index_segments followed by at
 * most a name, and page numbers: "/", "/tag/climat", "/rubrique/monde/2",
 * "/tag/climat/page/3"; not "/section/monde/un-article". */
static bool index_url(const char *url)
{
        const char *p, *seg;
        int depth = 0;
        bool idx = false;

        if (!url)
                return false;
        p = strstr(url, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        if (!p)
                return true; /* the host alone */
        for (seg = p; *seg == '/';) {
                size_t l;

                seg++;
                l = strcspn(seg, "/?#");
                if (!l)
                        break;
                if (depth >= 2 && !(l == 4 && strncmp(seg, "page", 4) == 0) &&
                    strspn(seg, "0123456789") != l)
                        return false;
                if (depth == 0) {
                        for (const char *const *s = index_segments; *s; s++)
                                if (strlen(*s) == l &&
                                    strncmp(seg, *s, l) == 0)
                                        idx = true;
                        if (!idx)
                                return false;
                }
                depth++;
                seg += l;
                if (*seg != '/')
                        break;
        }
        return depth == 0 || idx;
}

bool parser_kind_stub_text(const char *text)
{
        char *f;
        bool stub;

        if (!text)
                return false;
        f = words_of(text);
        stub = has_phrase(f, stub_phrases);
        free(f);
        return stub;
}

enum parser_reason parser_kind(const struct parser_page *pg,
                               const struct parser_meta *m, const char *text,
                               int words, const struct parser_opts *o)
{
        if (o->min_words > 0 && words < o->min_words)
                return PARSER_TOO_SHORT;
        if (!o->non_articles)
                return PARSER_OK;
        if (words < ERROR_MAX_WORDS &&
            (error_title(m->title) || error_title(m->h1)))
                return PARSER_ERROR_PAGE;
        if (words < STUB_MAX_WORDS && parser_kind_stub_text(text))
                return PARSER_STUB;
        if (words < INDEX_MAX_WORDS && !m->published[0] &&
            index_url(m->canonical ? m->canonical :
                      pg->final_url ? pg->final_url : pg->url))
                return PARSER_INDEX_PAGE;
        return PARSER_OK;
}
