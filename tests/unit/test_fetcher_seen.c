/* veille-fetcher: the seen store (SQLite). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "veille/codec.h"
#include "fetcher/fetcher.h"

static char dir[64];

static void make_dir(void)
{
        snprintf(dir, sizeof(dir), "/tmp/veille-seen-XXXXXX");
        cr_assert(mkdtemp(dir));
}

static void remove_dir(void)
{
        const char *const names[] = {
                "seen.sqlite",          "seen.sqlite-wal",
                "seen.sqlite-shm",      "sub/deeper/seen.sqlite",
                "sub/deeper/seen.sqlite-wal", "sub/deeper/seen.sqlite-shm",
                "sub/deeper",           "sub",
        };
        char path[PATH_MAX];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                if (remove(path) && rmdir(path))
                        continue;
        }
        rmdir(dir);
}

static bool has(struct fetcher_seen *s, const char *key)
{
        struct vl_err err;
        bool found = true;

        cr_assert_eq(fetcher_seen_has(s, key, &found, &err), VL_OK, "%s",
                     err.msg);
        return found;
}

Test(fetcher_seen, mark_and_lookup, .init = make_dir, .fini = remove_dir)
{
        struct vl_err err;
        struct fetcher_seen *s = fetcher_seen_new(dir, &err);

        cr_assert(s, "%s", err.msg);
        cr_assert_not(has(s, "0123456789abcdef0123456789abcdef"));
        cr_assert_eq(fetcher_seen_mark(s, "0123456789abcdef0123456789abcdef",
                                       "https://a.example/1", 1000, &err),
                     VL_OK, "%s", err.msg);
        cr_assert(has(s, "0123456789abcdef0123456789abcdef"));
        cr_assert_not(has(s, "ffffffffffffffffffffffffffffffff"));
        /* marking again is fine (a page delivered twice) */
        cr_assert_eq(fetcher_seen_mark(s, "0123456789abcdef0123456789abcdef",
                                       NULL, 2000, &err),
                     VL_OK);
        cr_assert_eq(fetcher_seen_count(s), 1);
        fetcher_seen_destroy(s);
        fetcher_seen_destroy(NULL);
}

Test(fetcher_seen, survives_reopen, .init = make_dir, .fini = remove_dir)
{
        struct vl_err err;
        struct fetcher_seen *s = fetcher_seen_new(dir, &err);
        char key[8];

        cr_assert(s, "%s", err.msg);
        for (int i = 0; i < 100; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                cr_assert_eq(fetcher_seen_mark(s, key, NULL, 1000 + i, &err),
                             VL_OK);
        }
        fetcher_seen_destroy(s);

        s = fetcher_seen_new(dir, &err);
        cr_assert(s, "%s", err.msg);
        cr_assert_eq(fetcher_seen_count(s), 100);
        cr_assert(has(s, "k0"));
        cr_assert(has(s, "k99"));
        cr_assert_not(has(s, "k100"));
        fetcher_seen_destroy(s);
}

Test(fetcher_seen, expiry, .init = make_dir, .fini = remove_dir)
{
        struct vl_err err;
        struct fetcher_seen *s = fetcher_seen_new(dir, &err);
        int64_t removed = -1;

        cr_assert(s, "%s", err.msg);
        cr_assert_eq(fetcher_seen_mark(s, "old", NULL, 1000, &err), VL_OK);
        cr_assert_eq(fetcher_seen_mark(s, "edge", NULL, 5000, &err), VL_OK);
        cr_assert_eq(fetcher_seen_mark(s, "new", NULL, 9000, &err), VL_OK);
        cr_assert_eq(fetcher_seen_expire(s, 5000, &removed, &err), VL_OK);
        cr_assert_eq(removed, 1);
        cr_assert_not(has(s, "old"));
        cr_assert(has(s, "edge"));
        cr_assert(has(s, "new"));
        /* marking again refreshes the time */
        cr_assert_eq(fetcher_seen_mark(s, "edge", NULL, 10000, &err), VL_OK);
        cr_assert_eq(fetcher_seen_expire(s, 9500, &removed, &err), VL_OK);
        cr_assert_eq(removed, 1);
        cr_assert(has(s, "edge"));
        cr_assert_not(has(s, "new"));
        fetcher_seen_destroy(s);
}

Test(fetcher_seen, creates_directories_in_wal_mode, .init = make_dir,
     .fini = remove_dir)
{
        struct vl_err err;
        struct fetcher_seen *s;
        char sub[256];
        char wal[512];
        struct stat st;

        snprintf(sub, sizeof(sub), "%s/sub/deeper", dir);
        s = fetcher_seen_new(sub, &err);
        cr_assert(s, "%s", err.msg);
        cr_assert_eq(fetcher_seen_mark(s, "k", "https://a.example/", 1, &err),
                     VL_OK);
        snprintf(wal, sizeof(wal), "%s/seen.sqlite-wal", sub);
        cr_assert_eq(stat(wal, &st), 0, "no WAL file");
        fetcher_seen_destroy(s);
}

Test(fetcher_seen, unusable_directory)
{
        struct vl_err err;

        cr_assert_null(fetcher_seen_new("/proc/veille-cannot-be-here", &err));
        cr_assert(strstr(err.msg, "/proc/veille-cannot-be-here"), "%s",
                  err.msg);
        cr_assert_null(fetcher_seen_new("", &err));
}

Test(fetcher_seen, source_states, .init = make_dir, .fini = remove_dir)
{
        struct vl_err err;
        struct fetcher_seen *s = fetcher_seen_new(dir, &err);
        struct fetcher_sources ss = { 0 };
        struct fetcher_source *a = fetcher_source_new("http://a.example/f");
        struct fetcher_source *b = fetcher_source_new("http://b.example/f");
        struct fetcher_source *c;
        int64_t removed = 0;
        json_t *st = NULL;
        int n = -1;

        cr_assert(s, "%s", err.msg);
        fetcher_sources_add_take(&ss, a);
        fetcher_sources_add_take(&ss, b);
        a->etag = strdup("\"e1\"");
        a->cur_interval_ms = 90000;
        a->next_poll_ms = vl_time_mono_ms() + 3600000;
        a->failures = 2;
        a->dirty = true;
        /* only the dirty ones are written, and they become clean */
        cr_assert_eq(fetcher_seen_state_save(s, &ss, 5000, &n, &err), VL_OK,
                     "%s", err.msg);
        cr_assert_eq(n, 1);
        cr_assert_not(a->dirty);
        cr_assert_eq(fetcher_seen_state_save(s, &ss, 5000, &n, &err), VL_OK,
                     "%s", err.msg);
        cr_assert_eq(n, 0);
        cr_assert_eq(fetcher_seen_state_get(s, b->url, &st, &err), VL_OK);
        cr_assert_null(st);
        /* it survives a reopen, and reads back into a new source */
        fetcher_seen_destroy(s);
        s = fetcher_seen_new(dir, &err);
        cr_assert(s, "%s", err.msg);
        cr_assert_eq(fetcher_seen_state_get(s, a->url, &st, &err), VL_OK,
                     "%s", err.msg);
        cr_assert_not_null(st);
        c = fetcher_source_new(a->url);
        fetcher_source_apply_state(c, st);
        json_decref(st);
        cr_assert_str_eq(c->etag, "\"e1\"");
        cr_assert_eq(c->cur_interval_ms, 90000);
        cr_assert_eq(c->failures, 2);
        cr_assert_gt(c->next_poll_ms, vl_time_mono_ms() + 3500000);
        fetcher_source_unref(c);
        /* a later save replaces it; expiry drops states saved before */
        a->failures = 0;
        a->dirty = true;
        cr_assert_eq(fetcher_seen_state_save(s, &ss, 9000, &n, &err), VL_OK);
        b->dirty = true;
        cr_assert_eq(fetcher_seen_state_save(s, &ss, 4000, &n, &err), VL_OK);
        cr_assert_eq(fetcher_seen_expire(s, 6000, &removed, &err), VL_OK);
        cr_assert_eq(fetcher_seen_state_get(s, b->url, &st, &err), VL_OK);
        cr_assert_null(st);
        cr_assert_eq(fetcher_seen_state_get(s, a->url, &st, &err), VL_OK);
        cr_assert_not_null(st);
        cr_assert_eq(json_integer_value(json_object_get(st, "failures")), 0);
        json_decref(st);
        fetcher_sources_release(&ss);
        fetcher_seen_destroy(s);
}
