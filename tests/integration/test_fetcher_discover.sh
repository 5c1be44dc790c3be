#!/usr/bin/env bash
# Feed autodiscovery: a source of type=site names a home page; the fetcher
# reads the feeds it announces (<link rel="alternate">: RSS and JSON Feed,
# not the comments feed) and the sitemaps of its robots.txt (a sitemap
# index), and publishes every allowed page they list, each once.
source "$(dirname "$0")/lib.sh"
vl_init
start_broker 1
start_fixture "$VL_SOURCE_DIR/tests/data/fetcher/site"
echo "$BASE/ type=site site=\"Fixture\"" >"$VL_TMP/sources.conf"
mkdir -p "$VL_TMP/state"
"$(vl_bin fetcher fetcher)" $(vl_kafka_args) --sources.file "$VL_TMP/sources.conf" \
  --state.dir "$VL_TMP/state" --fetch.allow.private --once \
  >"$VL_TMP/fetcher.out" 2>"$VL_TMP/fetcher.log" || fail "fetcher --once failed"
consume veille.pages "$VL_TMP/pages.tsv"
cut -f2- "$VL_TMP/pages.tsv" | jq -r .url | sed "s|^$BASE||" | sort >"$VL_TMP/got"
# feed.rss: a1-a6, open, doc.pdf?page=2; feed.json: a5, a6; sitemaps: a1-a4
printf '%s\n' /a1.html /a2.html /a3.html /a4.html /a5.html /a6.html \
  /doc.pdf?page=2 /private/open.html | sort >"$VL_TMP/want"
diff -u "$VL_TMP/want" "$VL_TMP/got" || fail "wrong pages from the discovered feeds"
[ "$(cut -f1 "$VL_TMP/pages.tsv" | sort | uniq -d | wc -l)" -eq 0 ] || fail "a page published twice"
! grep -q 'comments/feed' "$VL_TMP/fetcher.log" || fail "the comments feed was polled"
log "PASS"
