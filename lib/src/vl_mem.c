#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "veille/mem.h"

static void oom(size_t n)
{
        char msg[96];
        int r = snprintf(msg, sizeof(msg), "fatal: out of memory (%zu bytes)\n",
                         n);

        if (r > 0 && write(STDERR_FILENO, msg, (size_t)r) < 0)
                abort();
        abort();
}

void *vl_xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                oom(n);
        return p;
}

void *vl_xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);

        if (!p)
                oom(n * size);
        return p;
}

void *vl_xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);

        if (!q)
                oom(n);
        return q;
}

char *vl_xstrdup(const char *s)
{
        return s ? vl_xstrndup(s, strlen(s)) : NULL;
}

char *vl_xstrndup(const char *s, size_t n)
{
        char *p;

        n = strnlen(s, n);
        p = vl_xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *vl_xmemdup(const void *p, size_t n)
{
        char *q = vl_xmalloc(n + 1);

        memcpy(q, p, n);
        q[n] = '\0';
        return q;
}

char *vl_xasprintf(const char *fmt, ...)
{
        va_list ap;
        int n;
        char *p;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        p = vl_xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return p;
}
