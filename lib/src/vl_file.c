/* Atomic replacement of small files: write a sibling, fsync, rename(2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "veille/buf.h"
#include "veille/file.h"
#include "veille/mem.h"

enum vl_rc vl_file_write_atomic(const char *path, const void *data,
                                size_t len, struct vl_err *err)
{
        char *tmp = vl_xasprintf("%s.tmp", path);
        enum vl_rc rc = VL_OK;
        FILE *fp;

        fp = fopen(tmp, "w");
        if (!fp) {
                rc = vl_err_set(err, VL_FATAL, "cannot create '%s': %s", tmp,
                                strerror(errno));
                goto out;
        }
        if (fwrite(data, 1, len, fp) != len || fflush(fp) != 0 ||
            fsync(fileno(fp)) != 0) {
                rc = vl_err_set(err, VL_FATAL, "cannot write '%s': %s", tmp,
                                strerror(errno));
                fclose(fp);
                unlink(tmp);
                goto out;
        }
        if (fclose(fp) != 0) {
                rc = vl_err_set(err, VL_FATAL, "cannot write '%s': %s", tmp,
                                strerror(errno));
                unlink(tmp);
                goto out;
        }
        if (rename(tmp, path) != 0) {
                rc = vl_err_set(err, VL_FATAL, "cannot rename '%s' to '%s': %s",
                                tmp, path, strerror(errno));
                unlink(tmp);
        }
out:
        free(tmp);
        return rc;
}

char *vl_file_read(const char *path, size_t *len, struct vl_err *err)
{
        struct vl_buf b;

        vl_buf_init(&b, 0);
        if (vl_buf_read_file(&b, path, err) != VL_OK) {
                vl_buf_release(&b);
                return NULL;
        }
        return vl_buf_take(&b, len);
}
