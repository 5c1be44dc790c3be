#!/usr/bin/env bash
# robots.txt and per-host politeness over real HTTP, against the fixture
# server's tests/data/fetcher/site: robots.txt is fetched once, its '*'
# group is obeyed (longest match, Allow beating a shorter Disallow, '*' and
# '$'), its Crawl-delay (0.3 s) outweighs a smaller fetch.host.delay.ms,
# and, from the server's own request log, no two requests to the host are
# closer than that. An agent its robots.txt shuts out fetches nothing.
source "$(dirname "$0")/lib.sh"
vl_init
SITE=$VL_SOURCE_DIR/tests/data/fetcher/site
FETCHER=$(vl_bin fetcher fetcher)

start_fixture "$SITE" --verbose
"$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --fetch.host.delay.ms 100 \
  >"$VL_TMP/pages.jsonl" 2>"$VL_TMP/fetcher.log" || fail "fetcher --feed failed"

# what was published: everything but the disallowed pages
jq -r .url "$VL_TMP/pages.jsonl" | sed "s|^$BASE||" | sort >"$VL_TMP/got"
printf '%s\n' /a1.html /a2.html /a3.html /a4.html /a5.html /a6.html \
  /doc.pdf?page=2 /private/open.html | sort >"$VL_TMP/want"
diff -u "$VL_TMP/want" "$VL_TMP/got" || fail "wrong pages published"
grep -q "private/secret.html': disallowed by robots.txt" "$VL_TMP/fetcher.log" ||
  fail "the disallowed page was not reported"

# what the server saw ("<ts> notice ...: GET <path> <status>")
grep -E ' GET /' "$VL_TMP/fixture.log" >"$VL_TMP/requests" || fail "no request log"
[ "$(grep -c ' GET /robots.txt ' "$VL_TMP/requests")" -eq 1 ] || fail "robots.txt not fetched exactly once"
[ "$(head -1 "$VL_TMP/requests" | awk '{print $5}')" = /robots.txt ] || fail "robots.txt was not the first request"
! grep -qE ' GET /(private/secret.html|doc.pdf) ' "$VL_TMP/requests" || fail "a disallowed URL was requested"
[ "$(wc -l <"$VL_TMP/requests")" -eq 10 ] || fail "want 10 requests (robots, feed, 8 pages), got $(wc -l <"$VL_TMP/requests")"

# politeness: the server logs each request when it answers it, in ms; the
# fetcher waits the delay after each answer, so consecutive log times are at
# least the delay apart (1 ms allowed for the truncation of both stamps)
python3 - "$VL_TMP/requests" 300 <<'PYEOF' || fail "two requests to one host closer than the Crawl-delay"
import datetime, sys
ts = []
for line in open(sys.argv[1]):
    t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    ts.append(t.timestamp() * 1000)
gaps = [round(b - a) for a, b in zip(ts, ts[1:])]
print("gaps (ms):", gaps, file=sys.stderr)
sys.exit(0 if min(gaps) >= int(sys.argv[2]) - 1 else 1)
PYEOF

# requests logged since line $1 of the server's log
requests_since() { tail -n +"$(($1 + 1))" "$VL_TMP/fixture.log" | grep -aE ' GET /' || true; }

# an agent shut out by its own group: not even the feed is fetched
mark=$(wc -l <"$VL_TMP/fixture.log")
rc=0
"$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --http.user.agent "OtherBot/2.0 (+http://example.org)" \
  >"$VL_TMP/other.jsonl" 2>"$VL_TMP/other.log" || rc=$?
[ "$rc" -eq 1 ] || fail "a feed disallowed by robots.txt exited $rc, want 1"
[ ! -s "$VL_TMP/other.jsonl" ] || fail "otherbot published pages"
grep -q "disallowed by robots.txt" "$VL_TMP/other.log" || fail "no robots.txt reason in the log"
[ "$(requests_since "$mark" | awk '{print $5}')" = /robots.txt ] || fail "otherbot requested more than robots.txt"

# robots.obey=false: robots.txt is neither fetched nor obeyed
mark=$(wc -l <"$VL_TMP/fixture.log")
"$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --robots.obey=false \
  >"$VL_TMP/all.jsonl" 2>>"$VL_TMP/fetcher.log" || fail "fetcher --robots.obey false failed"
[ "$(jq -s length "$VL_TMP/all.jsonl")" -eq 10 ] || fail "robots.obey=false: want 10 pages"
! grep -q ' GET /robots.txt ' <<<"$(requests_since "$mark")" || fail "robots.txt fetched with robots.obey=false"
log "PASS"
