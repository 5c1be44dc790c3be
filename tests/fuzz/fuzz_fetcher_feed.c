/*
 * Fuzz target: the fetcher's feed parser (fetcher_feed_parse: RSS, Atom,
 * sitemaps, JSON Feed, URL lists) and feed autodiscovery
 * (fetcher_discover_feeds) on arbitrary bytes.
 *
 * Input: the first byte picks the type asked for (auto, rss, atom,
 * sitemap, json, urls), the rest is the document. It must never crash,
 * hang or leak; a refusal always says why; every item link and sitemap
 * child is an absolute URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "fetcher.h"
#include "veille/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum fetcher_feed_type wants[6] = {
        FETCHER_FEED_AUTO, FETCHER_FEED_RSS,  FETCHER_FEED_ATOM,
        FETCHER_FEED_SITEMAP, FETCHER_FEED_JSON, FETCHER_FEED_URLS,
};

static void check_url(const char *u)
{
        if (u && !strstr(u, "://"))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *url = "https://feeds.example/path/feed.xml";
        struct fetcher_discovered *found = NULL;
        struct fetcher_feed feed;
        struct vl_err err;
        int n;

        vl_log_level = VL_LOG_ERR;
        if (size == 0)
                return 0;
        memset(&err, 0, sizeof(err));
        if (fetcher_feed_parse(&feed, (const char *)data + 1, size - 1, url,
                               wants[data[0] % 6], &err) == VL_OK) {
                for (int i = 0; i < feed.n; i++)
                        check_url(feed.items[i].link);
                for (int i = 0; i < feed.nchildren; i++)
                        check_url(feed.children[i].url);
                fetcher_feed_release(&feed);
        } else if (!err.msg[0]) {
                abort();
        }
        n = fetcher_discover_feeds((const char *)data + 1, size - 1, url,
                                   &found);
        for (int i = 0; i < n; i++)
                check_url(found[i].url);
        fetcher_discovered_free(found, n);
        return 0;
}

#include "replay_main.h"
