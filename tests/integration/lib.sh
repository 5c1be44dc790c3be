# Shared helpers for the integration tests: each test runs the real binaries
# as separate processes against its own veille-devbroker and fixture server,
# over loopback. Source it, then call vl_init.
set -euo pipefail

VL_SOURCE_DIR=${VL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VL_BUILD_DIR=${VL_BUILD_DIR:-$VL_SOURCE_DIR/build/dev}
# one multiplier for every timeout: the sanitizer build runs slower
if [ -z "${VL_TIMEOUT_MULT:-}" ]; then
  case "$VL_BUILD_DIR" in *san*) VL_TIMEOUT_MULT=3 ;; *) VL_TIMEOUT_MULT=1 ;; esac
fi

VL_PIDS=()
VL_TMP=""

vl_bin() { echo "$VL_BUILD_DIR/$1/veille-$2"; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

vl_cleanup() {
  local rc=$?
  # stop in reverse order of start, each before the next, so the daemons
  # drain and commit while the broker is still up
  for ((i = ${#VL_PIDS[@]} - 1; i >= 0; i--)); do
    local pid=${VL_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq $((100 * VL_TIMEOUT_MULT))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ] && [ -n "$VL_TMP" ]; then
    for f in "$VL_TMP"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $(basename "$f") (last 40 lines)" >&2
      tail -n 40 "$f" >&2
    done
  fi
  [ -n "$VL_TMP" ] && [ -z "${VL_KEEP:-}" ] && rm -rf "$VL_TMP"
  exit $rc
}

vl_init() {
  VL_TMP=$(mktemp -d /tmp/veille-it.XXXXXX)
  trap vl_cleanup EXIT
  trap 'exit 130' INT TERM
  for b in tools/devbroker tools/fixture-httpd parser/parser; do
    [ -x "$(vl_bin "${b%%/*}" "${b##*/}")" ] || fail "not built: $b"
  done
}

# wait_until TIMEOUT_S CMD...: poll CMD every 0.2 s
wait_until() {
  local t=$(( $1 * VL_TIMEOUT_MULT )); shift
  local end=$((SECONDS + t))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

# start_broker [PARTITIONS]: sets BOOT
start_broker() {
  local parts=${1:-4}
  # faults go to the FIFO $VL_TMP/control: "down -1", "up -1", ...
  "$(vl_bin tools devbroker)" --partitions "$parts" --control "$VL_TMP/control" \
    --bootstrap-file "$VL_TMP/bootstrap" >"$VL_TMP/devbroker.out" 2>"$VL_TMP/devbroker.log" &
  VL_PIDS+=($!)
  wait_until 20 test -s "$VL_TMP/bootstrap" || fail "devbroker did not start"
  BOOT=$(cat "$VL_TMP/bootstrap")
  export BOOT
  log "devbroker at $BOOT"
}

# start_fixture ROOT [ARGS...]: sets BASE (http://127.0.0.1:PORT)
start_fixture() {
  local root=$1; shift
  "$(vl_bin tools fixture-httpd)" --root "$root" --port-file "$VL_TMP/http.port" "$@" \
    >"$VL_TMP/fixture.out" 2>"$VL_TMP/fixture.log" &
  VL_PIDS+=($!)
  wait_until 20 test -s "$VL_TMP/http.port" || fail "fixture server did not start"
  BASE="http://127.0.0.1:$(cat "$VL_TMP/http.port")"
  export BASE
  log "fixture server at $BASE"
}

# Settings every daemon gets against the mock (see docs/testing.md).
vl_kafka_args() {
  echo -X "bootstrap.servers=$BOOT" -X session.timeout.ms=6000 \
    -X heartbeat.interval.ms=1000 -X topic.metadata.refresh.interval.ms=2000
}

# start_daemon NAME [ARGS...]: starts veille-NAME, sets PID_<NAME>
start_daemon() {
  local name=$1; shift
  _start_as "$name" "$name" "PID_${name^^}" "$@"
}

# _start_as NAME TAG PIDVAR [ARGS...]: veille-NAME in the background, its
# output in $VL_TMP/TAG.out and .log, its pid in PIDVAR
_start_as() {
  local name=$1 tag=$2 var=$3; shift 3
  # shellcheck disable=SC2046
  "$(vl_bin "$name" "$name")" $(vl_kafka_args) "$@" >>"$VL_TMP/$tag.out" 2>>"$VL_TMP/$tag.log" &
  local pid=$!
  VL_PIDS+=($pid)
  printf -v "$var" '%s' "$pid"
  log "started veille-$name as $tag (pid $pid)"
}

# consume TOPIC OUTFILE: all messages currently in TOPIC as "key<TAB>value"
consume() {
  timeout $((30 * VL_TIMEOUT_MULT)) kcat -C -b "$BOOT" -t "$1" -o beginning -e -q \
    -f '%k\t%s\n' >"$2" 2>"$VL_TMP/kcat.log" || true
}

# count_unique_keys TOPIC: distinct keys in TOPIC
count_unique_keys() {
  consume "$1" "$VL_TMP/count.$1"
  cut -f1 "$VL_TMP/count.$1" | sort -u | grep -c . || true
}

# wait_keys TOPIC N TIMEOUT_S: until TOPIC holds N distinct keys
wait_keys() {
  local topic=$1 n=$2 t=$3
  _have_keys() { [ "$(count_unique_keys "$topic")" -ge "$n" ]; }
  wait_until "$t" _have_keys
}

# metrics_text NAME: veille-NAME's /metrics exposition, or nothing (the
# daemon must run with --metrics.listen 127.0.0.1:0; its port is in its log)
metrics_text() {
  local port
  port=$(grep -o 'serving /metrics and /healthz on http://127.0.0.1:[0-9]*' "$VL_TMP/$1.log" |
    tail -1 | sed 's/.*://')
  [ -n "$port" ] || return 0
  curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics" 2>/dev/null || true
}

# metric NAME METRIC: the value of METRIC (its first series) from
# veille-NAME's /metrics; 0 when absent
metric() {
  metrics_text "$1" |
    awk -v m="$2" '$1 ~ "^"m"[{ ]" {print $2; found=1} END {if (!found) print 0}'
}

# start_generated_fetcher N DELAY_MS: a broker, the fixture server and a
# fetcher that puts the N pages of the generated site on veille.pages, one
# every DELAY_MS (the politeness delay of its one host)
start_generated_fetcher() {
  local n=$1 delay=$2
  start_broker 4
  start_fixture "$VL_SOURCE_DIR/deploy/samples/site"
  echo "$BASE/_gen/$n/feed.rss interval=3600" >"$VL_TMP/sources.conf"
  mkdir -p "$VL_TMP/state"
  start_daemon fetcher --sources.file "$VL_TMP/sources.conf" --state.dir "$VL_TMP/state" \
    --fetch.allow.private --fetch.host.delay.ms "$delay"
}

# publish_generated_pages N: all N pages on veille.pages before the test's
# stages start (no politeness delay)
publish_generated_pages() {
  local n=$1
  start_generated_fetcher "$n" 0
  wait_keys veille.pages "$n" 180 || fail "the fetcher did not publish $n pages"
  log "$n pages on veille.pages"
}

# start_instance NAME ID [ARGS...]: one more veille-NAME (several may run),
# its stderr in $VL_TMP/NAME-ID.log, so that `metric NAME-ID ...` reads its
# /metrics; sets PID_<NAME>_<ID>
start_instance() {
  local name=$1 id=$2; shift 2
  _start_as "$name" "$name-$id" "PID_${name^^}_${id}" "$@"
}

# metric_series NAME SERIES: the value of one series of veille-NAME's
# /metrics, named with its labels as the exposition writes them
# ('veille_parser_pages_total{result="stub"}'); 0 when absent
metric_series() {
  metrics_text "$1" |
    awk -v s="$2" '$1 == s {print $2; found=1} END {if (!found) print 0}'
}

# check_dead_letters STAGE TSV KEY=MESSAGE...: the dead letters in TSV
# (from `consume veille.dlq`) hold one from STAGE, class reject, for each
# input KEY, its message containing MESSAGE
check_dead_letters() {
  local stage=$1 tsv=$2; shift 2
  /usr/bin/python3 - "$stage" "$tsv" "$@" <<'PYEOF'
import json, sys
stage, tsv, wants = sys.argv[1], sys.argv[2], sys.argv[3:]
recs = {}
for l in open(tsv):
    if l.strip():
        r = json.loads(l.split("\t", 1)[1])
        recs[r["input"]["key"]] = r
for w in wants:
    key, msg = w.split("=", 1)
    r = recs.get(key)
    assert r, f"no dead letter for {key}: {sorted(recs)}"
    assert r["stage"] == stage and r["error"]["class"] == "reject", r
    assert msg in r["error"]["message"], f"{key}: {r['error']['message']!r}, want {msg!r}"
    print(f"ok: {key} -> {r['error']['message']}")
PYEOF
}
