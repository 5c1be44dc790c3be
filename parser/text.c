/* Text helpers of the parser's own: string lists, word counts, JSON-LD
 * unescaping. UTF-8, white space and folding are lib's (vl_text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "parser.h"

bool parser_text_valid_utf8(const char *s, size_t n)
{
        const uint64_t high = 0x8080808080808080ULL;
        size_t i = 0;

        while (i < n) {
                if (i + 8 <= n) {
                        uint64_t w;

                        memcpy(&w, s + i, 8);
                        if (!(w & high)) {
                                i += 8;
                                continue;
                        }
                }
                if (!((unsigned char)s[i] & 0x80)) {
                        i++;
                        continue;
                }
                {
                        size_t l = vl_utf8_seq(s + i, n - i);

                        if (!l)
                                return false;
                        i += l;
                }
        }
        return true;
}

/* ------------------------------------------------------------ string list */

void parser_strv_add(struct parser_strv *sv, const char *s)
{
        if (!s)
                return;
        if (sv->n == sv->cap) {
                sv->cap = sv->cap ? sv->cap * 2 : 4;
                sv->v = vl_xrealloc(sv->v, (size_t)sv->cap * sizeof(*sv->v));
                sv->folded = vl_xrealloc(sv->folded, (size_t)sv->cap *
                                                     sizeof(*sv->folded));
        }
        sv->folded[sv->n] = NULL;
        sv->v[sv->n++] = vl_xstrdup(s);
}

int parser_strv_find(const struct parser_strv *sv, const char *s)
{
        char *f = NULL;
        int found = -1;

        /* the same bytes first: no folding */
        for (int i = 0; i < sv->n && found < 0; i++)
                if (strcmp(sv->v[i], s) == 0)
                        found = i;
        for (int i = 0; i < sv->n && found < 0; i++) {
                if (!f)
                        f = vl_text_fold(s, VL_FOLD_ALNUM);
                /* each entry is folded once, when first compared */
                if (!sv->folded[i])
                        sv->folded[i] = vl_text_fold(sv->v[i], VL_FOLD_ALNUM);
                if (strcmp(f, sv->folded[i]) == 0)
                        found = i;
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
        for (int i = 0; i < sv->n; i++) {
                free(sv->v[i]);
                free(sv->folded[i]);
        }
        sv->n = 0;
}

void parser_strv_release(struct parser_strv *sv)
{
        parser_strv_clear(sv);
        free(sv->v);
        free(sv->folded);
        sv->v = NULL;
        sv->folded = NULL;
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
                utf8proc_ssize_t l;
                bool sp;

                if (*p < 0x80) { /* ASCII without utf8proc */
                        unsigned char c = *p++;

                        n--;
                        if (c == ' ' || (c >= '\t' && c <= '\r')) {
                                if (in_word && has_alnum)
                                        words++;
                                in_word = has_alnum = false;
                                continue;
                        }
                        in_word = true;
                        if ((c >= '0' && c <= '9') ||
                            ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
                                has_alnum = true;
                        continue;
                }
                l = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
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
