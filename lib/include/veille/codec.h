#ifndef VEILLE_CODEC_H
#define VEILLE_CODEC_H
/* Encodings and identities shared by the daemons (OpenSSL's libcrypto does
 * the work). */
#include <stddef.h>
#include <stdint.h>
#include "veille/err.h"

#define VL_ID_LEN 32 /* hex characters of an article id */

/** @brief The article id: the first 128 bits of SHA-256 of the canonical URL,
 * as 32 lowercase hex characters plus NUL. Stable across versions. */
void vl_article_id(const char *canonical_url, char out[VL_ID_LEN + 1]);

/** @returns new NUL-terminated base64 (standard alphabet, padded). */
char *vl_base64_encode(const void *p, size_t n, size_t *outlen);
/** @returns new decoded bytes (NUL-terminated for convenience), or NULL with
 * err set (VL_REJECT) when @p s is not valid base64. */
unsigned char *vl_base64_decode(const char *s, size_t n, size_t *outlen,
                                struct vl_err *err);

/** @brief Current UTC time as RFC 3339 with milliseconds
 * ("2024-03-12T10:05:00.123Z"). */
void vl_time_rfc3339(char out[32]);
/** @brief Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t vl_time_now_ms(void);
/** @brief Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t vl_time_mono_ms(void);

#endif
