/* Helpers the unit tests share (included after criterion and veille/buf.h). */
#ifndef VL_TEST_H
#define VL_TEST_H
#include <stdlib.h>
#include <criterion/criterion.h>
#include "veille/buf.h"

/* The whole file at @p path, NUL-terminated and never NULL (an empty file
 * gives ""); its length in @p len when not NULL. Fails the test when the
 * file cannot be read. */
static inline char *vl_test_read(const char *path, size_t *len)
{
        struct vl_buf b;
        struct vl_err err = { 0 };
        size_t n = 0;
        char *s;

        vl_buf_init(&b, 0);
        cr_assert_eq(vl_buf_read_file(&b, path, &err), VL_OK, "%s: %s", path,
                     err.msg);
        s = vl_buf_take(&b, &n);
        if (!s) {
                s = calloc(1, 1);
                n = 0;
        }
        if (len)
                *len = n;
        return s;
}
#endif
