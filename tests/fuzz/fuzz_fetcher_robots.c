/*
 * Fuzz target: robots.txt parsing and matching (fetcher_robots_parse,
 * fetcher_robots_allowed, fetcher_robots_match) on arbitrary bytes.
 *
 * Input: a robots.txt. Its rules are then matched against a few fixed
 * paths and against each of its own lines (as paths), which exercises the
 * wildcard matcher with hostile patterns and hostile paths alike. Nothing
 * may crash, hang (the matcher is O(pattern * path)) or leak, and
 * /robots.txt is always allowed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fetcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = { "/", "/a", "/news/2024/x.html",
                                             "/a%2Fb?q=*$", "/caf%C3%A9" };
        struct fetcher_robots r;
        char *copy;
        size_t i, start = 0;
        int lines = 0;

        fetcher_robots_parse(&r, (const char *)data, size, "veille");
        if (!fetcher_robots_allowed(&r, "/robots.txt"))
                abort();
        for (i = 0; i < sizeof(paths) / sizeof(*paths); i++)
                fetcher_robots_allowed(&r, paths[i]);
        /* each line as a path, and as a pattern against the next line */
        copy = malloc(size + 1);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        copy[size] = '\0';
        for (i = 0; i <= size && lines < 64; i++) {
                if (i < size && copy[i] != '\n' && copy[i] != '\0')
                        continue;
                copy[i] = '\0';
                fetcher_robots_allowed(&r, copy + start);
                if (i + 1 < size)
                        fetcher_robots_match(copy + start, copy + i + 1);
                start = i + 1;
                lines++;
        }
        free(copy);
        fetcher_robots_release(&r);
        return 0;
}

#include "replay_main.h"
