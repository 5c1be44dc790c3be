#ifndef VEILLE_LOG_H
#define VEILLE_LOG_H
/* One line per event on stderr, journald-friendly (STYLE.md §6). */
#include "veille/err.h"

/* syslog levels, so that the journald "<N>" prefix is the level itself */
enum vl_log_level {
        VL_LOG_ERR = 3,
        VL_LOG_WARNING = 4,
        VL_LOG_NOTICE = 5,
        VL_LOG_INFO = 6,
        VL_LOG_DEBUG = 7,
};

extern int vl_log_level;

/** @brief Name the program in every line ("veille-parser"); detect journald
 * (JOURNAL_STREAM matching stderr) to use "<N>" prefixes instead of times. */
void vl_log_init(const char *prog);

/** @brief Parse "error|warning|notice|info|debug" or a digit 3..7.
 * @returns the level, or -1 if unknown. */
int vl_log_parse_level(const char *s);

/** @brief Write one line; use VL_LOG so filtered arguments are not evaluated.
 * Thread-safe (one write(2) per line). */
void vl_log_write(int lvl, const char *comp, const char *fmt, ...)
        VL_PRINTF(3, 4);

#define VL_LOG(lvl, comp, ...)                                                 \
        do {                                                                   \
                if ((lvl) <= vl_log_level)                                     \
                        vl_log_write((lvl), (comp), __VA_ARGS__);              \
        } while (0)

#define VL_ERROR(comp, ...) VL_LOG(VL_LOG_ERR, comp, __VA_ARGS__)
#define VL_WARN(comp, ...) VL_LOG(VL_LOG_WARNING, comp, __VA_ARGS__)
#define VL_NOTICE(comp, ...) VL_LOG(VL_LOG_NOTICE, comp, __VA_ARGS__)
#define VL_INFO(comp, ...) VL_LOG(VL_LOG_INFO, comp, __VA_ARGS__)
#define VL_DEBUG(comp, ...) VL_LOG(VL_LOG_DEBUG, comp, __VA_ARGS__)

#endif
