#!/usr/bin/env bash
# Per-host politeness against hostile answers, read from the fixture
# server's request log: a 429 with Retry-After: 1 holds every request to
# the host for a second; two failures in a row (fetch.host.max.failures=2)
# pause the host for fetch.host.pause.ms, which is logged, and
# the host comes back on its own when it answers again.
source "$(dirname "$0")/lib.sh"
vl_init
SITE=$VL_SOURCE_DIR/tests/data/fetcher/site

start_fixture "$SITE" --verbose
"$(vl_bin fetcher fetcher)" --feed "$BASE/polite.rss" --fetch.allow.private --robots.obey=false \
  --fetch.retries 0 --fetch.host.max.failures 2 --fetch.host.pause.ms 700 --log.level info \
  >"$VL_TMP/pages.jsonl" 2>"$VL_TMP/fetcher.log" || fail "fetcher --feed failed"
[ "$(jq -s length "$VL_TMP/pages.jsonl")" -eq 3 ] || fail "want the 3 good pages"

grep -aE ' GET /' "$VL_TMP/fixture.log" >"$VL_TMP/requests" || fail "no request log"
# "<ts> notice ...: GET <path> <status>": the gap before each request
python3 - "$VL_TMP/requests" >"$VL_TMP/gaps" <<'PYEOF'
import datetime, sys
prev = None
for line in open(sys.argv[1]):
    f = line.split()
    t = datetime.datetime.strptime(f[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
    print(f[4], f[5], 0 if prev is None else round(t - prev))
    prev = t
PYEOF
cat "$VL_TMP/gaps" >&2
want="/polite.rss /a1.html /_status/429?retry_after=1 /a2.html /_status/500?n=1 /_status/500?n=2 /a3.html"
[ "$(awk '{printf "%s%s", sep, $1; sep=" "}' "$VL_TMP/gaps")" = "$want" ] || fail "unexpected requests"
# the request after the 429 waited its Retry-After (1 ms for the stamps)
awk '$1 == "/a2.html" && $3 < 999 {exit 1}' "$VL_TMP/gaps" || fail "Retry-After not honoured"
# the request after the second failure waited the pause
awk '$1 == "/a3.html" && $3 < 699 {exit 1}' "$VL_TMP/gaps" || fail "failing host not paused"
grep -q "host 'http://127.0.0.1:[0-9]*' paused for 700 ms after 2 failures in a row" "$VL_TMP/fetcher.log" ||
  fail "the pause was not logged"
grep -q "host 'http://127.0.0.1:[0-9]*' is back" "$VL_TMP/fetcher.log" || fail "the host did not come back"
log "PASS"
