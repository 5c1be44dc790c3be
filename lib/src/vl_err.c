#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "veille/err.h"

enum vl_rc vl_err_set(struct vl_err *err, enum vl_rc rc, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return rc;
        err->rc = rc;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return rc;
}

_Noreturn void vl_usage_error(const char *prog, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\ntry '%s --help'\n", prog);
        exit(VL_EXIT_USAGE);
}

const char *vl_rc_name(enum vl_rc rc)
{
        switch (rc) {
        case VL_OK:
                return "ok";
        case VL_RETRY:
                return "retry";
        case VL_REJECT:
                return "reject";
        case VL_FATAL:
                return "fatal";
        }
        return "unknown";
}
