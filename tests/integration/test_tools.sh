#!/usr/bin/env bash
# Integration test of the two tools: veille-devbroker (mock Kafka cluster
# reached with kcat) and veille-fixture-httpd (sample site, special routes).
#
# BIN_DIR: folder with veille-devbroker and veille-fixture-httpd (default:
# $VL_BUILD_DIR/tools, else build/dev/tools under the repository root).
# Exit 0 = pass. Every wait has a timeout; child processes are always
# stopped by the EXIT trap.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${BIN_DIR:-}" ]; then
  if [ -n "${VL_BUILD_DIR:-}" ]; then
    BIN_DIR=$VL_BUILD_DIR/tools
  else
    BIN_DIR=$ROOT/build/dev/tools
  fi
fi
case "$BIN_DIR" in /*) ;; *) BIN_DIR=$ROOT/$BIN_DIR ;; esac
MULT=${VL_TIMEOUT_MULT:-1}
DEVBROKER=$BIN_DIR/veille-devbroker
HTTPD=$BIN_DIR/veille-fixture-httpd
SITE=$ROOT/deploy/samples/site

TMP=$(mktemp -d /tmp/veille-tools.XXXXXX)
PIDS=()
FAILED=0

cleanup() {
  local rc=$?
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    for f in "$TMP"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $(basename "$f") (last 30 lines)" >&2
      tail -n 30 "$f" >&2
    done
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
ok() { log "ok: $*"; }
fail() { log "FAIL: $*"; exit 1; }

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds
wait_for() {
  local deadline=$(( $(date +%s) + $1 * MULT ))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# wait_exit PID SECONDS: wait for a child to exit; sets EXIT_RC to its exit
# status, or to "timeout" (no command substitution: wait needs this shell)
wait_exit() {
  local pid=$1 deadline=$(( $(date +%s) + $2 * MULT ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      EXIT_RC=timeout
      return 0
    fi
    sleep 0.05
  done
  EXIT_RC=0
  wait "$pid" || EXIT_RC=$?
}

for b in "$DEVBROKER" "$HTTPD"; do
  [ -x "$b" ] || fail "not built: $b"
done
command -v kcat >/dev/null || fail "kcat is not installed"
command -v curl >/dev/null || fail "curl is not installed"

CURL=(curl -sS --max-time $((10 * MULT)))

# ---------------------------------------------------------------- devbroker
log "devbroker: usage errors exit 2"
rc=0; "$DEVBROKER" --brokers 0 2>"$TMP/usage.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--brokers 0 exited $rc, want 2"
grep -q 'brokers' "$TMP/usage.err" || fail "no clear message for --brokers 0"
rc=0; "$DEVBROKER" --no-such-option 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "unknown option exited $rc, want 2"
grep -q -- '--bootstrap-file' <<<"$("$DEVBROKER" --help)" || fail "--help"
ok "devbroker usage"

log "devbroker: start"
"$DEVBROKER" --bootstrap-file "$TMP/bootstrap" --control "$TMP/control" \
  >"$TMP/devbroker.out" 2>"$TMP/devbroker.log" &
DB_PID=$!
PIDS+=("$DB_PID")
wait_for 10 test -s "$TMP/bootstrap" || fail "no bootstrap file"
wait_for 5 test -s "$TMP/devbroker.out" || fail "no bootstrap line on stdout"
BS=$(cat "$TMP/bootstrap")
[ "$(head -n 1 "$TMP/devbroker.out")" = "$BS" ] ||
  fail "stdout '$(head -n 1 "$TMP/devbroker.out")' differs from file '$BS'"
[[ "$BS" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "odd bootstrap '$BS'"
ok "bootstrap $BS"

timeout $((15 * MULT)) kcat -b "$BS" -L -m 5 >"$TMP/metadata.txt" ||
  fail "kcat -L failed"
for t in veille.pages veille.articles veille.enriched veille.dlq; do
  grep -q "topic \"$t\" with 4 partitions" "$TMP/metadata.txt" ||
    fail "topic $t with 4 partitions missing: $(cat "$TMP/metadata.txt")"
done
ok "four topics with 4 partitions"

MSG="hello-$$-$RANDOM"
printf 'k1:%s\n' "$MSG" |
  timeout $((15 * MULT)) kcat -b "$BS" -P -t veille.pages -K: ||
  fail "kcat produce failed"
timeout $((20 * MULT)) kcat -b "$BS" -C -t veille.pages -e -q \
  -X auto.offset.reset=earliest -f '%k:%s\n' >"$TMP/consumed.txt" ||
  fail "kcat consume failed"
grep -qx "k1:$MSG" "$TMP/consumed.txt" ||
  fail "message not consumed back: $(cat "$TMP/consumed.txt")"
ok "produce and consume round trip"

# fault injection through the control FIFO
[ -p "$TMP/control" ] || fail "control FIFO not created"
echo "down 1" >"$TMP/control"
wait_for 5 grep -q "control 'down 1' done" "$TMP/devbroker.log" ||
  fail "control command 'down 1' not applied"
echo "up -1" >"$TMP/control"
wait_for 5 grep -q "control 'up -1' done" "$TMP/devbroker.log" ||
  fail "control command 'up -1' not applied"
kill -USR1 "$DB_PID"
wait_for 5 grep -q "SIGUSR1" "$TMP/devbroker.log" || fail "SIGUSR1 not handled"
kill -USR2 "$DB_PID"
wait_for 5 grep -q "SIGUSR2" "$TMP/devbroker.log" || fail "SIGUSR2 not handled"
timeout $((15 * MULT)) kcat -b "$BS" -L -t veille.dlq >/dev/null ||
  fail "cluster not reachable after up"
ok "fault injection"

kill -TERM "$DB_PID"
wait_exit "$DB_PID" 10
[ "$EXIT_RC" = 0 ] || fail "devbroker exit on SIGTERM: $EXIT_RC"
[ ! -e "$TMP/control" ] || fail "control FIFO left behind"
ok "devbroker SIGTERM exit 0"

# ---------------------------------------------------------- fixture server
log "fixture-httpd: usage errors exit 2"
rc=0; "$HTTPD" --listen 8.8.8.8:80 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "non-loopback --listen exited $rc, want 2"
rc=0; "$HTTPD" --root "$TMP/nonexistent" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad --root exited $rc, want 2"

# a private copy of the site, plus files the checks need
mkdir -p "$TMP/site"
cp -r "$SITE/." "$TMP/site/"
printf 'plain text\n' >"$TMP/site/hello.txt"
printf 'secret\n' >"$TMP/secret.txt"

"$HTTPD" --root "$TMP/site" --template --verbose --port-file "$TMP/port" \
  >"$TMP/httpd.out" 2>"$TMP/httpd.log" &
H_PID=$!
PIDS+=("$H_PID")
wait_for 10 test -s "$TMP/port" || fail "no port file"
wait_for 5 test -s "$TMP/httpd.out" || fail "no base URL on stdout"
BASE=$(head -n 1 "$TMP/httpd.out")
[ "$BASE" = "http://127.0.0.1:$(cat "$TMP/port")" ] ||
  fail "base '$BASE' does not match port file $(cat "$TMP/port")"
ok "fixture server at $BASE"

# static file, ETag, conditional GET
"${CURL[@]}" -D "$TMP/h1" -o "$TMP/b1" "$BASE/hello.txt"
grep -qi '^HTTP/1.1 200' "$TMP/h1" || fail "GET hello.txt: $(head -1 "$TMP/h1")"
grep -qi '^content-type: text/plain' "$TMP/h1" || fail "hello.txt content type"
ETAG=$(grep -i '^etag:' "$TMP/h1" | cut -d' ' -f2- | tr -d '\r')
[ -n "$ETAG" ] || fail "no ETag"
grep -qi '^last-modified:' "$TMP/h1" || fail "no Last-Modified"
[ "$(cat "$TMP/b1")" = "plain text" ] || fail "wrong body"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" \
  "$BASE/hello.txt")
[ "$code" = 304 ] || fail "If-None-Match gave $code, want 304"
LM=$(grep -i '^last-modified:' "$TMP/h1" | cut -d' ' -f2- | tr -d '\r')
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $LM" \
  "$BASE/hello.txt")
[ "$code" = 304 ] || fail "If-Modified-Since gave $code, want 304"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'If-None-Match: "nope"' \
  "$BASE/hello.txt")
[ "$code" = 200 ] || fail "stale If-None-Match gave $code, want 200"
ok "ETag and 304"

code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/missing.html")
[ "$code" = 404 ] || fail "missing file gave $code"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST -d x=1 \
  "$BASE/hello.txt")
[ "$code" = 405 ] || fail "POST gave $code, want 405"
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/articles/../../secret.txt'; do
  code=$("${CURL[@]}" --path-as-is -o "$TMP/trav" -w '%{http_code}' "$BASE$p")
  case "$code" in 403|404) ;; *) fail "traversal $p gave $code" ;; esac
  ! grep -q secret "$TMP/trav" || fail "traversal $p leaked the file"
done
ok "404, 405 and path traversal"

# 429 with Retry-After
"${CURL[@]}" -D "$TMP/h2" -o /dev/null "$BASE/_status/429?retry_after=3"
grep -q '^HTTP/1.1 429' "$TMP/h2" || fail "_status/429: $(head -1 "$TMP/h2")"
grep -qi '^retry-after: 3' "$TMP/h2" || fail "no Retry-After: 3"
ok "429 + Retry-After"

# redirect chain
out=$("${CURL[@]}" -L --max-redirs 5 -w '\n%{num_redirects} %{url_effective}' \
  "$BASE/_redirect/3/hello.txt")
[ "$(printf '%s\n' "$out" | head -n 1)" = "plain text" ] ||
  fail "redirect chain body: $out"
[ "$(printf '%s\n' "$out" | tail -n 1)" = "3 $BASE/hello.txt" ] ||
  fail "redirect chain: $(printf '%s\n' "$out" | tail -n 1)"
rc=0; "${CURL[@]}" -L --max-redirs 10 -o /dev/null "$BASE/_loop/a" 2>/dev/null ||
  rc=$?
[ "$rc" -eq 47 ] || fail "redirect loop: curl exited $rc, want 47"
ok "redirects"

# gzip
"${CURL[@]}" -D "$TMP/h3" -o "$TMP/raw.gz" "$BASE/_gzip/hello.txt"
grep -qi '^content-encoding: gzip' "$TMP/h3" || fail "no Content-Encoding: gzip"
[ "$(gzip -dc "$TMP/raw.gz")" = "plain text" ] || fail "gzip body"
[ "$("${CURL[@]}" --compressed "$BASE/_gzip/hello.txt")" = "plain text" ] ||
  fail "curl --compressed"
ok "gzip"

# generated feed and pages
"${CURL[@]}" -o "$TMP/gen.rss" "$BASE/_gen/500/feed.rss"
n=$(grep -c '<item>' "$TMP/gen.rss" || true)
[ "$n" = 500 ] || fail "_gen/500/feed.rss has $n items"
grep -q "<link>$BASE/_gen/500/article/499.html</link>" "$TMP/gen.rss" ||
  fail "generated feed links"
a1=$("${CURL[@]}" "$BASE/_gen/500/article/42.html" | md5sum)
a2=$("${CURL[@]}" "$BASE/_gen/500/article/42.html" | md5sum)
[ "$a1" = "$a2" ] || fail "generated article not deterministic"
grep -q 'Article 42 : ' <<<"$("${CURL[@]}" "$BASE/_gen/500/article/42.html")" ||
  fail "generated article title"
ok "generated site"

# {{BASE}} substitution, and the ETag follows the substituted bytes
"${CURL[@]}" -D "$TMP/h4" -o "$TMP/rss.xml" "$BASE/feeds/rss.xml"
grep -q "<link>$BASE/articles/" "$TMP/rss.xml" || fail "{{BASE}} not substituted"
! grep -q '{{BASE}}' "$TMP/rss.xml" || fail "{{BASE}} left in the feed"
grep -qi '^content-type: application/xml' "$TMP/h4" || fail "rss.xml type"
ETAG=$(grep -i '^etag:' "$TMP/h4" | cut -d' ' -f2- | tr -d '\r')
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" \
  "$BASE/feeds/rss.xml")
[ "$code" = 304 ] || fail "template If-None-Match gave $code"
"${CURL[@]}" -o "$TMP/index.html" "$BASE/"
grep -q 'application/atom+xml' "$TMP/index.html" || fail "index.html"
for slug in $(grep -o '"slug": "[^"]*"' "$ROOT/deploy/samples/expected.json" |
              cut -d'"' -f4); do
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/articles/$slug.html")
  [ "$code" = 200 ] || fail "sample article $slug gave $code"
done
ok "{{BASE}} templates and sample site"

kill -TERM "$H_PID"
wait_exit "$H_PID" 10
[ "$EXIT_RC" = 0 ] || fail "fixture server exit on SIGTERM: $EXIT_RC"
ok "fixture server SIGTERM exit 0"

log "PASS"
