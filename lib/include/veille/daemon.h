#ifndef VEILLE_DAEMON_H
#define VEILLE_DAEMON_H
/* Signals, sd_notify and the periodic tick that every daemon shares. */
#include <signal.h>
#include "veille/metrics.h"

/** @brief Install SIGTERM/SIGINT (first: graceful stop, second: _exit(1)),
 * SIGHUP (reload request) and ignore SIGPIPE. */
void vl_daemon_signals(void);
/** @returns the stop signal received, 0 if none. */
int vl_daemon_stopping(void);
/** @brief Ask for a graceful stop from inside (a fatal error). */
void vl_daemon_request_stop(void);
/** @returns true once per SIGHUP received. */
int vl_daemon_take_reload(void);

/** @brief sd_notify(0, state) when run by systemd; a no-op otherwise. */
void vl_daemon_notify(const char *state);
/** @brief READY=1 plus a first STATUS. */
void vl_daemon_ready(const char *status);
/** @brief Call from the main loop at least every 250 ms: WATCHDOG=1 every
 * half watchdog interval, STATUS= with rates every few seconds, and the
 * liveness time for /healthz. */
void vl_daemon_tick(struct vl_metrics *m);

#endif
