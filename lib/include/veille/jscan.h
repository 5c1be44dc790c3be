#ifndef VEILLE_JSCAN_H
#define VEILLE_JSCAN_H
/* A JSON object checked and split into its top-level members without
 * building a tree, so that a stage can copy most of an input event through
 * as bytes and decode only the members it reads. The checks are those of
 * jansson's decoder (RFC 8259 grammar, UTF-8, escapes, no "\u0000", at most
 * 2048 levels), except that duplicate keys are refused at the top level
 * only and numbers are not range-checked (they are copied as written). */
#include <stdbool.h>
#include <stddef.h>
#include "veille/buf.h"
#include "veille/err.h"

/** One member of an object, as bytes of the input. */
struct vl_jmember {
        const char *key;  /* between the quotes, escapes not decoded */
        size_t klen;
        const char *val;  /* the value as written (a string with quotes) */
        size_t vlen;
        const char *raw;  /* "key":value as written, for copying */
        size_t rawlen;
        bool escaped;     /* a string value with at least one escape */
};

struct vl_jobj {
        struct vl_jmember *m;
        size_t n, cap;
};

/**
 * @brief Check that @p s (@p n bytes) is one JSON object (surrounding
 * whitespace allowed) and list its members in @p o (reused; the members
 * point into @p s).
 * @returns VL_OK, or VL_REJECT with "reason at byte N" in @p err.
 */
enum vl_rc vl_jscan_object(const char *s, size_t n, struct vl_jobj *o,
                           struct vl_err *err);
void vl_jobj_release(struct vl_jobj *o);
/** @returns the member whose key is @p key (no escapes in it), or NULL. */
const struct vl_jmember *vl_jobj_get(const struct vl_jobj *o,
                                     const char *key);
/** @returns whether @p m is a JSON string. */
static inline bool vl_jmember_is_string(const struct vl_jmember *m)
{
        return m && m->vlen >= 2 && m->val[0] == '"';
}
/**
 * @brief The decoded bytes of string member @p m: a pointer into the input
 * when it has no escapes (its length in @p len, not NUL-terminated), else
 * decoded into @p scratch (reset first; NUL-terminated). The member must
 * come from vl_jscan_object() (so the string is known to be valid).
 */
const char *vl_jmember_string(const struct vl_jmember *m,
                              struct vl_buf *scratch, size_t *len);
/**
 * @brief vl_jscan_object(), which also tells in @p plain (when VL_OK)
 * whether jansson (JSON_REJECT_DUPLICATES) surely reads the object the same
 * way: no key with an escape, no duplicate key in a nested object, every
 * integer of at most 18 digits and every real below 1e280. When @p plain is
 * false, jansson may refuse the input (or read a key differently): ask it.
 */
enum vl_rc vl_jscan_object_deep(const char *s, size_t n, struct vl_jobj *o,
                                bool *plain, struct vl_err *err);
/**
 * @brief The members of object @p val (or the elements of array @p val,
 * key NULL), a value of an input that vl_jscan_object() accepted, in @p o
 * (reused; pointing into @p val). @returns their number (0 for a scalar).
 */
size_t vl_jscan_items(const char *val, size_t vlen, struct vl_jobj *o);
/**
 * @brief Decode string value @p val (@p vlen bytes, quotes included, from a
 * checked input) in place: the decoded bytes are never longer. @returns
 * val + 1, NUL-terminated where the decoded string ends (length in @p len).
 */
char *vl_jstring_inplace(char *val, size_t vlen, size_t *len);
/** @brief Append @p s (@p n bytes of UTF-8) to @p b as a JSON string,
 * quotes included; control characters, '"' and '\\' escaped, byte for byte
 * as jansson writes them (JSON_COMPACT). */
void vl_json_put_string(struct vl_buf *b, const char *s, size_t n);
/** @brief The bytes vl_json_put_quoted() writes for @p s (quotes included). */
size_t vl_json_quoted_len(const char *s, size_t n);
/** @brief vl_json_put_string() into @p d, which has room for
 * vl_json_quoted_len() bytes (no allocation). @returns the end written. */
char *vl_json_put_quoted(char *d, const char *s, size_t n);

#endif
