#ifndef VEILLE_URL_H
#define VEILLE_URL_H
/* URL resolution and canonical form, on libcurl's URL API. */
#include "veille/err.h"

/** @brief Resolve @p ref against @p base (either may be absolute).
 * @returns new absolute URL, or NULL with err set (VL_REJECT). Only http and
 * https are accepted. */
char *vl_url_resolve(const char *base, const char *ref, struct vl_err *err);

/** @brief The canonical form used for identity: scheme and host lowercased,
 * default port dropped, dot segments removed, fragment dropped, tracking
 * parameters (utm_*, fbclid, gclid, ...) removed, empty path made "/".
 * @returns new string, or NULL with err set (VL_REJECT). */
char *vl_url_canonical(const char *url, struct vl_err *err);

#endif
