#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "veille/buf.h"
#include "veille/mem.h"

void vl_buf_init(struct vl_buf *b, size_t max)
{
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max;
}

static void grow(struct vl_buf *b, size_t need)
{
        size_t cap = b->cap ? b->cap : 256;

        while (cap < need + 1)
                cap *= 2;
        if (cap != b->cap) {
                b->data = vl_xrealloc(b->data, cap);
                b->cap = cap;
        }
}

enum vl_rc vl_buf_append(struct vl_buf *b, const void *p, size_t n,
                         struct vl_err *err)
{
        if (b->max && (n > b->max || b->len > b->max - n))
                return vl_err_set(err, VL_REJECT,
                                  "too large: more than %zu bytes", b->max);
        grow(b, b->len + n);
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return VL_OK;
}

void vl_buf_printf(struct vl_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n <= 0)
                return;
        grow(b, b->len + (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void vl_buf_reset(struct vl_buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void vl_buf_release(struct vl_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

char *vl_buf_take(struct vl_buf *b, size_t *len)
{
        char *p;

        if (!b->data)
                grow(b, 0);
        p = b->data;
        b->data[b->len] = '\0';
        if (len)
                *len = b->len;
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        return p;
}

enum vl_rc vl_buf_read_file(struct vl_buf *b, const char *path,
                            struct vl_err *err)
{
        FILE *fp;
        char chunk[65536];
        size_t n;
        enum vl_rc rc = VL_OK;
        int is_stdin = strcmp(path, "-") == 0;

        fp = is_stdin ? stdin : fopen(path, "rb");
        if (!fp)
                return vl_err_set(err, VL_REJECT, "cannot open '%s': %s", path,
                                  strerror(errno));
        while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
                rc = vl_buf_append(b, chunk, n, err);
                if (rc != VL_OK)
                        goto out;
        }
        if (ferror(fp))
                rc = vl_err_set(err, VL_REJECT, "cannot read '%s': %s", path,
                                strerror(errno));
        if (!b->data)
                grow(b, 0), b->data[0] = '\0';
out:
        if (!is_stdin)
                fclose(fp);
        return rc;
}
