#ifndef VEILLE_FILE_H
#define VEILLE_FILE_H
/* Whole files: small ones that other processes read while we write them (a
 * port, a bootstrap address), whole or not at all; and reading a file at
 * once. See docs/internals/FILE.md. */
#include <stddef.h>
#include "veille/err.h"

/**
 * @brief Replace @p path with the @p len bytes at @p data atomically: they
 * go to "<path>.tmp", are flushed to disk (fsync), and the temporary file is
 * renamed over @p path, so that a reader sees the old content or the new,
 * never a part. The directory must be writable; "<path>.tmp" is clobbered.
 * Any thread, but not two writers of one path at once.
 * @returns VL_OK, or VL_FATAL with @p err set (the temporary file removed):
 * the callers write these files at start-up, where failing is final.
 */
enum vl_rc vl_file_write_atomic(const char *path, const void *data,
                                size_t len, struct vl_err *err);

/**
 * @brief Read the whole of @p path ("-" is standard input).
 * @returns new NUL-terminated contents (@p len set, if not NULL), or NULL
 * with @p err (may be NULL) set when the file cannot be read.
 */
char *vl_file_read(const char *path, size_t *len, struct vl_err *err);

#endif
