#ifndef VEILLE_MEM_H
#define VEILLE_MEM_H
/* Allocation that aborts on out-of-memory: systemd restarts the daemon
 * (STYLE.md §4). Input-driven sizes are capped by the caller, not here. */
#include <stddef.h>

void *vl_xmalloc(size_t n);
void *vl_xcalloc(size_t n, size_t size);
void *vl_xrealloc(void *p, size_t n);
/** @returns new copy of @p s; NULL if @p s is NULL. */
char *vl_xstrdup(const char *s);
/** @returns new copy of at most @p n bytes of @p s (stops at a NUL),
 * NUL-terminated. */
char *vl_xstrndup(const char *s, size_t n);
/** @returns new copy of exactly @p n bytes of @p p (NULs included), with a
 * NUL after them. */
char *vl_xmemdup(const void *p, size_t n);
/** @returns new string formatted like printf. */
char *vl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
