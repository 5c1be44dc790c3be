#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "veille/codec.h"
#include "veille/log.h"

int vl_log_level = VL_LOG_INFO;
static const char *log_prog = "veille";
static int log_journal;

static const char *const level_names[] = {
        "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
};

void vl_log_init(const char *prog)
{
        const char *js = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        log_prog = prog;
        log_journal = 0;
        /* sd-daemon(3): JOURNAL_STREAM is "device:inode" of stderr's stream */
        if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
            fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
            (unsigned long long)st.st_ino == ino)
                log_journal = 1;
}

int vl_log_parse_level(const char *s)
{
        int i;

        if (!s)
                return -1;
        if (s[0] >= '3' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        for (i = VL_LOG_ERR; i <= VL_LOG_DEBUG; i++)
                if (strcasecmp(s, level_names[i]) == 0)
                        return i;
        if (strcasecmp(s, "warn") == 0)
                return VL_LOG_WARNING;
        if (strcasecmp(s, "err") == 0)
                return VL_LOG_ERR;
        return -1;
}

void vl_log_write(int lvl, const char *comp, const char *fmt, ...)
{
        char line[2048];
        size_t n = 0;
        int r;
        va_list ap;

        if (lvl < 0 || lvl > VL_LOG_DEBUG)
                lvl = VL_LOG_ERR;
        if (log_journal) {
                r = snprintf(line, sizeof(line), "<%d>%s: ", lvl,
                             comp ? comp : "main");
        } else {
                char now[32];

                vl_time_rfc3339(now);
                r = snprintf(line, sizeof(line), "%s %s %s[%s]: ", now,
                             level_names[lvl], log_prog, comp ? comp : "main");
        }
        if (r > 0)
                n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
        va_start(ap, fmt);
        r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (r > 0)
                n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
        /* one line per event: fold any newline the message carried */
        for (size_t i = 0; i < n; i++)
                if (line[i] == '\n' || line[i] == '\r')
                        line[i] = ' ';
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        /* a single write(2) so lines from several threads do not interleave */
        if (write(STDERR_FILENO, line, n) < 0)
                return;
}
