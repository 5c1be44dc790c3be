/* Language tags and a cheap language guess: counts of the most frequent
 * function words of each language, and the Arabic script. Enough to tell the
 * languages of the sources apart and to catch a wrong <html lang>; the
 * parser and the enricher (for articles that come without a language) share
 * it. */
#include <pthread.h>
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

/* A byte of a word: an ASCII letter, or a byte of a non-ASCII character
 * but the no-break space. */
static bool word_byte(const char *p, const char *start, const char *end)
{
        unsigned char c = (unsigned char)*p;

        if (c < 0x80)
                return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (c == 0xc2 && p + 1 < end && (unsigned char)p[1] == 0xa0)
                return false;
        if (c == 0xa0 && p > start && (unsigned char)p[-1] == 0xc2)
                return false;
        return true;
}

/* All the words of all the languages in one sorted table, each with the
 * languages it belongs to (a bit each): one search a word. */
#define MAX_WORDS 256
struct word_langs {
        const char *w;
        unsigned langs;
};
static struct word_langs all_words[MAX_WORDS];
static size_t n_all_words;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static int cmp_wl(const void *a, const void *b)
{
        return strcmp(((const struct word_langs *)a)->w,
                      ((const struct word_langs *)b)->w);
}

static void all_init(void)
{
        size_t n = 0, o = 0;

        for (size_t i = 0; i < NLANGS; i++)
                for (size_t k = 0; k < langs[i].n && n < MAX_WORDS; k++) {
                        all_words[n].w = langs[i].words[k];
                        all_words[n].langs = 1u << i;
                        n++;
                }
        qsort(all_words, n, sizeof(all_words[0]), cmp_wl);
        for (size_t i = 0; i < n; i++) { /* merge the duplicates */
                if (o && strcmp(all_words[o - 1].w, all_words[i].w) == 0)
                        all_words[o - 1].langs |= all_words[i].langs;
                else
                        all_words[o++] = all_words[i];
        }
        n_all_words = o;
}

static void count_word(const char *key, int *hits)
{
        struct word_langs k = { key, 0 };
        const struct word_langs *f = bsearch(&k, all_words, n_all_words,
                                             sizeof(k), cmp_wl);

        for (size_t i = 0; f && i < NLANGS; i++)
                if (f->langs & (1u << i))
                        hits[i]++;
}

const char *vl_lang_detect(const char *text, int *strength)
{
        size_t n = strlen(text);
        char *f;
        const char *p;
        int hits[NLANGS] = { 0 }, arabic = 0, letters = 0, best = -1;
        int top = 0, second = 0;
        const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)text;
        utf8proc_int32_t cp;
        size_t left;

        pthread_once(&all_once, all_init);
        if (strength)
                *strength = 0;
        if (n > DETECT_BYTES)
                n = DETECT_BYTES;
        /* script first: Arabic letters are not in the word lists */
        for (left = n; left;) {
                utf8proc_ssize_t l;

                if (*u < 0x80) { /* ASCII without utf8proc */
                        letters += (*u | 0x20) >= 'a' && (*u | 0x20) <= 'z';
                        u++;
                        left--;
                        continue;
                }
                l = utf8proc_iterate(u, (utf8proc_ssize_t)left, &cp);
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

        /* the words: runs of ASCII letters and non-ASCII bytes, lowercased
         * (folded by vl_text_fold only when they are not ASCII) */
        for (p = text; p < text + n;) {
                const char *w;
                size_t wl;
                bool ascii = true;
                char low[12];
                const char *key;

                while (p < text + n && !word_byte(p, text, text + n))
                        p++;
                w = p;
                while (p < text + n && word_byte(p, text, text + n)) {
                        if ((unsigned char)*p >= 0x80)
                                ascii = false;
                        p++;
                }
                wl = (size_t)(p - w);
                if (!wl)
                        break;
                if (ascii) {
                        if (wl > 8)
                                continue;
                        for (size_t i = 0; i < wl; i++)
                                low[i] = (char)(w[i] | 0x20);
                        low[wl] = '\0';
                        key = low;
                        count_word(key, hits);
                } else if (wl <= 24) {
                        char *cut = vl_xstrndup(w, wl);

                        f = vl_text_fold(cut, 0);
                        free(cut);
                        if (strlen(f) <= 8)
                                count_word(f, hits);
                        free(f);
                }
        }
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
