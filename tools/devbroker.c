/*
 * veille-devbroker: librdkafka's mock cluster as a process of its own, so
 * that the pipeline, kcat and the tests reach it over TCP (DESIGN.md "The
 * embedded default").
 *
 * The mock binds 127.0.0.1 with kernel-chosen ports (librdkafka 2.0.2 has no
 * way to choose them), so the bootstrap string is published instead: first
 * line on stdout, and --bootstrap-file written atomically (PATH.tmp, then
 * rename). Everything else goes to stderr.
 *
 * Fault injection, one command per line on --control (a FIFO created here
 * and opened read-write so that it never reads EOF; "-" is stdin):
 *   down <broker|-1>            close the broker's connections, refuse new ones
 *   up <broker|-1>              accept connections again
 *   rtt <broker|-1> <ms>        delay every response of the broker
 *   leader <topic> <part> <broker|-1>   move a partition leader
 *   topic <name> <partitions>   create a topic
 *   err <api_key> <err> [<err>...]      fail the next requests of that API
 *   clear <api_key>             forget the errors pushed for that API
 * SIGUSR1 takes every broker down, SIGUSR2 brings them all up. Brokers are
 * numbered from 1. Nothing persists: a restart loses topics and data.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include "veille/err.h"
#include "veille/file.h"
#include "veille/log.h"
#include "veille/mem.h"

#define COMP "devbroker"
#define DEFAULT_TOPICS \
        "veille.pages,veille.articles,veille.enriched,veille.dlq," \
        "veille.sources,veille.fetcher.state,veille.fingerprints"
#define MAX_BROKERS 16
#define MAX_PARTITIONS 1024
#define MAX_TOPICS 256
#define CTL_LINE_MAX 512

struct topic_spec {
        char *name;
        int partitions; /* 0 = the --partitions default */
};

struct devbroker {
        int brokers;
        int partitions;
        struct topic_spec topics[MAX_TOPICS];
        int ntopics;
        const char *bootstrap_file;
        const char *control;
        int ctl_fd;
        int ctl_created; /* we made the FIFO, so we remove it */
        char ctl_line[CTL_LINE_MAX];
        size_t ctl_len;
        int ctl_overflow;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
};

static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t all_down_req;
static volatile sig_atomic_t all_up_req;

static void on_stop(int sig)
{
        if (stop_sig)
                _exit(1); /* second signal: the operator insists */
        stop_sig = sig;
}

static void on_usr(int sig)
{
        if (sig == SIGUSR1)
                all_down_req = 1;
        else
                all_up_req = 1;
}

static void usage(FILE *fp)
{
        fprintf(fp,
"usage: veille-devbroker [options]\n"
"\n"
"Run librdkafka's mock Kafka cluster on 127.0.0.1 (kernel-chosen ports).\n"
"The bootstrap address is the first line on stdout; logs go to stderr.\n"
"\n"
"  --brokers N             number of brokers, 1..%d (default 1)\n"
"  --partitions N          partitions of each created topic (default 4)\n"
"  --topics a,b,c          topics to create (default\n"
"                          " DEFAULT_TOPICS ")\n"
"  --topic-extra NAME:N    also create NAME with N partitions (repeatable)\n"
"  --bootstrap-file PATH   write the bootstrap address to PATH (atomically,\n"
"                          via PATH.tmp); removed again on a clean stop\n"
"  --control PATH          create a FIFO at PATH and read fault commands\n"
"                          from it, one a line; \"-\" reads stdin\n"
"  --log-level LEVEL       error|warning|notice|info|debug (default info)\n"
"  --help                  show this help\n"
"\n"
"Control commands (brokers are numbered from 1, -1 means all):\n"
"  down <broker>  up <broker>  rtt <broker> <ms>\n"
"  leader <topic> <partition> <broker>  topic <name> <partitions>\n"
"  err <api_key> <err>...  clear <api_key>\n"
"Signals: SIGTERM/SIGINT stop (exit 0), SIGUSR1 all brokers down,\n"
"SIGUSR2 all brokers up. Topics are replicated min(3, brokers) times;\n"
"other topics are auto-created on first use with 4 partitions.\n",
                MAX_BROKERS);
}

#define usage_error(...) vl_usage_error("veille-devbroker", __VA_ARGS__)

/* A whole decimal number in [lo, hi], or -1 on anything else (lo >= 0). */
static long parse_num(const char *s, long lo, long hi)
{
        char *end;
        long v;

        if (!s || !*s)
                return -1;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < lo || v > hi)
                return -1;
        return v;
}

static int valid_topic_name(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
                      *s == '-'))
                        return 0;
        return 1;
}

static void add_topic(struct devbroker *db, const char *name, size_t len,
                      int partitions)
{
        char *copy = vl_xstrndup(name, len);
        int i;

        if (!valid_topic_name(copy))
                usage_error("invalid topic name '%s'", copy);
        for (i = 0; i < db->ntopics; i++) {
                if (strcmp(db->topics[i].name, copy) == 0) {
                        /* a later --topic-extra may set the partition count */
                        if (partitions)
                                db->topics[i].partitions = partitions;
                        free(copy);
                        return;
                }
        }
        if (db->ntopics == MAX_TOPICS)
                usage_error("too many topics (at most %d)", MAX_TOPICS);
        db->topics[db->ntopics].name = copy;
        db->topics[db->ntopics].partitions = partitions;
        db->ntopics++;
}

static void clear_topics(struct devbroker *db)
{
        int i;

        for (i = 0; i < db->ntopics; i++)
                free(db->topics[i].name);
        db->ntopics = 0;
}

static void add_topic_list(struct devbroker *db, const char *list)
{
        const char *p = list;

        while (*p) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);

                if (len > 0)
                        add_topic(db, p, len, 0);
                p += len;
                if (*p == ',')
                        p++;
        }
}

static void add_topic_extra(struct devbroker *db, const char *spec)
{
        const char *colon = strrchr(spec, ':');
        long parts;

        if (!colon)
                usage_error("--topic-extra wants NAME:PARTITIONS, got '%s'",
                            spec);
        parts = parse_num(colon + 1, 1, MAX_PARTITIONS);
        if (parts < 0)
                usage_error("invalid partition count in '%s' (1..1024)", spec);
        add_topic(db, spec, (size_t)(colon - spec), (int)parts);
}

static int known_option(const char *a)
{
        static const char *const opts[] = {
                "--brokers", "--partitions", "--topics", "--topic-extra",
                "--bootstrap-file", "--control", "--log-level",
        };
        size_t i;

        for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
                if (strcmp(a, opts[i]) == 0)
                        return 1;
        return 0;
}

static void parse_args(struct devbroker *db, int argc, char **argv)
{
        int topics_given = 0;
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                long n;

                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        exit(VL_EXIT_OK);
                }
                if (strncmp(a, "--", 2) != 0)
                        usage_error("unexpected argument '%s'", a);
                if (!known_option(a))
                        usage_error("unknown option '%s'", a);
                if (!v)
                        usage_error("option '%s' needs a value", a);
                i++;
                if (strcmp(a, "--brokers") == 0) {
                        n = parse_num(v, 1, MAX_BROKERS);
                        if (n < 0)
                                usage_error("invalid --brokers '%s' (1..%d)", v,
                                            MAX_BROKERS);
                        db->brokers = (int)n;
                } else if (strcmp(a, "--partitions") == 0) {
                        n = parse_num(v, 1, MAX_PARTITIONS);
                        if (n < 0)
                                usage_error(
                                        "invalid --partitions '%s' (1..%d)", v,
                                        MAX_PARTITIONS);
                        db->partitions = (int)n;
                } else if (strcmp(a, "--topics") == 0) {
                        /* replaces the defaults and any earlier --topics */
                        if (!topics_given)
                                clear_topics(db);
                        topics_given = 1;
                        add_topic_list(db, v);
                } else if (strcmp(a, "--topic-extra") == 0) {
                        add_topic_extra(db, v);
                } else if (strcmp(a, "--bootstrap-file") == 0) {
                        if (!*v)
                                usage_error("empty --bootstrap-file");
                        db->bootstrap_file = v;
                } else if (strcmp(a, "--control") == 0) {
                        if (!*v)
                                usage_error("empty --control");
                        db->control = v;
                } else if (strcmp(a, "--log-level") == 0) {
                        int lvl = vl_log_parse_level(v);

                        if (lvl < 0)
                                usage_error("invalid --log-level '%s'", v);
                        vl_log_level = lvl;
                } else {
                        usage_error("unknown option '%s'", a);
                }
        }
}

/* librdkafka log lines (from its threads; vl_log_write is thread-safe) */
static void on_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac,
                           const char *buf)
{
        (void)rk;
        /* the owning handle has no brokers on purpose: not worth a notice */
        if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
                level = VL_LOG_DEBUG;
        if (level < VL_LOG_ERR)
                level = VL_LOG_ERR;
        VL_LOG(level, "rdkafka", "%s: %s", fac, buf);
}

/* The bootstrap address and a newline, for scripts that wait for the file. */
static enum vl_rc write_bootstrap_file(const char *path, const char *bs,
                                       struct vl_err *err)
{
        char *line = vl_xasprintf("%s\n", bs);
        enum vl_rc rc = vl_file_write_atomic(path, line, strlen(line), err);

        free(line);
        return rc;
}

static enum vl_rc open_control(struct devbroker *db, struct vl_err *err)
{
        struct stat st;

        db->ctl_fd = -1;
        if (!db->control)
                return VL_OK;
        if (strcmp(db->control, "-") == 0) {
                db->ctl_fd = STDIN_FILENO;
                return VL_OK;
        }
        if (mkfifo(db->control, 0600) == 0) {
                db->ctl_created = 1;
        } else if (errno != EEXIST) {
                return vl_err_set(err, VL_FATAL, "cannot create fifo '%s': %s",
                                  db->control, strerror(errno));
        }
        if (stat(db->control, &st) != 0 || !S_ISFIFO(st.st_mode))
                return vl_err_set(err, VL_FATAL,
                                  "'%s' exists and is not a fifo", db->control);
        /* read-write, so the FIFO always has a writer and never reads EOF */
        db->ctl_fd = open(db->control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (db->ctl_fd < 0)
                return vl_err_set(err, VL_FATAL, "cannot open fifo '%s': %s",
                                  db->control, strerror(errno));
        return VL_OK;
}

static void report(const char *cmd, rd_kafka_resp_err_t kerr)
{
        if (kerr)
                VL_WARN(COMP, "control '%s' failed: %s", cmd,
                        rd_kafka_err2str(kerr));
        else
                VL_NOTICE(COMP, "control '%s' done", cmd);
}

/* Broker id: 1..brokers, or -1 for all. */
static int parse_broker(const struct devbroker *db, const char *s, int32_t *id)
{
        long v;

        if (s && strcmp(s, "-1") == 0) {
                *id = -1;
                return 0;
        }
        v = parse_num(s, 1, db->brokers);
        if (v < 0)
                return -1;
        *id = (int32_t)v;
        return 0;
}

static void run_command(struct devbroker *db, char *line)
{
        char orig[CTL_LINE_MAX];
        char *argv[40];
        char *p;
        int argc = 0;
        int32_t id;
        long n;

        snprintf(orig, sizeof(orig), "%s", line);
        for (p = line; *p && argc < 40;) {
                while (*p == ' ' || *p == '\t' || *p == '\r')
                        *p++ = '\0';
                if (!*p)
                        break;
                argv[argc++] = p;
                while (*p && *p != ' ' && *p != '\t' && *p != '\r')
                        p++;
        }
        if (argc == 0 || argv[0][0] == '#')
                return;
        if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) &&
            argc == 2) {
                if (parse_broker(db, argv[1], &id) != 0)
                        goto bad;
                report(orig, argv[0][0] == 'd' ?
                                     rd_kafka_mock_broker_set_down(db->mc, id) :
                                     rd_kafka_mock_broker_set_up(db->mc, id));
        } else if (strcmp(argv[0], "rtt") == 0 && argc == 3) {
                n = parse_num(argv[2], 0, 600000);
                if (parse_broker(db, argv[1], &id) != 0 || n < 0)
                        goto bad;
                report(orig, rd_kafka_mock_broker_set_rtt(db->mc, id, (int)n));
        } else if (strcmp(argv[0], "leader") == 0 && argc == 4) {
                n = parse_num(argv[2], 0, MAX_PARTITIONS - 1);
                if (n < 0 || parse_broker(db, argv[3], &id) != 0)
                        goto bad;
                report(orig, rd_kafka_mock_partition_set_leader(
                                     db->mc, argv[1], (int32_t)n, id));
        } else if (strcmp(argv[0], "topic") == 0 && argc == 3) {
                n = parse_num(argv[2], 1, MAX_PARTITIONS);
                if (n < 0 || !valid_topic_name(argv[1]))
                        goto bad;
                report(orig, rd_kafka_mock_topic_create(
                                     db->mc, argv[1], (int)n,
                                     db->brokers < 3 ? db->brokers : 3));
        } else if (strcmp(argv[0], "err") == 0 && argc >= 3) {
                rd_kafka_resp_err_t errs[38];
                int i;

                n = parse_num(argv[1], 0, 32767);
                if (n < 0)
                        goto bad;
                for (i = 2; i < argc; i++) {
                        char *end;
                        long e;

                        errno = 0;
                        e = strtol(argv[i], &end, 10);
                        if (errno || *end || e < -200 || e > 32767)
                                goto bad;
                        errs[i - 2] = (rd_kafka_resp_err_t)e;
                }
                rd_kafka_mock_push_request_errors_array(
                        db->mc, (int16_t)n, (size_t)(argc - 2), errs);
                report(orig, RD_KAFKA_RESP_ERR_NO_ERROR);
        } else if (strcmp(argv[0], "clear") == 0 && argc == 2) {
                n = parse_num(argv[1], 0, 32767);
                if (n < 0)
                        goto bad;
                rd_kafka_mock_clear_request_errors(db->mc, (int16_t)n);
                report(orig, RD_KAFKA_RESP_ERR_NO_ERROR);
        } else {
                goto bad;
        }
        return;
bad:
        VL_WARN(COMP, "ignoring bad control command '%s'", orig);
}

/* Read what is available and run each complete line. */
static void read_control(struct devbroker *db)
{
        char chunk[512];
        ssize_t r;
        ssize_t i;

        r = read(db->ctl_fd, chunk, sizeof(chunk));
        if (r == 0) {
                /* only stdin can end; a read-write FIFO never does */
                VL_INFO(COMP, "control input closed");
                db->ctl_fd = -1;
                return;
        }
        if (r < 0) {
                if (errno != EAGAIN && errno != EINTR) {
                        VL_ERROR(COMP, "cannot read control input: %s",
                                 strerror(errno));
                        db->ctl_fd = -1;
                }
                return;
        }
        for (i = 0; i < r; i++) {
                if (chunk[i] == '\n') {
                        db->ctl_line[db->ctl_len] = '\0';
                        if (db->ctl_overflow)
                                VL_WARN(COMP, "ignoring overlong control line");
                        else
                                run_command(db, db->ctl_line);
                        db->ctl_len = 0;
                        db->ctl_overflow = 0;
                } else if (db->ctl_len + 1 < sizeof(db->ctl_line)) {
                        db->ctl_line[db->ctl_len++] = chunk[i];
                } else {
                        db->ctl_overflow = 1;
                }
        }
}

static void install_signals(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        /* no SA_RESTART: poll() returns EINTR and the loop sees the flag */
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_usr;
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

static enum vl_rc start_cluster(struct devbroker *db, struct vl_err *err)
{
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        int rf = db->brokers < 3 ? db->brokers : 3;
        int i;

        rd_kafka_conf_set_log_cb(conf, on_rdkafka_log);
        /* this handle only owns the cluster; it never talks to a broker */
        if (rd_kafka_conf_set(conf, "client.id", "veille-devbroker", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(conf);
                return vl_err_set(err, VL_FATAL, "cannot configure: %s",
                                  errstr);
        }
        db->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!db->rk) {
                rd_kafka_conf_destroy(conf);
                return vl_err_set(err, VL_FATAL,
                                  "cannot create kafka handle: %s", errstr);
        }
        conf = NULL; /* owned by rk now */
        db->mc = rd_kafka_mock_cluster_new(db->rk, db->brokers);
        if (!db->mc)
                return vl_err_set(err, VL_FATAL,
                                  "cannot create mock cluster of %d brokers",
                                  db->brokers);
        for (i = 0; i < db->ntopics; i++) {
                const struct topic_spec *t = &db->topics[i];
                int parts = t->partitions ? t->partitions : db->partitions;
                rd_kafka_resp_err_t kerr;

                kerr = rd_kafka_mock_topic_create(db->mc, t->name, parts, rf);
                if (kerr)
                        return vl_err_set(err, VL_FATAL,
                                          "cannot create topic '%s': %s",
                                          t->name, rd_kafka_err2str(kerr));
                VL_INFO(COMP, "topic '%s' created: %d partitions, rf %d",
                        t->name, parts, rf);
        }
        return VL_OK;
}

static void run(struct devbroker *db)
{
        while (!stop_sig) {
                struct pollfd pfd = { .fd = db->ctl_fd, .events = POLLIN };

                if (all_down_req) {
                        all_down_req = 0;
                        report("down -1 (SIGUSR1)",
                               rd_kafka_mock_broker_set_down(db->mc, -1));
                }
                if (all_up_req) {
                        all_up_req = 0;
                        report("up -1 (SIGUSR2)",
                               rd_kafka_mock_broker_set_up(db->mc, -1));
                }
                /* a negative fd is ignored by poll(): then this only sleeps */
                if (poll(&pfd, 1, 250) > 0 && db->ctl_fd >= 0 &&
                    (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
                        read_control(db);
        }
}

int main(int argc, char **argv)
{
        struct devbroker db;
        struct vl_err err = { 0 };
        const char *bs;
        int code = VL_EXIT_FATAL;

        memset(&db, 0, sizeof(db));
        db.brokers = 1;
        db.partitions = 4;
        db.ctl_fd = -1;
        vl_log_init("veille-devbroker");
        add_topic_list(&db, DEFAULT_TOPICS);
        parse_args(&db, argc, argv);
        install_signals();

        if (start_cluster(&db, &err) != VL_OK)
                goto out;
        bs = rd_kafka_mock_cluster_bootstraps(db.mc);
        if (db.bootstrap_file &&
            write_bootstrap_file(db.bootstrap_file, bs, &err) != VL_OK)
                goto out;
        if (open_control(&db, &err) != VL_OK)
                goto out;
        if (printf("%s\n", bs) < 0 || fflush(stdout) != 0) {
                vl_err_set(&err, VL_FATAL, "cannot write to stdout: %s",
                           strerror(errno));
                goto out;
        }
        VL_NOTICE(COMP, "mock cluster of %d broker(s) ready at %s", db.brokers,
                  bs);
        if (db.control)
                VL_INFO(COMP, "reading control commands from '%s'", db.control);

        run(&db);
        VL_NOTICE(COMP, "stopping on signal %d", (int)stop_sig);
        code = VL_EXIT_OK;
out:
        if (code != VL_EXIT_OK)
                VL_ERROR(COMP, "%s", err.msg);
        if (db.mc)
                rd_kafka_mock_cluster_destroy(db.mc);
        if (db.rk)
                rd_kafka_destroy(db.rk);
        if (db.ctl_fd >= 0 && db.ctl_fd != STDIN_FILENO)
                close(db.ctl_fd);
        if (db.ctl_created)
                unlink(db.control);
        if (db.bootstrap_file && code == VL_EXIT_OK)
                unlink(db.bootstrap_file);
        clear_topics(&db);
        return code;
}
