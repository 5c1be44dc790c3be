#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "veille/conf.h"

struct tconf {
        char *name;
        int64_t count;
        bool flag;
        char *cli;
};

static const struct vl_conf_key keys[] = {
        {"a.name", VL_CONF_STR, offsetof(struct tconf, name), "default",
         "a name", 0},
        {"a.count", VL_CONF_INT, offsetof(struct tconf, count), "1", "a count",
         0},
        {"a.flag", VL_CONF_BOOL, offsetof(struct tconf, flag), "false",
         "a flag", 0},
        {"a.cli", VL_CONF_STR, offsetof(struct tconf, cli), NULL, "cli only",
         VL_CONF_CLI},
        {0},
};

static struct tconf tc;
static struct vl_conf *cf;

static void setup(void)
{
        cf = vl_conf_new("veille-test", "test");
        vl_conf_add_table(cf, keys, &tc);
        unsetenv("VEILLE_CONFIG");
}

static void teardown(void)
{
        vl_conf_destroy(cf);
}

static char *write_file(const char *text)
{
        static char path[] = "/tmp/veille-conf-XXXXXX";
        int fd = mkstemp(path);

        cr_assert(fd >= 0);
        cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
        return path;
}

/* vl_conf_parse(cf, argc, argv) on copies of the NULL-terminated args */
static int parse(const char *first, ...)
{
        char *argv[32];
        int argc = 0, rc;
        va_list ap;

        argv[argc++] = strdup("veille-test");
        va_start(ap, first);
        for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
                argv[argc++] = strdup(a);
        va_end(ap);
        argv[argc] = NULL;
        rc = vl_conf_parse(cf, argc, argv);
        for (int i = 0; i < argc; i++)
                free(argv[i]);
        return rc;
}

#define PARSE(...) parse(__VA_ARGS__, (const char *)NULL)

TestSuite(conf, .init = setup, .fini = teardown);

Test(conf, defaults_apply)
{
        cr_assert_eq(PARSE("--a.flag=false"), -1);
        cr_assert_str_eq(tc.name, "default");
        cr_assert_eq(tc.count, 1);
        cr_assert_not(tc.flag);
}

Test(conf, precedence_file_env_cli)
{
        char *path = write_file("# comment\na.name = from-file\n"
                                "a.count = 5\nkafka.client.id = \"file id\"\n");

        setenv("VEILLE_A_COUNT", "7", 1);
        cr_assert_eq(PARSE("-c", path, "--a.flag"), -1);
        cr_assert_str_eq(tc.name, "from-file"); /* file beats default */
        cr_assert_eq(tc.count, 7);              /* env beats file */
        cr_assert(tc.flag);                     /* bare flag means true */
        cr_assert_str_eq(vl_conf_kafka_get(cf, "client.id"), "file id");
        cr_assert_eq(PARSE("-c", path, "--a.count", "9", "--a.name=cli"), -1);
        cr_assert_eq(tc.count, 9); /* command line beats env */
        cr_assert_str_eq(tc.name, "cli");
        unlink(path);
}

Test(conf, env_file_variable)
{
        char *path = write_file("a.name = via-env-file\n");

        setenv("VEILLE_CONFIG", path, 1);
        cr_assert_eq(PARSE("--a.count=2"), -1);
        cr_assert_str_eq(tc.name, "via-env-file");
        unlink(path);
}

Test(conf, kafka_passthrough)
{
        cr_assert_eq(PARSE("-X", "bootstrap.servers=127.0.0.1:1",
                           "-Xlinger.ms=7", "--kafka.acks=all"),
                     -1);
        cr_assert_str_eq(vl_conf_kafka_get(cf, "bootstrap.servers"),
                         "127.0.0.1:1");
        cr_assert_str_eq(vl_conf_kafka_get(cf, "linger.ms"), "7");
        cr_assert_str_eq(vl_conf_kafka_get(cf, "acks"), "all");
}

Test(conf, kafka_apply_respects_scope)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        struct vl_err err;
        char v[64];
        size_t n = sizeof(v);

        cr_assert_eq(PARSE("-X", "linger.ms=9", "-X", "session.timeout.ms=6000"),
                     -1);
        cr_assert_eq(vl_conf_kafka_apply(cf, kc, RD_KAFKA_PRODUCER, &err),
                     VL_OK);
        cr_assert_eq(rd_kafka_conf_get(kc, "linger.ms", v, &n),
                     RD_KAFKA_CONF_OK);
        cr_assert_str_eq(v, "9");
        n = sizeof(v);
        rd_kafka_conf_get(kc, "session.timeout.ms", v, &n);
        cr_assert_str_eq(v, "45000"); /* consumer property left alone */
        rd_kafka_conf_destroy(kc);
}

Test(conf, unknown_key_exits_2)
{
        cr_assert_eq(PARSE("--no.such.key", "1"), 2);
}

Test(conf, unknown_kafka_property_exits_2)
{
        cr_assert_eq(PARSE("-X", "no.such.prop=1"), 2);
}

Test(conf, invalid_values_exit_2)
{
        cr_assert_eq(PARSE("--a.count", "many"), 2);
        cr_assert_eq(PARSE("--a.flag=perhaps"), 2);
        cr_assert_eq(PARSE("-X", "linger.ms=soon"), 2);
}

Test(conf, unknown_env_key_exits_2)
{
        setenv("VEILLE_NO_SUCH", "1", 1);
        cr_assert_eq(PARSE("--a.count=1"), 2);
}

Test(conf, cli_only_key_refused_elsewhere)
{
        char *path = write_file("a.cli = x\n");

        cr_assert_eq(PARSE("--a.cli", "ok"), -1);
        cr_assert_str_eq(tc.cli, "ok");
        cr_assert_eq(PARSE("-c", path), 2);
        unlink(path);
}

Test(conf, bad_file_line_exits_2)
{
        char *path = write_file("a.name = ok\nthis line has no equals\n");

        cr_assert_eq(PARSE("-c", path), 2);
        unlink(path);
}

Test(conf, help_exits_0)
{
        cr_assert_eq(PARSE("--help"), 0);
}
