#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef VL_WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include "veille/daemon.h"
#include "veille/codec.h"
#include "veille/log.h"

static volatile sig_atomic_t stop_sig;
static volatile sig_atomic_t reload_sig;
static volatile sig_atomic_t stop_internal;

static void on_signal(int sig) /* no logging in here */
{
        if (stop_sig)
                _exit(1); /* second signal: the operator insists */
        stop_sig = sig;
}

static void on_hup(int sig)
{
        (void)sig;
        reload_sig = 1;
}

void vl_daemon_signals(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

int vl_daemon_stopping(void)
{
        if (stop_sig)
                return stop_sig;
        return stop_internal ? SIGTERM : 0;
}

void vl_daemon_request_stop(void)
{
        stop_internal = 1;
}

int vl_daemon_take_reload(void)
{
        if (!reload_sig)
                return 0;
        reload_sig = 0;
        return 1;
}

void vl_daemon_notify(const char *state)
{
#ifdef VL_WITH_SYSTEMD
        sd_notify(0, state);
#else
        (void)state;
#endif
}

void vl_daemon_ready(const char *status)
{
        char buf[256];

        snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s\nMAINPID=%ld", status,
                 (long)getpid());
        vl_daemon_notify(buf);
}

void vl_daemon_tick(struct vl_metrics *m)
{
        static int64_t wd_usec = -1, last_wd, last_status;
        static unsigned long long last_consumed, last_produced;
        int64_t now = vl_time_mono_ms();

        if (m)
                atomic_store(&m->last_tick_ms, now);
        if (wd_usec < 0) {
                uint64_t usec = 0;

                wd_usec = 0;
#ifdef VL_WITH_SYSTEMD
                if (sd_watchdog_enabled(0, &usec) > 0)
                        wd_usec = (int64_t)usec;
#else
                (void)usec;
#endif
        }
        if (wd_usec > 0 && (now - last_wd) * 1000 >= wd_usec / 2) {
                vl_daemon_notify("WATCHDOG=1");
                last_wd = now;
        }
        if (m && m->consumed && now - last_status >= 5000) {
                unsigned long long c = atomic_load(m->consumed);
                unsigned long long p = atomic_load(m->produced);
                double secs = last_status ? (double)(now - last_status) / 1000.0
                                          : 1.0;
                char buf[200];

                snprintf(buf, sizeof(buf),
                         "STATUS=consumed %llu (%.1f/s), produced %llu "
                         "(%.1f/s), rejected %llu",
                         c, (double)(c - last_consumed) / secs, p,
                         (double)(p - last_produced) / secs,
                         atomic_load(m->rejected));
                vl_daemon_notify(buf);
                last_consumed = c;
                last_produced = p;
                last_status = now;
        }
}
