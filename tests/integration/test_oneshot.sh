#!/usr/bin/env bash
# One-shot modes, no broker: each daemon turns one input into its output
# event on standard output, and they chain: fetcher --url | parser | enricher
# | sink gives what the pipeline would publish for one page.
source "$(dirname "$0")/lib.sh"
vl_init
S=$VL_SOURCE_DIR/deploy/samples
start_fixture "$S/site" --template
page=$BASE/articles/burkina-russie-renforcer-cooperation-militaire.html

"$(vl_bin fetcher fetcher)" --url "$page" --fetch.allow.private >"$VL_TMP/page.json" 2>"$VL_TMP/fetcher.log" \
  || fail "fetcher --url failed"
jq -e '.schema == "veille.page.v1" and .http.status == 200 and .body_bytes > 1000' "$VL_TMP/page.json" >/dev/null \
  || fail "fetcher --url printed no page event"

"$(vl_bin fetcher fetcher)" --feed "$BASE/feeds/rss.xml" --fetch.allow.private >"$VL_TMP/feed.jsonl" 2>>"$VL_TMP/fetcher.log" \
  || fail "fetcher --feed failed"
[ "$(jq -s length "$VL_TMP/feed.jsonl")" -eq 3 ] || fail "fetcher --feed: want 3 page events"

# the parser takes a page event on stdin, or an HTML file with its URL
"$(vl_bin parser parser)" --file - <"$VL_TMP/page.json" >"$VL_TMP/article.json" 2>"$VL_TMP/parser.log" \
  || fail "parser --file - failed"
jq -e '.schema == "veille.article.v1" and (.title | startswith("Le Burkina Faso et la Russie"))' \
  "$VL_TMP/article.json" >/dev/null || fail "parser: wrong article"
"$(vl_bin parser parser)" --file "$S/site/articles/burkina-russie-renforcer-cooperation-militaire.html" \
  --url "$page" >"$VL_TMP/article2.json" 2>>"$VL_TMP/parser.log" || fail "parser --file html failed"
[ "$(jq -r .id "$VL_TMP/article.json")" = "$(jq -r .id "$VL_TMP/article2.json")" ] \
  || fail "one page, two ids"

"$(vl_bin enricher enricher)" --file "$VL_TMP/article.json" >"$VL_TMP/enriched.json" 2>"$VL_TMP/enricher.log" \
  || fail "enricher --file failed"
jq -e '[.entities[] | select(.qid == "Q965")] | length == 1' "$VL_TMP/enriched.json" >/dev/null \
  || fail "enricher: no Burkina Faso (Q965)"

"$(vl_bin sink sink)" --file "$VL_TMP/enriched.json" --sink.watches "$S/watches.conf" \
  >"$VL_TMP/watch.jsonl" 2>"$VL_TMP/sink.log" || fail "sink --file failed"
jq -s -e 'map(.watch) | index("burkina") != null' "$VL_TMP/watch.jsonl" >/dev/null \
  || fail "sink: the burkina watch did not match"

# a rejected input: exit 1, its dead-letter record on stdout
rc=0
echo 'not json' | "$(vl_bin enricher enricher)" --file - >"$VL_TMP/dlq.json" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a rejected one-shot input exited $rc, want 1"
jq -e '.schema == "veille.dlq.v1" and .stage == "enricher"' "$VL_TMP/dlq.json" >/dev/null \
  || fail "no dead-letter record for a rejected input"
log "PASS"
