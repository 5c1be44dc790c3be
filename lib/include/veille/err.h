#ifndef VEILLE_ERR_H
#define VEILLE_ERR_H
/* Error classes and the caller-owned error message (STYLE.md §3). */

#define VL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/** What happens next: RETRY backs off and tries again, REJECT sends the
 * input to the dead-letter topic, FATAL stops the process gracefully. */
enum vl_rc { VL_OK = 0, VL_RETRY, VL_REJECT, VL_FATAL };

struct vl_err {
        enum vl_rc rc;
        char msg[256];
};

/** @brief Fill @p err (may be NULL) and return @p rc. */
enum vl_rc vl_err_set(struct vl_err *err, enum vl_rc rc, const char *fmt, ...)
        VL_PRINTF(3, 4);

/** @brief "ok", "retry", "reject" or "fatal". */
const char *vl_rc_name(enum vl_rc rc);

/** Process exit codes (DESIGN.md "Delivery"). */
enum vl_exit { VL_EXIT_OK = 0, VL_EXIT_FATAL = 1, VL_EXIT_USAGE = 2 };

/** @brief For the command-line tools: print "<prog>: <message>" and a hint
 * at "<prog> --help" on stderr, then exit with VL_EXIT_USAGE. Main thread,
 * before anything needs cleaning up. (The daemons' vl_conf_parse() returns
 * the exit code instead.) */
_Noreturn void vl_usage_error(const char *prog, const char *fmt, ...)
        VL_PRINTF(2, 3);

#endif
