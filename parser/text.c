/* Text helpers of the parser's own: string lists, word counts, JSON-LD
 * unescaping. UTF-8, white space and folding are lib's (vl_text). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "parser.h"

/* ------------------------------------------------------------ string list */

void parser_strv_add(struct parser_strv *sv, const char *s)
{
        if (!s)
                return;
        if (sv->n == sv->cap) {
                sv->cap = sv->cap ? sv->cap * 2 : 4;
                sv->v = vl_xrealloc(sv->v, (size_t)sv->cap * sizeof(*sv->v));
        }
        sv->v[sv->n++] = vl_xstrdup(s);
}

int parser_strv_find(const struct parser_strv *sv, const char *s)
{
        char *f = vl_text_fold(s, VL_FOLD_ALNUM);
        int found = -1;

        for (int i = 0; i < sv->n && found < 0; i++) {
                char *g = vl_text_fold(sv->v[i], VL_FOLD_ALNUM);

                if (strcmp(f, g) == 0)
                        found = i;
                free(g);
        }
        free(f);
        return found;
}

bool parser_strv_add_unique(struct parser_strv *sv, const char *s)
{
        if (!s || !*s || parser_strv_find(sv, s) >= 0)
                return false;
        parser_strv_add(sv, s);
        return true;
}

void parser_strv_clear(struct parser_strv *sv)
{
        for (int i = 0; i < sv->n; i++)
                free(sv->v[i]);
        sv->n = 0;
}

void parser_strv_release(struct parser_strv *sv)
{
        parser_strv_clear(sv);
        free(sv->v);
        sv->v = NULL;
        sv->cap = 0;
}

/* ------------------------------------------------------------ characters */

size_t parser_text_chars(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        n++;
        return n;
}

bool parser_text_starts_word(const char *folded, const char *prefix)
{
        size_t l = strlen(prefix);
        unsigned char c;

        if (strncmp(folded, prefix, l) != 0)
                return false;
        c = (unsigned char)folded[l];
        return !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c < 0x80;
}

/* ------------------------------------------------------------------ words */

static bool is_alnum_cp(int32_t cp)
{
        utf8proc_category_t c = utf8proc_category(cp);

        return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
               (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

int parser_text_word_count(const char *s)
{
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        size_t n = strlen(s);
        int words = 0;
        bool in_word = false, has_alnum = false;
        utf8proc_int32_t cp;

        while (n) {
                utf8proc_ssize_t l = utf8proc_iterate(p, (utf8proc_ssize_t)n,
                                                      &cp);
                bool sp;

                if (l <= 0) {
                        l = 1;
                        cp = 0xfffd;
                }
                p += l;
                n -= (size_t)l;
                sp = cp == ' ' || (cp >= '\t' && cp <= '\r') ||
                     utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
                if (sp) {
                        if (in_word && has_alnum)
                                words++;
                        in_word = has_alnum = false;
                        continue;
                }
                in_word = true;
                if (is_alnum_cp(cp))
                        has_alnum = true;
        }
        if (in_word && has_alnum)
                words++;
        return words;
}

/* ------------------------------------------------- character references */

char *parser_text_unescape(const char *s)
{
        size_t n = strlen(s);
        char *out = vl_xmalloc(n + 1); /* a reference is never shorter */
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                char u[VL_TEXT_CHARREF_MAX];
                size_t k = s[i] == '&' ? vl_text_charref(s + i, u) : 0;

                if (!k) {
                        out[o++] = s[i++];
                        continue;
                }
                memcpy(out + o, u, strlen(u));
                o += strlen(u);
                i += k;
        }
        out[o] = '\0';
        return out;
}
