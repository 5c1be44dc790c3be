#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "veille/url.h"
#include "veille/mem.h"
#include "veille/buf.h"

/* Query parameters that only track the reader, never name the article. */
static const char *const tracking_params[] = {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "igshid", "_ga", "_gl", "ref_src", "cmpid", "xtor", "at_medium",
        "at_campaign", NULL,
};

static int is_tracking(const char *p, size_t n)
{
        if (n >= 4 && strncasecmp(p, "utm_", 4) == 0)
                return 1;
        for (int i = 0; tracking_params[i]; i++)
                if (strlen(tracking_params[i]) == n &&
                    strncasecmp(p, tracking_params[i], n) == 0)
                        return 1;
        return 0;
}

static CURLU *parse(const char *base, const char *ref, struct vl_err *err)
{
        CURLU *u = curl_url();
        CURLUcode uc;
        char *scheme = NULL;

        if (!u) {
                vl_err_set(err, VL_FATAL, "cannot allocate url handle");
                return NULL;
        }
        if (base) {
                uc = curl_url_set(u, CURLUPART_URL, base, 0);
                if (uc) {
                        vl_err_set(err, VL_REJECT, "bad base url '%.100s': %s",
                                   base, curl_url_strerror(uc));
                        goto fail;
                }
        }
        /* with a base set, a relative ref is resolved against it */
        uc = curl_url_set(u, CURLUPART_URL, ref,
                          CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE);
        if (uc) {
                vl_err_set(err, VL_REJECT, "bad url '%.100s': %s", ref,
                           curl_url_strerror(uc));
                goto fail;
        }
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
            (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
                vl_err_set(err, VL_REJECT, "not an http(s) url '%.100s'", ref);
                goto fail;
        }
        curl_free(scheme);
        return u;
fail:
        curl_free(scheme);
        curl_url_cleanup(u);
        return NULL;
}

char *vl_url_resolve(const char *base, const char *ref, struct vl_err *err)
{
        CURLU *u = parse(base, ref, err);
        char *s = NULL, *out;

        if (!u)
                return NULL;
        if (curl_url_get(u, CURLUPART_URL, &s, 0)) {
                vl_err_set(err, VL_REJECT, "cannot rebuild url '%.100s'", ref);
                curl_url_cleanup(u);
                return NULL;
        }
        out = vl_xstrdup(s);
        curl_free(s);
        curl_url_cleanup(u);
        return out;
}

/* Keep the query parameters that are not tracking ones, in their order. */
static void strip_tracking(CURLU *u)
{
        char *q = NULL;
        struct vl_buf b;
        const char *p, *end;

        if (curl_url_get(u, CURLUPART_QUERY, &q, 0) || !q)
                return;
        vl_buf_init(&b, 0);
        for (p = q; *p; p = *end ? end + 1 : end) {
                size_t keylen;

                end = strchr(p, '&');
                if (!end)
                        end = p + strlen(p);
                keylen = strcspn(p, "=&");
                if (keylen > (size_t)(end - p))
                        keylen = (size_t)(end - p);
                if (end == p || is_tracking(p, keylen))
                        continue;
                if (b.len)
                        vl_buf_append(&b, "&", 1, NULL);
                vl_buf_append(&b, p, (size_t)(end - p), NULL);
        }
        curl_url_set(u, CURLUPART_QUERY, b.len ? b.data : NULL, 0);
        vl_buf_release(&b);
        curl_free(q);
}

char *vl_url_canonical(const char *url, struct vl_err *err)
{
        CURLU *u = parse(NULL, url, err);
        char *s = NULL, *host = NULL, *out = NULL;

        if (!u)
                return NULL;
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        strip_tracking(u);
        if (!curl_url_get(u, CURLUPART_HOST, &host, 0) && host) {
                for (char *h = host; *h; h++)
                        if (*h >= 'A' && *h <= 'Z')
                                *h = (char)(*h - 'A' + 'a');
                curl_url_set(u, CURLUPART_HOST, host, 0);
        }
        /* CURLU_NO_DEFAULT_PORT drops :80 on http and :443 on https */
        if (curl_url_get(u, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT)) {
                vl_err_set(err, VL_REJECT, "cannot rebuild url '%.100s'", url);
                goto out;
        }
        out = vl_xstrdup(s);
out:
        curl_free(s);
        curl_free(host);
        curl_url_cleanup(u);
        return out;
}
