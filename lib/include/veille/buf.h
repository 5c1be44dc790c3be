#ifndef VEILLE_BUF_H
#define VEILLE_BUF_H
/* A growable byte buffer with a hard cap, for input-driven sizes. */
#include <stddef.h>
#include "veille/err.h"

struct vl_buf {
        char *data; /* always NUL-terminated when non-NULL */
        size_t len;
        size_t cap;
        size_t max; /* appending past this fails with VL_REJECT; 0 = no cap */
};

void vl_buf_init(struct vl_buf *b, size_t max);
/** @brief Append @p n bytes; VL_REJECT (err filled) when the cap is hit,
 * in which case nothing is appended. */
enum vl_rc vl_buf_append(struct vl_buf *b, const void *p, size_t n,
                         struct vl_err *err);
/** @brief Append a formatted string (no cap check: internal text only). */
void vl_buf_printf(struct vl_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void vl_buf_reset(struct vl_buf *b);
void vl_buf_release(struct vl_buf *b);
/** @returns the data, stolen (the buffer is left empty). */
char *vl_buf_take(struct vl_buf *b, size_t *len);
/** @brief Read a whole file ("-" is standard input) into @p b. */
enum vl_rc vl_buf_read_file(struct vl_buf *b, const char *path,
                            struct vl_err *err);

#endif
