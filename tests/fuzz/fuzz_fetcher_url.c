/*
 * Fuzz target: the URL handling the fetcher relies on, on arbitrary bytes:
 * vl_url_canonical (identity), vl_url_resolve (links in feeds) and the
 * page's id (fetcher_page_new).
 *
 * Input: up to the first newline, a base URL; the rest, a reference. A
 * canonical form must be stable (canonicalising it again gives itself)
 * and a page's id is always 32 hex digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fetcher.h"
#include "veille/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *u)
{
        struct fetcher_page *pg;
        struct vl_err err;
        char *c = vl_url_canonical(u, &err);
        char *c2;

        if (!c)
                return;
        c2 = vl_url_canonical(c, &err);
        if (!c2 || strcmp(c, c2))
                abort(); /* not stable */
        free(c2);
        free(c);
        pg = fetcher_page_new(u, &err);
        if (pg && strlen(pg->id) != VL_ID_LEN)
                abort();
        fetcher_page_destroy(pg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        char *nl, *abs;

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        nl = memchr(s, '\n', size);
        if (nl)
                *nl = '\0';
        check(s);
        if (nl) {
                abs = vl_url_resolve(s, nl + 1, NULL);
                if (abs)
                        check(abs);
                free(abs);
        }
        free(s);
        return 0;
}

#include "replay_main.h"
