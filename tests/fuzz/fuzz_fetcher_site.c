/*
 * Fuzz target: the records of the sources and state topics (topic mode),
 * which any producer may write: fetcher_sources_from_json on a site record,
 * fetcher_source_apply_state on a state, fetcher_source_to_json and
 * fetcher_source_state back, and fetcher_site_key on each source's URL.
 *
 * Input: JSON bytes, used both as a site record and, member by member of
 * its "sources" object (a state record's shape), as states. A site record
 * that is read gives sources whose JSON reads back to the same sources.
 * Nothing may crash, leak or abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fetcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct fetcher_source *s)
{
        struct fetcher_sources again = { 0 };
        struct vl_err err;
        json_t *site = json_pack("{s:[o]}", "sources",
                                 fetcher_source_to_json(s));

        if (fetcher_sources_from_json(&again, site, &err) != VL_OK ||
            again.n != 1 || strcmp(again.v[0]->url, s->url) ||
            again.v[0]->type != s->type ||
            again.v[0]->interval_s != s->interval_s ||
            again.v[0]->ntags != s->ntags)
                abort();
        fetcher_sources_release(&again);
        json_decref(site);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *j = json_loadb((const char *)data, size, 0, NULL);
        struct fetcher_sources ss = { 0 };
        const json_t *states, *st;
        struct vl_err err;
        const char *url;

        if (!j)
                return 0;
        if (fetcher_sources_from_json(&ss, j, &err) == VL_OK) {
                for (int i = 0; i < ss.n; i++) {
                        char *h = fetcher_site_key(ss.v[i]->url,
                                                   FETCHER_POLITE_HOST);
                        char *d = fetcher_site_key(ss.v[i]->url,
                                                   FETCHER_POLITE_DOMAIN);

                        if (!h || !d)
                                abort(); /* a source has an http(s) host */
                        free(h);
                        free(d);
                        check_round_trip(ss.v[i]);
                }
        }
        /* every member of "sources" as a state, on a fresh source */
        states = json_object_get(j, "sources");
        json_object_foreach((json_t *)(uintptr_t)states, url, st) {
                struct fetcher_source *s = fetcher_source_new(url);
                json_t *out;

                fetcher_source_apply_state(s, st);
                fetcher_source_apply_state(s, j);
                out = fetcher_source_state(s);
                json_decref(out);
                fetcher_source_unref(s);
        }
        fetcher_sources_release(&ss);
        json_decref(j);
        return 0;
}

#include "replay_main.h"
