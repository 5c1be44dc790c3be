#include <stdarg.h>
#include <stdio.h>
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
