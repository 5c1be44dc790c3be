#!/usr/bin/env bash
# Every kind of source over real HTTP, against the fixture server's
# tests/data/fetcher/site: a sitemap index whose two sitemaps (one a Google
# News sitemap) are fetched and their items published with the news title
# and date; a JSON Feed; a plain URL list; robots.txt still obeyed for
# sitemap items.
source "$(dirname "$0")/lib.sh"
vl_init
SITE=$VL_SOURCE_DIR/tests/data/fetcher/site
FETCHER=$(vl_bin fetcher fetcher)
# served from a copy, so that the URL list (which needs BASE) can be added
cp -r "$SITE" "$VL_TMP/site"
start_fixture "$VL_TMP/site"

urls() { jq -r .url "$1" | sed "s|^$BASE||" | sort | tr '\n' ' '; }

"$FETCHER" --feed "$BASE/sitemap_index.xml" --fetch.allow.private \
  >"$VL_TMP/sm.jsonl" 2>"$VL_TMP/fetcher.log" || fail "fetcher --feed sitemap index failed"
[ "$(urls "$VL_TMP/sm.jsonl")" = "/a1.html /a2.html /a3.html /a4.html " ] ||
  fail "sitemap index: wrong pages: $(urls "$VL_TMP/sm.jsonl")"
jq -e -s 'map(select(.url | endswith("/a2.html")))[0] |
  .item.title == "Article deux" and .item.published == "2024-05-02T07:45:00Z" and
  .source.site == "Fixture News" and .source.lang == "fr"' "$VL_TMP/sm.jsonl" >/dev/null ||
  fail "news sitemap metadata lost"
jq -e -s 'map(select(.url | endswith("/a3.html")))[0].item.updated == "2024-04-29T00:00:00Z"' \
  "$VL_TMP/sm.jsonl" >/dev/null || fail "sitemap lastmod lost"
grep -q "private/secret.html': disallowed by robots.txt" "$VL_TMP/fetcher.log" ||
  fail "robots.txt not applied to sitemap items"

"$FETCHER" --feed "$BASE/feed.json" --fetch.allow.private \
  >"$VL_TMP/json.jsonl" 2>>"$VL_TMP/fetcher.log" || fail "fetcher --feed JSON Feed failed"
[ "$(urls "$VL_TMP/json.jsonl")" = "/a5.html /a6.html " ] || fail "JSON Feed: wrong pages"
jq -e -s 'map(select(.url | endswith("/a5.html")))[0] |
  .item.title == "Cinq" and .item.published == "2024-05-01T08:00:00Z" and
  .item.authors == ["A. Auteur"] and .item.categories == ["un", "deux"] and
  .source.site == "Fixture JSON"' "$VL_TMP/json.jsonl" >/dev/null || fail "JSON Feed metadata lost"

printf '# pages\n%s/a1.html\n\n%s/private/open.html\nnot a url\n' "$BASE" "$BASE" >"$VL_TMP/site/urls.txt"
"$FETCHER" --feed "$BASE/urls.txt" --fetch.allow.private \
  >"$VL_TMP/urls.jsonl" 2>>"$VL_TMP/fetcher.log" || fail "fetcher --feed URL list failed"
[ "$(urls "$VL_TMP/urls.jsonl")" = "/a1.html /private/open.html " ] || fail "URL list: wrong pages"
log "PASS"
