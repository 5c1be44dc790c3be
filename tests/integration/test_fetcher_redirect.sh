#!/usr/bin/env bash
# A redirect to another host is a request to that host like any other: it
# is checked against that host's robots.txt and waits for that host's
# politeness delay. x.localhost (libcurl resolves *.localhost to loopback)
# and 127.0.0.1 are two hosts of one fixture server, whose /_loop/a on any
# host redirects to http://127.0.0.1:PORT/_loop/b, and back.
source "$(dirname "$0")/lib.sh"
vl_init
FETCHER=$(vl_bin fetcher fetcher)

mkdir -p "$VL_TMP/site"
for a in a1 a2; do
  echo "<html><head><title>$a</title></head><body><p>$a</p></body></html>" >"$VL_TMP/site/$a.html"
done
printf 'User-agent: *\nDisallow: /_loop/b\n' >"$VL_TMP/site/robots.txt"
start_fixture "$VL_TMP/site" --verbose
PORT=${BASE##*:}
cat >"$VL_TMP/site/feed.rss" <<XML
<?xml version="1.0"?><rss version="2.0"><channel><title>Redirects</title>
<item><title>elsewhere</title><link>http://x.localhost:$PORT/_loop/a</link></item>
<item><title>1</title><link>a1.html</link></item>
<item><title>2</title><link>a2.html</link></item>
</channel></rss>
XML
# requests logged since line $1 of the server's log: "<ts> ... GET <path> <status>"
requests_since() { tail -n +"$(($1 + 1))" "$VL_TMP/fixture.log" | grep -aE ' GET /' || true; }

# 1. robots.txt: x.localhost allows /_loop/a, but its redirect lands on
# 127.0.0.1's /_loop/b, which 127.0.0.1's robots.txt disallows
mark=$(wc -l <"$VL_TMP/fixture.log")
"$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --fetch.host.delay.ms 0 \
  >"$VL_TMP/robots.jsonl" 2>"$VL_TMP/fetcher.log" || fail "fetcher --feed failed"
requests_since "$mark" | awk '{print $5}' >"$VL_TMP/paths"
cat "$VL_TMP/paths" >&2
[ "$(grep -c '^/robots.txt$' "$VL_TMP/paths")" -eq 2 ] || fail "want the robots.txt of both hosts"
[ "$(grep -c '^/_loop/a$' "$VL_TMP/paths")" -eq 1 ] || fail "want one request of /_loop/a"
! grep -q '^/_loop/b$' "$VL_TMP/paths" || fail "the disallowed redirect target was requested"
grep -q "cannot fetch 'http://x.localhost:$PORT/_loop/a': its redirect to 'http://127.0.0.1:$PORT/_loop/b' is disallowed by robots.txt" \
  "$VL_TMP/fetcher.log" || fail "the refused redirect was not reported"
[ "$(jq -r .url "$VL_TMP/robots.jsonl" | sed "s|^$BASE/||" | sort | tr '\n' ' ')" = "a1.html a2.html " ] ||
  fail "want the pages a1 and a2"

# 2. politeness: without robots.txt the redirect goes 127.0.0.1/_loop/b ->
# /_loop/a -> /_loop/b, a loop; each hop on 127.0.0.1 waits for its delay
# like the feed and the pages of 127.0.0.1 do
mark=$(wc -l <"$VL_TMP/fixture.log")
"$FETCHER" --feed "$BASE/feed.rss" --fetch.allow.private --robots.obey=false --fetch.host.delay.ms 400 \
  >"$VL_TMP/delay.jsonl" 2>"$VL_TMP/fetcher.log" || fail "fetcher --feed failed"
requests_since "$mark" >"$VL_TMP/requests"
cat "$VL_TMP/requests" >&2
[ "$(awk '{print $5}' "$VL_TMP/requests" | sort | tr '\n' ' ')" = "/_loop/a /_loop/a /_loop/b /a1.html /a2.html /feed.rss " ] ||
  fail "unexpected requests"
grep -q "cannot fetch 'http://x.localhost:$PORT/_loop/a': redirect loop after 2 redirects" "$VL_TMP/fetcher.log" ||
  fail "the loop was not reported"
# every request but x.localhost's one (the first /_loop/a) is 127.0.0.1's
python3 - "$VL_TMP/requests" 400 <<'PYEOF' || fail "two requests to 127.0.0.1 closer than its delay"
import datetime, sys
ts, skipped = [], False
for line in open(sys.argv[1]):
    f = line.split()
    if f[4] == "/_loop/a" and not skipped:
        skipped = True
        continue
    ts.append(datetime.datetime.strptime(f[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000)
gaps = [round(b - a) for a, b in zip(ts, ts[1:])]
print("gaps between 127.0.0.1's requests (ms):", gaps, file=sys.stderr)
sys.exit(0 if len(gaps) == 4 and min(gaps) >= int(sys.argv[2]) - 1 else 1)
PYEOF
log "PASS"
