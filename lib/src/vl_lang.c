/* Language tags and a cheap language guess: counts of the most frequent
 * function words of each language, and the Arabic script. Enough to tell the
 * languages of the sources apart and to catch a wrong <html lang>; the
 * parser and the enricher (for articles that come without a language) share
 * it. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "veille/lang.h"
#include "veille/text.h"

#define DETECT_BYTES 32768
#define MIN_HITS 5

struct lang_words {
        const char *lang;
        const char *const *words; /* folded, sorted for bsearch */
        size_t n;
};

/* Words that are frequent in one language and rare in the others; the ones
 * shared by two of them ("de", "la", "que", "en", "il") are left out. */
static const char *const w_fr[] = {
        "apres", "au", "aux", "avec", "ce", "ces", "cette", "dans", "des",
        "du", "elle", "est", "et", "etait", "ete", "le", "les", "leur", "mais",
        "nous", "ont", "pas", "plus", "pour", "qui", "selon", "ses", "sont",
        "sur", "tres", "une", "vous",
};
static const char *const w_en[] = {
        "and", "are", "been", "but", "by", "for", "from", "had", "has", "have",
        "he", "his", "is", "it", "its", "not", "of", "said", "that", "the",
        "their", "they", "this", "to", "was", "were", "which", "who", "will",
        "with", "would",
};
static const char *const w_es[] = {
        "al", "como", "del", "el", "entre", "esta", "este", "fue", "ha", "las",
        "los", "mas", "para", "pero", "sobre", "sus", "tambien", "y",
};
static const char *const w_pt[] = {
        "ao", "com", "da", "das", "do", "dos", "ele", "em", "foi", "isso",
        "mais", "na", "nao", "nas", "nos", "pela", "pelo", "sao", "uma",
};
static const char *const w_de[] = {
        "auch", "auf", "aus", "bei", "dem", "den", "der", "die", "ein", "eine",
        "fur", "hat", "ist", "mit", "nach", "nicht", "oder", "sich", "sind",
        "und", "von", "werden", "wird", "zu",
};
static const char *const w_it[] = {
        "alla", "anche", "che", "con", "degli", "del", "della", "delle", "di",
        "gli", "nel", "non", "per", "piu", "sono", "stato",
};

#define LW(l, w) { l, w, sizeof(w) / sizeof(w[0]) }
static const struct lang_words langs[] = {
        LW("fr", w_fr), LW("en", w_en), LW("es", w_es),
        LW("pt", w_pt), LW("de", w_de), LW("it", w_it),
};
#define NLANGS (sizeof(langs) / sizeof(langs[0]))

static int cmp_word(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct alias {
        const char *from;
        const char *to;
};

static const struct alias tag_aliases[] = {
        { "fra", "fr" }, { "fre", "fr" }, { "french", "fr" },
        { "francais", "fr" }, { "eng", "en" }, { "english", "en" },
        { "ara", "ar" }, { "arabic", "ar" }, { "spa", "es" },
        { "por", "pt" }, { "deu", "de" }, { "ger", "de" }, { "ita", "it" },
        { NULL, NULL },
};

bool vl_lang_normalize(const char *tag, char out[8])
{
        char w[12];
        size_t k = 0;

        if (!tag)
                return false;
        while (*tag == ' ' || *tag == '\t' || *tag == '"')
                tag++;
        while (k < sizeof(w) - 1 && ((tag[k] >= 'a' && tag[k] <= 'z') ||
                                     (tag[k] >= 'A' && tag[k] <= 'Z'))) {
                w[k] = (char)(tag[k] | 0x20);
                k++;
        }
        w[k] = '\0';
        if (tag[k] && tag[k] != '-' && tag[k] != '_' && tag[k] != ' ' &&
            tag[k] != ',' && tag[k] != ';' && tag[k] != '"')
                return false;
        for (const struct alias *a = tag_aliases; a->from; a++) {
                if (strcmp(a->from, w) == 0) {
                        memcpy(out, a->to, strlen(a->to) + 1);
                        return true;
                }
        }
        if (k < 2 || k > 3 || strcmp(w, "und") == 0 ||
            strcmp(w, "mul") == 0 || strcmp(w, "zxx") == 0)
                return false;
        memcpy(out, w, k + 1);
        return true;
}

const char *vl_lang_detect(const char *text, int *strength)
{
        size_t n = strlen(text);
        char *f, *p;
        int hits[NLANGS] = { 0 }, arabic = 0, letters = 0, best = -1;
        int top = 0, second = 0;
        const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)text;
        utf8proc_int32_t cp;
        size_t left;

        if (strength)
                *strength = 0;
        if (n > DETECT_BYTES)
                n = DETECT_BYTES;
        /* script first: Arabic letters are not in the word lists */
        for (left = n; left;) {
                utf8proc_ssize_t l = utf8proc_iterate(
                        u, (utf8proc_ssize_t)left, &cp);

                if (l <= 0)
                        break;
                u += l;
                left -= (size_t)l;
                if (utf8proc_category(cp) >= UTF8PROC_CATEGORY_LU &&
                    utf8proc_category(cp) <= UTF8PROC_CATEGORY_LO) {
                        letters++;
                        if ((cp >= 0x0600 && cp <= 0x06ff) ||
                            (cp >= 0x0750 && cp <= 0x077f) ||
                            (cp >= 0xfb50 && cp <= 0xfeff))
                                arabic++;
                }
        }
        if (letters >= 20 && arabic * 2 > letters) {
                if (strength)
                        *strength = arabic * 100 / letters;
                return "ar";
        }

        {
                char *cut = vl_xstrndup(text, n);

                f = vl_text_fold(cut, 0);
                free(cut);
        }
        for (p = f; *p;) {
                char *w;
                const char *key;

                while (*p && !(*p >= 'a' && *p <= 'z') &&
                       !((unsigned char)*p >= 0x80))
                        p++;
                w = p;
                while ((*p >= 'a' && *p <= 'z') || (unsigned char)*p >= 0x80)
                        p++;
                if (p == w)
                        break;
                if (p - w > 8)
                        continue;
                {
                        char save = *p;

                        *p = '\0';
                        key = w;
                        for (size_t i = 0; i < NLANGS; i++)
                                if (bsearch(&key, langs[i].words, langs[i].n,
                                            sizeof(char *), cmp_word))
                                        hits[i]++;
                        *p = save;
                }
        }
        free(f);
        for (size_t i = 0; i < NLANGS; i++) {
                if (hits[i] > top) {
                        second = top;
                        top = hits[i];
                        best = (int)i;
                } else if (hits[i] > second) {
                        second = hits[i];
                }
        }
        if (best < 0 || top < MIN_HITS || top < second * 3 / 2)
                return NULL;
        if (strength) {
                int s = (top - second) * 100 / top;

                if (top < 20)
                        s = s * top / 20;
                *strength = s;
        }
        return langs[best].lang;
}
