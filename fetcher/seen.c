/* The seen store: article ids whose page (or dead-letter record) Kafka
 * confirmed, so that a restart does not publish them again; and, in
 * sources.file mode, each source's polling state (fetcher_source_state()'s
 * JSON, the form the state topic carries in topic mode), so that a restart
 * keeps its validators, adapted interval, next poll and backoff. SQLite in WAL
 * mode with synchronous=NORMAL: a power cut may forget the last marks, which
 * only means fetching those pages once more (at-least-once). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sqlite3.h>
#include "veille/log.h"
#include "veille/mem.h"
#include "fetcher.h"

struct fetcher_seen {
        sqlite3 *db;
        sqlite3_stmt *has;
        sqlite3_stmt *mark;
        sqlite3_stmt *expire;
        sqlite3_stmt *count;
        sqlite3_stmt *st_get;
        sqlite3_stmt *st_put;
        sqlite3_stmt *st_expire;
        char *path;
};

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS seen ("
        " key TEXT PRIMARY KEY,"      /* article id */
        " url TEXT,"                  /* for operators only */
        " seen_at INTEGER NOT NULL"   /* ms since the epoch */
        ") WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS seen_at ON seen(seen_at);"
        "CREATE TABLE IF NOT EXISTS source_state ("
        " url TEXT PRIMARY KEY,"      /* the source's URL */
        " state TEXT NOT NULL,"       /* fetcher_source_state() */
        " saved_at INTEGER NOT NULL"  /* ms since the epoch */
        ") WITHOUT ROWID;";

/* mkdir -p */
static enum vl_rc make_dirs(const char *dir, struct vl_err *err)
{
        char *p = vl_xstrdup(dir);
        enum vl_rc rc = VL_OK;
        char *s;

        for (s = p + 1; ; s++) {
                char c = *s;

                if (c != '/' && c != '\0')
                        continue;
                *s = '\0';
                if (mkdir(p, 0750) && errno != EEXIST) {
                        rc = vl_err_set(err, VL_FATAL,
                                        "cannot create directory '%s': %s", p,
                                        strerror(errno));
                        goto out;
                }
                *s = c;
                if (!c)
                        break;
        }
out:
        free(p);
        return rc;
}

static enum vl_rc db_err(struct fetcher_seen *s, struct vl_err *err,
                         const char *what)
{
        return vl_err_set(err, VL_FATAL, "cannot %s in '%s': %s", what,
                          s->path, sqlite3_errmsg(s->db));
}

static int journal_cb(void *ctx, int n, char **vals, char **cols)
{
        bool *wal = ctx;

        (void)cols;
        if (n > 0 && vals[0] && !strcmp(vals[0], "wal"))
                *wal = true;
        return 0;
}

struct fetcher_seen *fetcher_seen_new(const char *dir, struct vl_err *err)
{
        struct fetcher_seen *s = vl_xcalloc(1, sizeof(*s));
        bool wal = false;
        int rc;

        if (!dir || !*dir) {
                vl_err_set(err, VL_FATAL, "state.dir is empty");
                goto fail;
        }
        if (make_dirs(dir, err) != VL_OK)
                goto fail;
        s->path = vl_xasprintf("%s/seen.sqlite", dir);
        rc = sqlite3_open_v2(s->path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_NOMUTEX,
                             NULL);
        if (rc != SQLITE_OK) {
                vl_err_set(err, VL_FATAL, "cannot open seen store '%s': %s",
                           s->path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                goto fail;
        }
        sqlite3_busy_timeout(s->db, 5000);
        if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", journal_cb, &wal,
                         NULL) != SQLITE_OK) {
                db_err(s, err, "set WAL mode");
                goto fail;
        }
        if (!wal)
                VL_WARN("seen", "'%s' is not in WAL mode", s->path);
        if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
                         NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, "PRAGMA user_version=1", NULL, NULL,
                         NULL) != SQLITE_OK) {
                db_err(s, err, "create the schema");
                goto fail;
        }
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM seen WHERE key = ?1", -1,
                               &s->has, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db,
                               "INSERT INTO seen(key, url, seen_at) "
                               "VALUES(?1, ?2, ?3) ON CONFLICT(key) DO "
                               "UPDATE SET seen_at = excluded.seen_at",
                               -1, &s->mark, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db, "DELETE FROM seen WHERE seen_at < ?1",
                               -1, &s->expire, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db, "SELECT count(*) FROM seen", -1,
                               &s->count, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db, "SELECT state FROM source_state "
                               "WHERE url = ?1", -1, &s->st_get,
                               NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db,
                               "INSERT INTO source_state(url, state, "
                               "saved_at) VALUES(?1, ?2, ?3) ON "
                               "CONFLICT(url) DO UPDATE SET state = "
                               "excluded.state, saved_at = "
                               "excluded.saved_at",
                               -1, &s->st_put, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(s->db, "DELETE FROM source_state WHERE "
                               "saved_at < ?1", -1, &s->st_expire,
                               NULL) != SQLITE_OK) {
                db_err(s, err, "prepare statements");
                goto fail;
        }
        return s;
fail:
        fetcher_seen_destroy(s);
        return NULL;
}

void fetcher_seen_destroy(struct fetcher_seen *s)
{
        if (!s)
                return;
        sqlite3_finalize(s->has);
        sqlite3_finalize(s->mark);
        sqlite3_finalize(s->expire);
        sqlite3_finalize(s->count);
        sqlite3_finalize(s->st_get);
        sqlite3_finalize(s->st_put);
        sqlite3_finalize(s->st_expire);
        if (s->db && sqlite3_close(s->db) != SQLITE_OK)
                VL_WARN("seen", "cannot close '%s': %s", s->path,
                        sqlite3_errmsg(s->db));
        free(s->path);
        free(s);
}

enum vl_rc fetcher_seen_has(struct fetcher_seen *s, const char *key,
                            bool *found, struct vl_err *err)
{
        enum vl_rc rc = VL_OK;
        int r;

        sqlite3_bind_text(s->has, 1, key, -1, SQLITE_STATIC);
        r = sqlite3_step(s->has);
        if (r == SQLITE_ROW)
                *found = true;
        else if (r == SQLITE_DONE)
                *found = false;
        else
                rc = db_err(s, err, "look up an entry");
        sqlite3_reset(s->has);
        sqlite3_clear_bindings(s->has);
        return rc;
}

enum vl_rc fetcher_seen_mark(struct fetcher_seen *s, const char *key,
                             const char *url, int64_t now_ms,
                             struct vl_err *err)
{
        enum vl_rc rc = VL_OK;

        sqlite3_bind_text(s->mark, 1, key, -1, SQLITE_STATIC);
        if (url)
                sqlite3_bind_text(s->mark, 2, url, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(s->mark, 2);
        sqlite3_bind_int64(s->mark, 3, now_ms);
        if (sqlite3_step(s->mark) != SQLITE_DONE)
                rc = db_err(s, err, "mark an entry");
        sqlite3_reset(s->mark);
        sqlite3_clear_bindings(s->mark);
        return rc;
}

enum vl_rc fetcher_seen_expire(struct fetcher_seen *s, int64_t before_ms,
                               int64_t *removed, struct vl_err *err)
{
        enum vl_rc rc = VL_OK;

        sqlite3_bind_int64(s->expire, 1, before_ms);
        if (sqlite3_step(s->expire) != SQLITE_DONE)
                rc = db_err(s, err, "expire entries");
        else if (removed)
                *removed = sqlite3_changes(s->db);
        sqlite3_reset(s->expire);
        /* the states of sources not polled since (no longer configured:
         * those configured are saved at each poll) */
        sqlite3_bind_int64(s->st_expire, 1, before_ms);
        if (rc == VL_OK && sqlite3_step(s->st_expire) != SQLITE_DONE)
                rc = db_err(s, err, "expire sources' states");
        sqlite3_reset(s->st_expire);
        return rc;
}

int64_t fetcher_seen_count(struct fetcher_seen *s)
{
        int64_t n = -1;

        if (sqlite3_step(s->count) == SQLITE_ROW)
                n = sqlite3_column_int64(s->count, 0);
        sqlite3_reset(s->count);
        return n;
}

/* ------------------------------------------------- the sources' states */

enum vl_rc fetcher_seen_state_get(struct fetcher_seen *s, const char *url,
                                  json_t **st, struct vl_err *err)
{
        enum vl_rc rc = VL_OK;
        int r;

        *st = NULL;
        sqlite3_bind_text(s->st_get, 1, url, -1, SQLITE_STATIC);
        r = sqlite3_step(s->st_get);
        if (r == SQLITE_ROW) {
                const char *text =
                        (const char *)sqlite3_column_text(s->st_get, 0);

                *st = text ? json_loads(text, 0, NULL) : NULL;
                if (!*st)
                        VL_WARN("seen", "unreadable state of '%s' in '%s': "
                                "ignored", url, s->path);
        } else if (r != SQLITE_DONE) {
                rc = db_err(s, err, "read a source's state");
        }
        sqlite3_reset(s->st_get);
        sqlite3_clear_bindings(s->st_get);
        return rc;
}

static enum vl_rc state_put(struct fetcher_seen *s, const char *url,
                            const char *text, int64_t now_ms,
                            struct vl_err *err)
{
        enum vl_rc rc = VL_OK;

        sqlite3_bind_text(s->st_put, 1, url, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->st_put, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->st_put, 3, now_ms);
        if (sqlite3_step(s->st_put) != SQLITE_DONE)
                rc = db_err(s, err, "save a source's state");
        sqlite3_reset(s->st_put);
        sqlite3_clear_bindings(s->st_put);
        return rc;
}

enum vl_rc fetcher_seen_state_save(struct fetcher_seen *s,
                                   const struct fetcher_sources *ss,
                                   int64_t now_ms, int *saved,
                                   struct vl_err *err)
{
        enum vl_rc rc = VL_OK;
        int n = 0;

        if (saved)
                *saved = 0;
        for (int i = 0; i < ss->n; i++)
                n += ss->v[i]->dirty && !ss->v[i]->removed;
        if (!n)
                return VL_OK;
        if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                return db_err(s, err, "begin a transaction");
        for (int i = 0; i < ss->n && rc == VL_OK; i++) {
                const struct fetcher_source *src = ss->v[i];
                json_t *st;
                char *text;

                if (!src->dirty || src->removed)
                        continue;
                st = fetcher_source_state(src);
                text = json_dumps(st, JSON_COMPACT);
                json_decref(st);
                rc = state_put(s, src->url, text, now_ms, err);
                free(text);
        }
        if (rc == VL_OK &&
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                rc = db_err(s, err, "commit the sources' states");
        if (rc != VL_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return rc; /* still dirty: saved next time */
        }
        for (int i = 0; i < ss->n; i++)
                if (!ss->v[i]->removed)
                        ss->v[i]->dirty = false;
        if (saved)
                *saved = n;
        return VL_OK;
}
