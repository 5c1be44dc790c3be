#!/usr/bin/env bash
# veille-fetcher from cold to done over a local "web" of HOSTS hosts
# (127.0.0.2, 127.0.0.3, ...: one veille-fixture-httpd each, serving its
# generated site), each with a feed of PER_HOST articles: HOSTS * PER_HOST
# pages published to a veille-devbroker, with politeness on for every host
# (robots.txt fetched, at most one request in flight, DELAY_MS between two).
#
#   bench/fetcher/run.sh [BUILD_DIR]     HOSTS=100 PER_HOST=100 DELAY_MS=20
#   WRAP="valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out" ...
#                                        the fetcher under a wrapper
#
# Prints pages/s (wall clock, from start to exit), the fetcher's CPU time
# per page and its peak RSS (GNU time). The fixture servers and the broker
# run on the same cores and are not counted in the fetcher's CPU.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build/dev}
HOSTS=${HOSTS:-100}
PER_HOST=${PER_HOST:-100}
DELAY_MS=${DELAY_MS:-20}
CONCURRENT=${CONCURRENT:-256}
PORT=${PORT:-18181}
TMP=$(mktemp -d /tmp/veille-bench-fetcher.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

"$BUILD/tools/veille-devbroker" --partitions 4 --bootstrap-file "$TMP/boot" >/dev/null 2>"$TMP/broker.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/boot" ] && break; sleep 0.1; done
BOOT=$(cat "$TMP/boot")

: >"$TMP/sources.conf"
for i in $(seq 2 $((HOSTS + 1))); do
  "$BUILD/tools/veille-fixture-httpd" --listen "127.0.0.$i:$PORT" >/dev/null 2>>"$TMP/httpd.log" &
  PIDS+=($!)
  echo "http://127.0.0.$i:$PORT/_gen/$PER_HOST/feed.rss interval=1d" >>"$TMP/sources.conf"
done
# every server up
for i in $(seq 2 $((HOSTS + 1))); do
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.$i:$PORT/_gen/1/feed.rss" 2>/dev/null && break
    sleep 0.05
  done
done

mkdir -p "$TMP/state"
start=$(date +%s.%N)
# shellcheck disable=SC2086
/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" ${WRAP:-} \
  "$BUILD/fetcher/veille-fetcher" -X "bootstrap.servers=$BOOT" \
  --sources.file "$TMP/sources.conf" --state.dir "$TMP/state" --once \
  --fetch.allow.private --fetch.host.delay.ms "$DELAY_MS" \
  --fetch.max.concurrent "$CONCURRENT" --fetch.max.pending 20000 \
  --log.level warning 2>"$TMP/fetcher.log"
end=$(date +%s.%N)
pages=$(kcat -C -b "$BOOT" -t veille.pages -o beginning -e -q -f '%k\n' 2>/dev/null | sort -u | wc -l)
read -r wall user sys rss_kb <"$TMP/time"
python3 - "$pages" "$wall" "$user" "$sys" "$rss_kb" "$HOSTS" "$DELAY_MS" <<'PY'
import sys
pages, wall, user, sys_, rss, hosts, delay = sys.argv[1:]
pages, wall, cpu = int(pages), float(wall), float(user) + float(sys_)
print(f"hosts={hosts} delay_ms={delay} pages={pages} wall_s={wall:.2f} "
      f"pages_per_s={pages / wall:.0f} cpu_s={cpu:.2f} "
      f"cpu_us_per_page={cpu / max(pages, 1) * 1e6:.0f} peak_rss_mb={int(rss) / 1024:.1f}")
PY
grep -c . "$TMP/fetcher.log" | xargs -I{} echo "fetcher log lines: {}"
