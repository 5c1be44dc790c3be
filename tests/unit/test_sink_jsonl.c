/* The JSONL file (sink/jsonl.c): appends, torn-line repair. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <criterion/criterion.h>
#include "sink/sink.h"

static char dir[] = "/tmp/veille-sink-jsonl-XXXXXX";
static char path[sizeof(dir) + 32];

static void setup(void)
{
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/events.jsonl", dir);
}

static void teardown(void)
{
        unlink(path);
        rmdir(dir);
}

TestSuite(sink_jsonl, .init = setup, .fini = teardown);

static void write_raw(const char *text)
{
        FILE *fp = fopen(path, "wb");

        cr_assert_not_null(fp);
        fputs(text, fp);
        fclose(fp);
}

/* The whole file; @p len gets its size. */
static char *slurp(size_t *len)
{
        FILE *fp = fopen(path, "rb");
        char *s = calloc(1, 1 << 20);

        cr_assert_not_null(fp);
        *len = fread(s, 1, (1 << 20) - 1, fp);
        fclose(fp);
        return s;
}

/* The file's lines, each parsed (NULL for a line that does not parse). */
static int lines(json_t **out, int max)
{
        size_t len;
        char *s = slurp(&len), *p = s, *nl;
        int n = 0;

        cr_assert(len == 0 || s[len - 1] == '\n', "file ends in a torn line");
        while (*p && n < max) {
                nl = strchr(p, '\n');
                cr_assert_not_null(nl);
                out[n++] = json_loadb(p, (size_t)(nl - p), 0, NULL);
                p = nl + 1;
        }
        free(s);
        return n;
}

static void append(struct sink_jsonl *j, const char *text)
{
        struct vl_err err = { 0 };
        json_t *ev = json_loads(text, 0, NULL);

        cr_assert_not_null(ev);
        cr_assert_eq(sink_jsonl_append(j, ev, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(sink_jsonl_sync(j, &err), VL_OK, "%s", err.msg);
        json_decref(ev);
}

static struct sink_jsonl *open_ok(void)
{
        struct vl_err err = { 0 };
        struct sink_jsonl *j = sink_jsonl_open(path, &err);

        cr_assert_not_null(j, "%s", err.msg);
        return j;
}

static void expect_line(json_t *line, const char *want)
{
        json_t *w = json_loads(want, 0, NULL);

        cr_assert_not_null(line, "line does not parse");
        cr_expect(json_equal(line, w), "line is not %s", want);
        json_decref(w);
}

Test(sink_jsonl, appends_one_compact_line_per_event)
{
        struct sink_jsonl *j = open_ok();
        json_t *l[8];
        size_t len;
        char *s;
        struct stat st;

        append(j, "{\"id\": \"a\", \"text\": \"two\\nlines\"}");
        append(j, "{\"id\": \"b\", \"n\": [1, 2, 0.8, 0.7, 1e300]}");
        sink_jsonl_close(j);
        j = open_ok(); /* reopening appends */
        append(j, "{\"id\": \"c\"}");
        sink_jsonl_close(j);

        s = slurp(&len);
        cr_expect_str_eq(s, "{\"id\":\"a\",\"text\":\"two\\nlines\"}\n"
                            "{\"id\":\"b\",\"n\":[1,2,0.8,0.7,1e300]}\n"
                            "{\"id\":\"c\"}\n");
        free(s);
        cr_assert_eq(lines(l, 8), 3);
        expect_line(l[0], "{\"id\": \"a\", \"text\": \"two\\nlines\"}");
        for (int i = 0; i < 3; i++)
                json_decref(l[i]);
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 0777 & ~0022u, 0644 & ~0022u);
}

Test(sink_jsonl, repairs_a_torn_last_line)
{
        struct sink_jsonl *j;
        json_t *l[8];

        write_raw("{\"id\":\"a\"}\n{\"id\":\"torn\",\"te");
        j = open_ok();
        append(j, "{\"id\": \"b\"}");
        sink_jsonl_close(j);

        cr_assert_eq(lines(l, 8), 3);
        expect_line(l[0], "{\"id\": \"a\"}");
        cr_expect_null(l[1]); /* the torn line stays torn, on its own */
        expect_line(l[2], "{\"id\": \"b\"}");
        json_decref(l[0]);
        json_decref(l[2]);
}

Test(sink_jsonl, leaves_a_whole_file_alone)
{
        struct sink_jsonl *j;
        size_t len;
        char *s;

        write_raw("{\"id\":\"a\"}\n");
        j = open_ok();
        append(j, "{\"id\": \"b\"}");
        sink_jsonl_close(j);
        s = slurp(&len);
        cr_expect_str_eq(s, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
        free(s);
}

Test(sink_jsonl, empty_file_gets_no_blank_line)
{
        struct sink_jsonl *j;
        size_t len;
        char *s;

        write_raw("");
        j = open_ok();
        append(j, "{}");
        sink_jsonl_close(j);
        s = slurp(&len);
        cr_expect_str_eq(s, "{}\n");
        free(s);
}

/* A short write (here: the file size limit, as a full disk would do) tears
 * the line; the next append starts on a fresh line. */
Test(sink_jsonl, short_write_retries_and_next_line_is_whole)
{
        struct sink_jsonl *j = open_ok();
        struct vl_err err = { 0 };
        struct rlimit old, lim;
        json_t *ev = json_loads("{\"id\":\"long\",\"text\":\"0123456789"
                                "0123456789012345678901234567890123456789\"}",
                                0, NULL);
        json_t *l[8];

        append(j, "{\"id\": \"a\"}");
        signal(SIGXFSZ, SIG_IGN);
        cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim = old;
        lim.rlim_cur = 12 + 20; /* the first line and 20 bytes */
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
        cr_expect_eq(sink_jsonl_append(j, ev, &err), VL_RETRY);
        cr_expect(strstr(err.msg, "short write") != NULL, "%s", err.msg);
        cr_expect_eq(sink_jsonl_append(j, ev, &err), VL_RETRY); /* EFBIG */
        cr_expect(strstr(err.msg, "cannot write") != NULL, "%s", err.msg);
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        cr_assert_eq(sink_jsonl_append(j, ev, &err), VL_OK, "%s", err.msg);
        cr_assert_eq(sink_jsonl_sync(j, &err), VL_OK, "%s", err.msg);
        sink_jsonl_close(j);

        cr_assert_eq(lines(l, 8), 3);
        expect_line(l[0], "{\"id\": \"a\"}");
        cr_expect_null(l[1]);
        cr_expect(json_equal(l[2], ev));
        json_decref(l[0]);
        json_decref(l[2]);
        json_decref(ev);
}

Test(sink_jsonl, cannot_open_is_a_configuration_error)
{
        struct vl_err err = { 0 };

        cr_expect_null(sink_jsonl_open("/nonexistent-dir/x.jsonl", &err));
        cr_expect_eq(err.rc, VL_REJECT);
        cr_expect(strstr(err.msg, "cannot open '/nonexistent-dir/x.jsonl'") !=
                          NULL,
                  "%s", err.msg);
}

Test(sink_jsonl, pipe_needs_no_sync)
{
        struct vl_err err = { 0 };
        struct sink_jsonl *j = sink_jsonl_open("/dev/null", &err);

        cr_assert_not_null(j, "%s", err.msg);
        append(j, "{\"id\": \"a\"}");
        cr_expect_str_eq(sink_jsonl_path(j), "/dev/null");
        sink_jsonl_close(j);
}

/* ---- rotation ---- */

/* The rotated files of the test's directory ("events.jsonl.<time>..."),
 * sorted; their contents concatenated in @p text; each removed. */
static int rotated(char *text, size_t cap)
{
        struct dirent **names;
        int n, i, k = 0;

        text[0] = '\0';
        n = scandir(dir, &names, NULL, alphasort);
        cr_assert_geq(n, 0);
        for (i = 0; i < n; i++) {
                char p[512];
                FILE *fp;
                size_t len = strlen(text);

                if (strncmp(names[i]->d_name, "events.jsonl.", 13) == 0) {
                        snprintf(p, sizeof(p), "%s/%s", dir,
                                 names[i]->d_name);
                        fp = fopen(p, "rb");
                        cr_assert_not_null(fp);
                        len += fread(text + len, 1, cap - len - 1, fp);
                        text[len] = '\0';
                        fclose(fp);
                        unlink(p);
                        k++;
                }
                free(names[i]);
        }
        free(names);
        return k;
}

static void rotate(struct sink_jsonl *j, long long bytes, long long age,
                   long long now)
{
        struct vl_err err = { 0 };

        cr_assert_eq(sink_jsonl_rotate_due(j, bytes, age, now, &err), VL_OK,
                     "%s", err.msg);
}

Test(sink_jsonl, rotates_by_size_between_whole_lines)
{
        struct sink_jsonl *j = open_ok();
        char old[4096];
        size_t len;
        char *now_text;
        int i;

        /* each line is 10 bytes: {"n":123}\n */
        for (i = 0; i < 5; i++) {
                char ev[32];

                rotate(j, 25, 0, (long long)time(NULL));
                snprintf(ev, sizeof(ev), "{\"n\":%d}", 100 + i);
                append(j, ev);
        }
        /* 100 101 102 | 103 104 105... : rotated once the file held 30 */
        cr_expect_eq(rotated(old, sizeof(old)), 1);
        cr_expect_str_eq(old, "{\"n\":100}\n{\"n\":101}\n{\"n\":102}\n");
        now_text = slurp(&len);
        cr_expect_str_eq(now_text, "{\"n\":103}\n{\"n\":104}\n");
        free(now_text);
        cr_expect_str_eq(sink_jsonl_path(j), path);
        sink_jsonl_close(j);
}

Test(sink_jsonl, rotates_by_age)
{
        struct sink_jsonl *j = open_ok();
        long long t = (long long)time(NULL);
        char old[4096];
        size_t len;
        char *now_text;

        rotate(j, 0, 60, t + 3600); /* empty: never rotated */
        append(j, "{\"n\":1}");
        rotate(j, 0, 60, t + 30);
        cr_expect_eq(rotated(old, sizeof(old)), 0, "rotated too early");
        rotate(j, 0, 60, t + 61);
        append(j, "{\"n\":2}");
        rotate(j, 0, 60, t + 30); /* the new file's age counts anew */
        cr_expect_eq(rotated(old, sizeof(old)), 1);
        cr_expect_str_eq(old, "{\"n\":1}\n");
        now_text = slurp(&len);
        cr_expect_str_eq(now_text, "{\"n\":2}\n");
        free(now_text);
        sink_jsonl_close(j);
}

Test(sink_jsonl, rotation_names_never_collide)
{
        struct sink_jsonl *j = open_ok();
        long long t = 1700000000;
        char old[4096];

        append(j, "{\"n\":1}");
        rotate(j, 1, 0, t);
        append(j, "{\"n\":2}");
        rotate(j, 1, 0, t); /* the same second: "<path>.<time>.1" */
        append(j, "{\"n\":3}");
        cr_expect_eq(rotated(old, sizeof(old)), 2);
        cr_expect_str_eq(old, "{\"n\":1}\n{\"n\":2}\n");
        sink_jsonl_close(j);
}
