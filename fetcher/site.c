/* Sites: the unit a fetcher instance owns in topic mode, and the unit of
 * politeness. A site is a host name, or with fetch.politeness.key=domain its
 * registrable domain, from the public suffix list (libpsl's built-in copy):
 * www.example.co.uk and feeds.example.co.uk are both example.co.uk. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <libpsl.h>
#include "veille/mem.h"
#include "fetcher.h"

static void lower(char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char)(*s - 'A' + 'a');
}

static bool is_ip(const char *host)
{
        unsigned char buf[16];
        char tmp[64];
        size_t n = strlen(host);

        if (inet_pton(AF_INET, host, buf) == 1)
                return true;
        /* [::1] as libcurl gives it */
        if (n > 2 && n < sizeof(tmp) && host[0] == '[' && host[n - 1] == ']') {
                memcpy(tmp, host + 1, n - 2);
                tmp[n - 2] = '\0';
                host = tmp;
        }
        return inet_pton(AF_INET6, host, buf) == 1;
}

char *fetcher_host_domain(const char *host)
{
        const psl_ctx_t *psl = psl_builtin();
        const char *d = NULL;
        char *h = vl_xstrdup(host);
        char *r;

        lower(h);
        if (is_ip(h) || !*h)
                return h;
        if (psl)
                d = psl_registrable_domain(psl, h);
        if (!d) {
                /* no list, or @p host is itself a suffix: the last two
                 * labels, or the name as it is */
                const char *dot = strrchr(h, '.');

                d = h;
                if (dot) {
                        const char *p = dot;

                        while (p > h && p[-1] != '.')
                                p--;
                        d = p;
                }
        }
        r = vl_xstrdup(d);
        free(h);
        return r;
}

char *fetcher_site_key(const char *url, enum fetcher_polite_key mode)
{
        CURLU *u = curl_url();
        char *host = NULL;
        char *r = NULL;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host &&
            *host) {
                if (mode == FETCHER_POLITE_DOMAIN) {
                        r = fetcher_host_domain(host);
                } else {
                        r = vl_xstrdup(host);
                        lower(r);
                }
        }
        curl_free(host);
        curl_url_cleanup(u);
        return r;
}
