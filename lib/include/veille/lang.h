/**
 * @file lang.h
 * @brief Language tags and a cheap language guess from common words.
 */
#ifndef VEILLE_LANG_H
#define VEILLE_LANG_H

#include <stdbool.h>

/** @brief "fr-FR", "fr_FR", "FR" -> "fr". @returns false when @p tag is not
 * a language tag. */
bool vl_lang_normalize(const char *tag, char out[8]);

/**
 * @brief Guess the language of @p text from the counts of very common words
 * (fr, en, es, pt, de, it) and from the script (ar).
 * @param strength if not NULL: how sure, 0 (no idea) to 100.
 * @returns a static "fr", "en", ... or NULL when there is too little text.
 */
const char *vl_lang_detect(const char *text, int *strength);

#endif
