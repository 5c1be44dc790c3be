/* The JSONL file (sink/jsonl.c): appends, torn-line repair. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
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
