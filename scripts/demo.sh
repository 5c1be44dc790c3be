#!/usr/bin/env bash
# Runs the whole pipeline on the embedded default: veille-devbroker (the
# librdkafka mock cluster), the fixture server serving the sample news site,
# and the four daemons; prints enriched events as they arrive. Ctrl-C stops
# everything cleanly. Started by `./dev demo`; expects a dev build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VL_BUILD_DIR:-$ROOT/build/dev}
RUN=${VL_RUN_DIR:-$ROOT/run}
rm -rf "$RUN" && mkdir -p "$RUN/state"
PIDS=()

stop_all() {
  trap - INT TERM EXIT
  echo >&2
  echo "==> stopping (SIGTERM, in reverse order)" >&2
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  echo "==> stopped; logs in $RUN/*.log, files in $RUN/" >&2
  exit 0
}
trap stop_all INT TERM EXIT

start() { # NAME CMD...
  local name=$1; shift
  # own session: Ctrl-C reaches only this script, which then sends one SIGTERM
  setsid "$@" >"$RUN/$name.out" 2>"$RUN/$name.log" &
  PIDS+=($!)
}

wait_file() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1 (see $RUN/*.log)" >&2; exit 1
}

start devbroker "$BUILD/tools/veille-devbroker" --partitions 4 --bootstrap-file "$RUN/bootstrap"
wait_file "$RUN/bootstrap"
BOOT=$(cat "$RUN/bootstrap")
start fixture "$BUILD/tools/veille-fixture-httpd" --root "$ROOT/deploy/samples/site" \
  --template --port-file "$RUN/http.port"
wait_file "$RUN/http.port"
BASE="http://127.0.0.1:$(cat "$RUN/http.port")"
sed "s#{{BASE}}#$BASE#g" "$ROOT/deploy/samples/sources.conf" >"$RUN/sources.conf"

# Every daemon reaches the mock broker; short sessions make rebalances quick
# on the mock (docs/testing.md).
export VEILLE_KAFKA_BOOTSTRAP_SERVERS=$BOOT
export VEILLE_KAFKA_SESSION_TIMEOUT_MS=6000
export VEILLE_KAFKA_HEARTBEAT_INTERVAL_MS=1000

start sink "$BUILD/sink/veille-sink" --sink.watches "$ROOT/deploy/samples/watches.conf" \
  --sink.file "$RUN/enriched.jsonl" --metrics.listen 127.0.0.1:9104
start enricher "$BUILD/enricher/veille-enricher" --metrics.listen 127.0.0.1:9103
start parser "$BUILD/parser/veille-parser" --metrics.listen 127.0.0.1:9102
start fetcher "$BUILD/fetcher/veille-fetcher" --sources.file "$RUN/sources.conf" \
  --state.dir "$RUN/state" --fetch.allow.private --poll.interval.s 30 \
  --metrics.listen 127.0.0.1:9101

cat >&2 <<TXT
==> veille is running
    broker     $BOOT   (kcat -b $BOOT -L)
    samples    $BASE/
    metrics    http://127.0.0.1:9101/metrics (fetcher) ... :9104 (sink)
    files      $RUN/enriched.jsonl
    watch      kcat -b $BOOT -C -t veille.watch.burkina -e
==> enriched events (title, language, entities), Ctrl-C to stop:
TXT
kcat -b "$BOOT" -C -t veille.enriched -o beginning -q -u \
  -X topic.metadata.refresh.interval.ms=1000 -f '%s\n' 2>/dev/null |
  jq --unbuffered -r '"\(.title)  [\(.lang)]\n    " +
    ([.entities[] | "\(.name)\(if .qid then " (" + .qid + ")" else "" end)"] | join(", "))' &
PIDS+=($!)
wait
