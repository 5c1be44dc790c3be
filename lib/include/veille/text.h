#ifndef VEILLE_TEXT_H
#define VEILLE_TEXT_H
/* Text shared by the daemons: UTF-8 validity and repair, white-space
 * collapsing, folding for comparisons (utf8proc), HTML character references
 * (libxml2's entity table), JSON strings. See docs/internals/TEXT.md.
 * Every function is pure or works on caller-owned state: any thread. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "veille/buf.h"

/* ------------------------------------------------------------------ UTF-8 */

/** @returns the length (1 to 4) of the valid UTF-8 sequence at @p s, which
 * has @p n bytes left (n >= 1), or 0 if it is invalid: a stray continuation
 * byte, an overlong form, a surrogate, a code point past U+10FFFF or a
 * sequence cut short. */
size_t vl_utf8_seq(const char *s, size_t n);
/** @returns true if the @p n bytes at @p s are valid UTF-8 (NUL bytes are
 * valid). */
bool vl_utf8_valid(const char *s, size_t n);
/**
 * @brief Count what @p n bytes hold, read as UTF-8 (charset detection).
 * @param multi valid multi-byte sequences. @param bad invalid bytes.
 * Either may be NULL.
 */
void vl_utf8_scan(const char *s, size_t n, size_t *multi, size_t *bad);
/**
 * @brief Make @p n bytes safe text: every invalid byte becomes U+FFFD, NUL
 * bytes are dropped and the other C0 controls but tab, LF, CR and FF become
 * spaces; all else is copied as is.
 * @param outlen the length of the result; may be NULL.
 * @returns new NUL-terminated valid UTF-8 (never NULL).
 */
char *vl_utf8_repair(const char *s, size_t n, size_t *outlen);
/** @returns the code point of windows-1252 byte @p c (WHATWG's index: the
 * five bytes 1252 leaves undefined map to their C1 code point). */
uint32_t vl_cp1252(unsigned char c);

/* ------------------------------------------------- white-space collapsing */

/**
 * A white-space collapsing text builder. Runs of Unicode white space
 * (ASCII, no-break and narrow no-break spaces, the U+2000 block, line and
 * paragraph separators, ideographic space) become one ASCII space; a space
 * is never written first or last. Zero-width characters, soft hyphens, BOMs
 * and C0 controls are dropped; C1 controls are read as windows-1252 (text
 * from a mislabelled page, "&#150;"), the five undefined ones dropped;
 * invalid bytes become U+FFFD.
 */
struct vl_text {
        struct vl_buf b;
        bool space; /* a space is pending before the next character */
};

void vl_text_init(struct vl_text *t);
/** @brief Append the @p n bytes at @p s, collapsing white space. */
void vl_text_add(struct vl_text *t, const char *s, size_t n);
/** @brief Ask for a space before the next character (an element boundary). */
void vl_text_space(struct vl_text *t);
/** @brief Append @p s verbatim (e.g. "\n"), dropping a pending space. */
void vl_text_raw(struct vl_text *t, const char *s);
/** @brief Empty the builder, keeping its allocation. */
void vl_text_reset(struct vl_text *t);
/** @returns the text, stolen (never NULL); the builder is left empty. */
char *vl_text_take(struct vl_text *t);
void vl_text_release(struct vl_text *t);
/** @returns new copy of @p s (NULL reads as "") collapsed as above. */
char *vl_text_collapse(const char *s);

/* ---------------------------------------------------------------- folding */

/** Most code points one code point folds into (U+FDFA gives 18). */
#define VL_TEXT_FOLD_CP_MAX 18

enum vl_fold_flags {
        /** keep letters and digits only: "Sahel-Actu.com" -> "sahelactucom" */
        VL_FOLD_ALNUM = 1 << 0,
};

/**
 * @brief Fold one code point: compatibility decomposition (NFKD), case
 * folding, combining marks stripped (é -> e), default-ignorable characters
 * dropped, look-alike punctuation lumped (U+2019 -> ', U+2010 and dashes ->
 * -, any Unicode space -> ' '), and the Latin letters Unicode does not
 * decompose spelled out: œ -> oe, æ -> ae, ø -> o, ł -> l, đ -> d.
 * Unassigned code points are kept as they are.
 * NEEDSWORK: stripping every combining mark also strips the vowel signs of
 * Indic scripts and the kana voicing marks; strip marks only after Latin,
 * Greek and Cyrillic bases.
 * @returns the number of code points written to @p out (0 to
 * VL_TEXT_FOLD_CP_MAX).
 */
size_t vl_text_fold_cp(int32_t cp, int32_t out[VL_TEXT_FOLD_CP_MAX]);
/**
 * @brief The form two strings are compared in ("Côte d’Ivoire" and "COTE
 * D'IVOIRE" both give "cote d'ivoire"): every code point folded with
 * vl_text_fold_cp() and the result composed again (NFKC); white space
 * (Unicode spaces, line breaks, tabs) collapsed to one space and trimmed;
 * other controls and format characters dropped; invalid bytes dropped
 * (check vl_utf8_valid() first where that matters).
 * @param s NUL-terminated; NULL reads as "".
 * @returns new string (never NULL).
 */
char *vl_text_fold(const char *s, enum vl_fold_flags flags);

/* ---------------------------------------------------- character references */

/** Room for one decoded reference: 4 UTF-8 bytes and a NUL. */
#define VL_TEXT_CHARREF_MAX 5

/**
 * @brief Decode the HTML character reference at @p s (which starts with
 * '&'): "&#233;" or "&#xE9;" (the ';' may be missing), or a named one with
 * its ';' ("&eacute;", libxml2's HTML entity table). As HTML5 does, numeric
 * references to C1 code points are read as windows-1252 (&#150; is an en
 * dash) and NUL, surrogates and values past U+10FFFF give U+FFFD.
 * @param out the UTF-8, NUL-terminated.
 * @returns the bytes read, or 0 (out untouched) if @p s is not a reference.
 */
size_t vl_text_charref(const char *s, char out[VL_TEXT_CHARREF_MAX]);

/* ------------------------------------------------------------------- JSON */

/** @returns a new JSON string of @p s, repaired with vl_utf8_repair() if
 * it is not valid UTF-8, or JSON null when @p s is NULL. */
json_t *vl_json_str(const char *s);

#endif
