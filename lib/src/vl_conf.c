#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "veille/conf.h"
#include "veille/log.h"
#include "veille/mem.h"

extern char **environ;

#define MAX_TABLES 8

struct kprop {
        char *name;
        char *value;
};

struct vl_conf {
        const char *prog;
        const char *summary;
        struct {
                const struct vl_conf_key *keys;
                void *base;
        } tables[MAX_TABLES];
        int ntables;
        struct kprop *props;
        int nprops;
        struct kprop *prefilled; /* defaults set in the struct, not the table */
        int nprefilled;
        rd_kafka_conf_t *scratch; /* validates librdkafka properties */
};

/* librdkafka's scope of each property ("C", "P" or "*"), read once from
 * rd_kafka_conf_properties_show(), the only place it is published. */
static char *scopes;

static const char *prop_scope(const char *name)
{
        size_t n = strlen(name);

        if (!scopes) {
                size_t sz = 0;
                FILE *fp = open_memstream(&scopes, &sz);

                if (!fp)
                        return "*";
                rd_kafka_conf_properties_show(fp);
                fclose(fp);
        }
        /* rows look like "bootstrap.servers   |  *  | ..." */
        for (const char *p = scopes; p && *p; p = strchr(p, '\n')) {
                while (*p == '\n')
                        p++;
                if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '|')) {
                        const char *bar = strchr(p, '|');

                        if (!bar)
                                return "*";
                        bar++;
                        while (*bar == ' ')
                                bar++;
                        return *bar == 'C' ? "C" : *bar == 'P' ? "P" : "*";
                }
        }
        return "*";
}

struct vl_conf *vl_conf_new(const char *prog, const char *summary)
{
        struct vl_conf *cf = vl_xcalloc(1, sizeof(*cf));

        cf->prog = prog;
        cf->summary = summary;
        cf->scratch = rd_kafka_conf_new();
        return cf;
}

static void *field(const struct vl_conf_key *k, void *base)
{
        return (char *)base + k->offset;
}

void vl_conf_destroy(struct vl_conf *cf)
{
        if (!cf)
                return;
        for (int t = 0; t < cf->ntables; t++)
                for (const struct vl_conf_key *k = cf->tables[t].keys; k->name;
                     k++)
                        if (k->type == VL_CONF_STR) {
                                char **s = field(k, cf->tables[t].base);

                                free(*s);
                                *s = NULL;
                        }
        for (int i = 0; i < cf->nprops; i++) {
                free(cf->props[i].name);
                free(cf->props[i].value);
        }
        free(cf->props);
        for (int i = 0; i < cf->nprefilled; i++) {
                free(cf->prefilled[i].name);
                free(cf->prefilled[i].value);
        }
        free(cf->prefilled);
        rd_kafka_conf_destroy(cf->scratch);
        free(cf);
}

static enum vl_rc set_key(const struct vl_conf_key *k, void *base,
                          const char *val, struct vl_err *err)
{
        char *end = NULL;

        switch (k->type) {
        case VL_CONF_STR: {
                char **s = field(k, base);

                free(*s);
                *s = val ? vl_xstrdup(val) : NULL;
                return VL_OK;
        }
        case VL_CONF_INT: {
                long long v;

                errno = 0;
                v = val ? strtoll(val, &end, 10) : 0;
                if (!val || !*val || *end || errno)
                        return vl_err_set(err, VL_REJECT,
                                          "invalid integer for '%s': '%s'",
                                          k->name, val ? val : "");
                *(int64_t *)field(k, base) = (int64_t)v;
                return VL_OK;
        }
        case VL_CONF_DOUBLE: {
                double v;

                errno = 0;
                v = val ? strtod(val, &end) : 0;
                if (!val || !*val || *end || errno)
                        return vl_err_set(err, VL_REJECT,
                                          "invalid number for '%s': '%s'",
                                          k->name, val ? val : "");
                *(double *)field(k, base) = v;
                return VL_OK;
        }
        case VL_CONF_BOOL: {
                bool *b = field(k, base);

                if (val && (!strcasecmp(val, "true") || !strcasecmp(val, "yes") ||
                            !strcasecmp(val, "on") || !strcmp(val, "1")))
                        *b = true;
                else if (val && (!strcasecmp(val, "false") ||
                                 !strcasecmp(val, "no") ||
                                 !strcasecmp(val, "off") || !strcmp(val, "0")))
                        *b = false;
                else
                        return vl_err_set(err, VL_REJECT,
                                          "invalid boolean for '%s': '%s' "
                                          "(true or false)",
                                          k->name, val ? val : "");
                return VL_OK;
        }
        }
        return vl_err_set(err, VL_REJECT, "bad key type for '%s'", k->name);
}

void vl_conf_add_table(struct vl_conf *cf, const struct vl_conf_key *keys,
                       void *base)
{
        if (cf->ntables >= MAX_TABLES) {
                VL_ERROR("conf", "too many configuration tables");
                abort();
        }
        cf->tables[cf->ntables].keys = keys;
        cf->tables[cf->ntables].base = base;
        cf->ntables++;
        for (const struct vl_conf_key *k = keys; k->name; k++) {
                struct vl_err err;
                char *const *pre = field(k, base);

                if (!k->def && k->type == VL_CONF_STR && *pre) {
                        cf->prefilled = vl_xrealloc(
                                cf->prefilled, (size_t)(cf->nprefilled + 1) *
                                                       sizeof(*cf->prefilled));
                        cf->prefilled[cf->nprefilled].name = vl_xstrdup(k->name);
                        cf->prefilled[cf->nprefilled].value = vl_xstrdup(*pre);
                        cf->nprefilled++;
                }
                if (k->def && set_key(k, base, k->def, &err) != VL_OK) {
                        VL_ERROR("conf", "bad default: %s", err.msg);
                        abort(); /* programmer error in a key table */
                }
        }
}

static const struct vl_conf_key *find_key(const struct vl_conf *cf,
                                          const char *name, void **base)
{
        for (int t = 0; t < cf->ntables; t++)
                for (const struct vl_conf_key *k = cf->tables[t].keys; k->name;
                     k++)
                        if (strcmp(k->name, name) == 0) {
                                *base = cf->tables[t].base;
                                return k;
                        }
        return NULL;
}

static enum vl_rc kafka_set(struct vl_conf *cf, const char *prop,
                            const char *val, struct vl_err *err)
{
        char errstr[256];
        rd_kafka_conf_res_t r;

        if (!val)
                return vl_err_set(err, VL_REJECT,
                                  "missing value for kafka property '%s'", prop);
        r = rd_kafka_conf_set(cf->scratch, prop, val, errstr, sizeof(errstr));
        if (r != RD_KAFKA_CONF_OK)
                return vl_err_set(err, VL_REJECT, "kafka property '%s': %s",
                                  prop, errstr);
        for (int i = 0; i < cf->nprops; i++)
                if (strcmp(cf->props[i].name, prop) == 0) {
                        free(cf->props[i].value);
                        cf->props[i].value = vl_xstrdup(val);
                        return VL_OK;
                }
        cf->props = vl_xrealloc(cf->props, (size_t)(cf->nprops + 1) *
                                                   sizeof(*cf->props));
        cf->props[cf->nprops].name = vl_xstrdup(prop);
        cf->props[cf->nprops].value = vl_xstrdup(val);
        cf->nprops++;
        return VL_OK;
}

static enum vl_rc conf_set(struct vl_conf *cf, const char *key,
                           const char *val, int from_cli, struct vl_err *err)
{
        const struct vl_conf_key *k;
        void *base = NULL;

        if (strncmp(key, "kafka.", 6) == 0 && key[6])
                return kafka_set(cf, key + 6, val, err);
        k = find_key(cf, key, &base);
        if (!k)
                return vl_err_set(err, VL_REJECT, "unknown key '%s'", key);
        if ((k->flags & VL_CONF_CLI) && !from_cli)
                return vl_err_set(err, VL_REJECT,
                                  "'%s' can only be given on the command line",
                                  key);
        return set_key(k, base, val, err);
}

enum vl_rc vl_conf_set(struct vl_conf *cf, const char *key, const char *val,
                       struct vl_err *err)
{
        return conf_set(cf, key, val, 0, err);
}

static char *trim(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
                         e[-1] == '\r'))
                *--e = '\0';
        return s;
}

enum vl_rc vl_conf_load_file(struct vl_conf *cf, const char *path,
                             struct vl_err *err)
{
        FILE *fp = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        enum vl_rc rc = VL_OK;

        if (!fp)
                return vl_err_set(err, VL_REJECT, "cannot open '%s': %s", path,
                                  strerror(errno));
        while (getline(&line, &cap, fp) >= 0) {
                char *s = trim(line), *eq, *key, *val;
                size_t vlen;

                lineno++;
                if (!*s || *s == '#' || *s == ';')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        rc = vl_err_set(err, VL_REJECT,
                                        "%s:%d: expected 'key = value'", path,
                                        lineno);
                        goto out;
                }
                *eq = '\0';
                key = trim(s);
                val = trim(eq + 1);
                vlen = strlen(val);
                /* "quoted values" keep their spaces */
                if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
                        val[vlen - 1] = '\0';
                        val++;
                }
                rc = vl_conf_set(cf, key, val, err);
                if (rc != VL_OK) {
                        char msg[sizeof(err->msg)];

                        snprintf(msg, sizeof(msg), "%s", err->msg);
                        vl_err_set(err, rc, "%s:%d: %s", path, lineno, msg);
                        goto out;
                }
        }
out:
        free(line);
        fclose(fp);
        return rc;
}

/* VEILLE_FETCH_MAX_BODY_BYTES -> fetch.max.body.bytes */
static char *env_to_key(const char *name, size_t n)
{
        char *k = vl_xstrndup(name, n);

        for (char *p = k; *p; p++) {
                if (*p == '_')
                        *p = '.';
                else if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        }
        return k;
}

/* Environment names that are not configuration keys. */
static int env_reserved(const char *name, size_t n)
{
        static const char *const reserved[] = {"CONFIG", "BROKERS", NULL};

        if (n >= 5 && strncmp(name, "TEST_", 5) == 0)
                return 1;
        for (int i = 0; reserved[i]; i++)
                if (strlen(reserved[i]) == n &&
                    strncmp(name, reserved[i], n) == 0)
                        return 1;
        return 0;
}

static enum vl_rc load_env(struct vl_conf *cf, struct vl_err *err)
{
        for (char **e = environ; e && *e; e++) {
                const char *name, *eq;
                char *key;
                enum vl_rc rc;

                if (strncmp(*e, "VEILLE_", 7) != 0)
                        continue;
                name = *e + 7;
                eq = strchr(name, '=');
                if (!eq || env_reserved(name, (size_t)(eq - name)))
                        continue;
                key = env_to_key(name, (size_t)(eq - name));
                rc = vl_conf_set(cf, key, eq + 1, err);
                free(key);
                if (rc != VL_OK) {
                        char msg[sizeof(err->msg)];

                        snprintf(msg, sizeof(msg), "%s", err->msg);
                        vl_err_set(err, rc, "environment VEILLE_%.*s: %s",
                                   (int)(eq - name), name, msg);
                        return rc;
                }
        }
        return VL_OK;
}

static void usage(const struct vl_conf *cf, FILE *fp)
{
        fprintf(fp, "Usage: %s [options]\n%s\n\n", cf->prog,
                cf->summary ? cf->summary : "");
        fprintf(fp, "Options (also in a file given with -c, as 'key = value', "
                    "or in the environment as VEILLE_<KEY>):\n");
        for (int t = 0; t < cf->ntables; t++)
                for (const struct vl_conf_key *k = cf->tables[t].keys; k->name;
                     k++) {
                        const char *arg = k->type == VL_CONF_BOOL ? ""
                                          : k->type == VL_CONF_STR ? " STR"
                                                                    : " NUM";
                        char left[64];
                        const char *def = k->def;

                        for (int i = 0; !def && i < cf->nprefilled; i++)
                                if (!strcmp(cf->prefilled[i].name, k->name))
                                        def = cf->prefilled[i].value;
                        snprintf(left, sizeof(left), "--%s%s", k->name, arg);
                        fprintf(fp, "  %-32s %s", left, k->help);
                        if (def && *def)
                                fprintf(fp, " (default: %s)", def);
                        if (k->flags & VL_CONF_CLI)
                                fprintf(fp, " [command line only]");
                        fputc('\n', fp);
                }
        fprintf(fp,
                "\nGeneral:\n"
                "  -c, --config FILE                configuration file "
                "(also $VEILLE_CONFIG)\n"
                "  -X PROP=VALUE                    librdkafka property "
                "(also kafka.PROP in the file,\n"
                "                                   VEILLE_KAFKA_PROP in the "
                "environment)\n"
                "  -X list                          list librdkafka "
                "properties\n"
                "  -X dump                          print the librdkafka "
                "properties set (redacted)\n"
                "  --dump-config                    print the configuration "
                "and exit\n"
                "  -h, --help                       this help\n"
                "  --version                        print the version\n"
                "\nPrecedence: defaults < file < environment < command line."
                " Exit codes: 0 ok, 1 fatal error, 2 usage or configuration "
                "error.\n");
}

static int is_secret(const char *name)
{
        return strstr(name, "password") || strstr(name, "secret") ||
               strstr(name, "ssl.key") || strstr(name, "sasl.oauthbearer.config");
}

static void dump_kafka(const struct vl_conf *cf, FILE *fp, const char *prefix)
{
        for (int i = 0; i < cf->nprops; i++)
                fprintf(fp, "%s%s = %s\n", prefix, cf->props[i].name,
                        is_secret(cf->props[i].name) ? "[redacted]"
                                                     : cf->props[i].value);
}

void vl_conf_dump(const struct vl_conf *cf, FILE *fp)
{
        for (int t = 0; t < cf->ntables; t++)
                for (const struct vl_conf_key *k = cf->tables[t].keys; k->name;
                     k++) {
                        void *f = field(k, cf->tables[t].base);

                        fprintf(fp, "%s = ", k->name);
                        if (k->flags & VL_CONF_SECRET)
                                fprintf(fp, "[redacted]\n");
                        else if (k->type == VL_CONF_STR)
                                fprintf(fp, "%s\n",
                                        *(char **)f ? *(char **)f : "");
                        else if (k->type == VL_CONF_INT)
                                fprintf(fp, "%lld\n", (long long)*(int64_t *)f);
                        else if (k->type == VL_CONF_DOUBLE)
                                fprintf(fp, "%g\n", *(double *)f);
                        else
                                fprintf(fp, "%s\n",
                                        *(bool *)f ? "true" : "false");
                }
        dump_kafka(cf, fp, "kafka.");
}

static int fail(const struct vl_conf *cf, const struct vl_err *err)
{
        fprintf(stderr, "%s: %s\n", cf->prog, err->msg);
        fprintf(stderr, "Try '%s --help' for the options.\n", cf->prog);
        return VL_EXIT_USAGE;
}

int vl_conf_parse(struct vl_conf *cf, int argc, char **argv)
{
        const char *file = getenv("VEILLE_CONFIG");
        struct vl_err err = {0};
        int dump = 0, xdump = 0;

        /* the file first, wherever -c stands, so the command line wins */
        for (int i = 1; i < argc; i++)
                if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
                    i + 1 < argc)
                        file = argv[++i];
                else if (!strncmp(argv[i], "--config=", 9))
                        file = argv[i] + 9;
        if (file && *file && vl_conf_load_file(cf, file, &err) != VL_OK)
                return fail(cf, &err);
        if (load_env(cf, &err) != VL_OK)
                return fail(cf, &err);

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(cf, stdout);
                        return VL_EXIT_OK;
                } else if (!strcmp(a, "--version")) {
                        printf("%s %s\n", cf->prog, VL_VERSION);
                        return VL_EXIT_OK;
                } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
                        i++;
                } else if (!strncmp(a, "--config=", 9)) {
                        continue;
                } else if (!strcmp(a, "--dump-config")) {
                        dump = 1;
                } else if (!strncmp(a, "-X", 2)) {
                        const char *kv = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
                        const char *eq;
                        char *prop;
                        enum vl_rc rc;

                        if (!kv) {
                                vl_err_set(&err, VL_REJECT, "-X needs PROP=VALUE");
                                return fail(cf, &err);
                        }
                        if (!strcmp(kv, "list")) {
                                rd_kafka_conf_properties_show(stdout);
                                return VL_EXIT_OK;
                        }
                        if (!strcmp(kv, "dump")) {
                                xdump = 1;
                                continue;
                        }
                        eq = strchr(kv, '=');
                        if (!eq) {
                                vl_err_set(&err, VL_REJECT,
                                           "-X '%s': expected PROP=VALUE", kv);
                                return fail(cf, &err);
                        }
                        prop = vl_xstrndup(kv, (size_t)(eq - kv));
                        rc = kafka_set(cf, prop, eq + 1, &err);
                        free(prop);
                        if (rc != VL_OK)
                                return fail(cf, &err);
                } else if (!strncmp(a, "--", 2) && a[2]) {
                        const char *eq = strchr(a, '=');
                        char *key = eq ? vl_xstrndup(a + 2, (size_t)(eq - a - 2))
                                       : vl_xstrdup(a + 2);
                        const char *val = eq ? eq + 1 : NULL;
                        const struct vl_conf_key *k;
                        void *base;
                        enum vl_rc rc;

                        k = find_key(cf, key, &base);
                        if (!val && k && k->type == VL_CONF_BOOL)
                                val = "true";
                        else if (!val && i + 1 < argc)
                                val = argv[++i];
                        else if (!val) {
                                vl_err_set(&err, VL_REJECT,
                                           "option '--%s' needs a value", key);
                                free(key);
                                return fail(cf, &err);
                        }
                        rc = conf_set(cf, key, val, 1, &err);
                        free(key);
                        if (rc != VL_OK)
                                return fail(cf, &err);
                } else {
                        vl_err_set(&err, VL_REJECT, "unexpected argument '%s'", a);
                        return fail(cf, &err);
                }
        }
        if (dump) {
                vl_conf_dump(cf, stdout);
                return VL_EXIT_OK;
        }
        if (xdump) {
                dump_kafka(cf, stdout, "");
                return VL_EXIT_OK;
        }
        return -1;
}

enum vl_rc vl_conf_kafka_apply(const struct vl_conf *cf, rd_kafka_conf_t *kc,
                               rd_kafka_type_t type, struct vl_err *err)
{
        char errstr[256];

        for (int i = 0; i < cf->nprops; i++) {
                const char *scope = prop_scope(cf->props[i].name);

                if ((type == RD_KAFKA_PRODUCER && *scope == 'C') ||
                    (type == RD_KAFKA_CONSUMER && *scope == 'P'))
                        continue;
                if (rd_kafka_conf_set(kc, cf->props[i].name, cf->props[i].value,
                                      errstr, sizeof(errstr)) !=
                    RD_KAFKA_CONF_OK)
                        return vl_err_set(err, VL_REJECT,
                                          "kafka property '%s': %s",
                                          cf->props[i].name, errstr);
        }
        return VL_OK;
}

const char *vl_conf_kafka_get(const struct vl_conf *cf, const char *prop)
{
        for (int i = 0; i < cf->nprops; i++)
                if (strcmp(cf->props[i].name, prop) == 0)
                        return cf->props[i].value;
        return NULL;
}
