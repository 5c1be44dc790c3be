/* Case and accent folding for watch terms and entity names (utf8proc). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/mem.h"
#include "sink.h"

/* NFKC plus case folding, marks stripped (é -> e, ï -> i), default
 * ignorables dropped (soft hyphen, zero-width joiner), control characters
 * and line breaks turned into spaces, look-alike punctuation lumped
 * (U+2019 -> ', U+2010 -> -, no-break space -> space). */
#define FOLD_OPTS                                                              \
        (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |                \
         UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE |            \
         UTF8PROC_STRIPCC | UTF8PROC_LUMP)

char *sink_fold(const char *s, size_t len)
{
        utf8proc_uint8_t *mapped = NULL;
        utf8proc_ssize_t n;
        char *res;
        size_t i, o = 0;
        int space = 0;

        if (len > (size_t)PTRDIFF_MAX / 8)
                return NULL;
        n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
                         &mapped, FOLD_OPTS);
        if (n == UTF8PROC_ERROR_NOMEM)
                abort(); /* like vl_xmalloc: systemd restarts us */
        if (n < 0)
                return NULL;
        /* collapse whitespace runs into one space and trim both ends, while
         * copying into memory of our own allocator */
        res = vl_xmalloc((size_t)n + 1);
        for (i = 0; i < (size_t)n; i++) {
                unsigned char c = mapped[i];

                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                    c == '\v' || c == '\f') {
                        space = o > 0;
                        continue;
                }
                if (space) {
                        res[o++] = ' ';
                        space = 0;
                }
                res[o++] = (char)c;
        }
        res[o] = '\0';
        free(mapped); /* utf8proc_map documents malloc */
        return res;
}
