/* The JSONL file: one enriched event per line, appended and synced.
 *
 * Each line goes out in a single write(2) on an O_APPEND descriptor, so
 * lines from several writers never interleave and a crash tears at most
 * the last line. A torn line is never repaired in place (another writer
 * may have appended since): the next line simply starts on a fresh line,
 * and readers skip a line that does not parse. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "sink.h"

struct sink_jsonl {
        char *path;
        int fd;
        bool regular; /* fdatasync applies (not a pipe or terminal) */
        bool torn;    /* the last write was short: start with "\n" */
        struct vl_buf line;
        long long size;      /* bytes in the file */
        long long opened_at; /* when the file was first written, or 0 */
};

/* Write all of [p, p + n) in one write(2); a signal before anything was
 * written is retried. @returns bytes written, or -1 with errno. */
static ssize_t write_once(int fd, const char *p, size_t n)
{
        ssize_t w;

        do
                w = write(fd, p, n);
        while (w < 0 && errno == EINTR);
        return w;
}

/* Make the directory entry of a file we may just have created durable. */
static enum vl_rc sync_dir(const char *path, struct vl_err *err)
{
        const char *slash = strrchr(path, '/');
        char *dir;
        int fd;
        enum vl_rc rc = VL_OK;

        if (!slash)
                dir = vl_xstrdup(".");
        else if (slash == path)
                dir = vl_xstrdup("/");
        else
                dir = vl_xstrndup(path, (size_t)(slash - path));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                rc = vl_err_set(err, VL_FATAL, "cannot open directory '%s': %s",
                                dir, strerror(errno));
                goto out;
        }
        /* some file systems cannot sync a directory; nothing more to do */
        if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
                rc = vl_err_set(err, VL_FATAL, "cannot sync directory '%s': %s",
                                dir, strerror(errno));
        close(fd);
out:
        free(dir);
        return rc;
}

/* A non-empty file whose last byte is not "\n" ends in a torn line. */
static enum vl_rc repair_tail(struct sink_jsonl *j, off_t size,
                              struct vl_err *err)
{
        char c;
        ssize_t r;

        if (size <= 0)
                return VL_OK;
        r = pread(j->fd, &c, 1, size - 1);
        if (r < 0)
                return vl_err_set(err, VL_FATAL, "cannot read '%s': %s",
                                  j->path, strerror(errno));
        if (r == 1 && c == '\n')
                return VL_OK;
        if (write_once(j->fd, "\n", 1) != 1)
                return vl_err_set(err, VL_FATAL, "cannot repair '%s': %s",
                                  j->path, strerror(errno));
        if (fdatasync(j->fd) < 0)
                return vl_err_set(err, VL_FATAL, "cannot sync '%s': %s",
                                  j->path, strerror(errno));
        return VL_OK;
}

struct sink_jsonl *sink_jsonl_open(const char *path, struct vl_err *err)
{
        struct sink_jsonl *j = vl_xcalloc(1, sizeof(*j));
        struct stat st;

        j->path = vl_xstrdup(path);
        vl_buf_init(&j->line, 0);
        /* O_RDWR only so that repair_tail can read the last byte */
        j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (j->fd < 0) {
                /* a path that cannot be opened is a configuration error */
                vl_err_set(err, VL_REJECT, "cannot open '%s': %s", path,
                           strerror(errno));
                goto fail;
        }
        if (fstat(j->fd, &st) < 0) {
                vl_err_set(err, VL_FATAL, "cannot stat '%s': %s", path,
                           strerror(errno));
                goto fail;
        }
        j->regular = S_ISREG(st.st_mode);
        if (!j->regular)
                return j;
        j->size = (long long)st.st_size;
        /* an old file's age counts from its last change */
        j->opened_at = st.st_size > 0 ? (long long)st.st_mtime : 0;
        if (repair_tail(j, st.st_size, err))
                goto fail;
        if (sync_dir(path, err))
                goto fail;
        return j;
fail:
        sink_jsonl_close(j);
        return NULL;
}

static int dump_cb(const char *buf, size_t size, void *data)
{
        vl_buf_append(data, buf, size, NULL); /* no cap: cannot fail */
        return 0;
}

enum vl_rc sink_jsonl_append(struct sink_jsonl *j, const json_t *ev,
                             struct vl_err *err)
{
        struct vl_buf *b = &j->line;
        ssize_t w;

        vl_buf_reset(b);
        if (j->torn)
                vl_buf_append(b, "\n", 1, NULL);
        /* compact: strings escape their newlines, so the line is one line.
         * 15 digits print a score of 0.8 as 0.8, not 0.80000000000000004
         * (jansson's default of 17 digits), and keep any decimal of up to
         * 15 digits exact. */
        if (json_dump_callback(ev, dump_cb, b,
                               JSON_COMPACT | JSON_PRESERVE_ORDER |
                                       JSON_REAL_PRECISION(15)) < 0)
                return vl_err_set(err, VL_REJECT,
                                  "cannot serialise event for '%s'", j->path);
        vl_buf_append(b, "\n", 1, NULL);
        w = write_once(j->fd, b->data, b->len);
        if (w < 0)
                return vl_err_set(err, VL_RETRY, "cannot write '%s': %s",
                                  j->path, strerror(errno));
        if ((size_t)w < b->len) {
                if (w > 0)
                        j->torn = true;
                return vl_err_set(err, VL_RETRY,
                                  "short write on '%s' (%zd of %zu bytes)",
                                  j->path, w, b->len);
        }
        j->torn = false;
        j->size += (long long)b->len;
        if (!j->opened_at)
                j->opened_at = (long long)time(NULL);
        return VL_OK;
}

enum vl_rc sink_jsonl_sync(struct sink_jsonl *j, struct vl_err *err)
{
        if (j->regular && fdatasync(j->fd) < 0)
                return vl_err_set(err, VL_RETRY, "cannot sync '%s': %s",
                                  j->path, strerror(errno));
        return VL_OK;
}

const char *sink_jsonl_path(const struct sink_jsonl *j)
{
        return j->path;
}

void sink_jsonl_close(struct sink_jsonl *j)
{
        if (!j)
                return;
        if (j->fd >= 0)
                close(j->fd);
        vl_buf_release(&j->line);
        free(j->path);
        free(j);
}

enum vl_rc sink_jsonl_rotate_due(struct sink_jsonl *j, long long max_bytes,
                                 long long max_age, long long now,
                                 struct vl_err *err)
{
        struct sink_jsonl *nj;
        char stamp[32], *to = NULL;
        struct tm tm;
        time_t t = (time_t)now;
        enum vl_rc rc = VL_OK;
        int k;

        if (!j->regular || j->size == 0 ||
            !((max_bytes > 0 && j->size >= max_bytes) ||
              (max_age > 0 && j->opened_at && now - j->opened_at >= max_age)))
                return VL_OK;
        /* every line in it was synced when it was appended: nothing to
         * flush, and the rename is atomic, so a crash leaves either name */
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        for (k = 0; k < 1000; k++) {
                struct stat st;

                free(to);
                to = k ? vl_xasprintf("%s.%s.%d", j->path, stamp, k)
                       : vl_xasprintf("%s.%s", j->path, stamp);
                if (stat(to, &st) < 0 && errno == ENOENT)
                        break;
        }
        if (rename(j->path, to) < 0) {
                rc = vl_err_set(err, VL_RETRY, "cannot rotate '%s' to '%s': %s",
                                j->path, to, strerror(errno));
                goto out;
        }
        nj = sink_jsonl_open(j->path, err);
        if (!nj) {
                /* keep writing to the renamed file: nothing is lost */
                rc = err ? (err->rc == VL_REJECT ? VL_RETRY : err->rc)
                         : VL_RETRY;
                if (err)
                        err->rc = rc;
                goto out;
        }
        /* swap the contents, so the caller's handle is the new file */
        close(j->fd);
        vl_buf_release(&j->line);
        free(j->path);
        *j = *nj;
        free(nj);
out:
        free(to);
        return rc;
}
