#!/usr/bin/env bash
# End-to-end latency on the demo pipeline: how long from the fetcher's poll
# of a feed that shows a new article to that article's match arriving on a
# watch topic.
#
# Runs what scripts/demo.sh runs (veille-devbroker, the fixture server over
# a copy of deploy/samples/site, the four daemons with their default
# settings, the sample watches), with one feed polled every 3 seconds. Every
# GAP seconds the script adds one new article to that feed (a page of the
# fixture's generated site, copied into the served folder) and a consumer
# (kcat in a group on ^veille\.watch\..*) stamps each match as it arrives.
# Then, per article:
#   poll   the first GET of the feed (fixture log) after the article was added
#   fetch  the article's fetched_at (when the fetcher had its page)
#   match  when its first match record reached the consumer
# and the hops between stages from the records' Kafka timestamps.
#
# usage: bench/sink/e2e-latency.sh [N_ARTICLES (20)] [GAP_S (4)]
#   VL_BUILD_DIR (default build/dev), VL_KEEP=1 keeps the run folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${VL_BUILD_DIR:-$ROOT/build/dev}
N=${1:-20}
GAP=${2:-4}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/veille-lat.XXXXXX)
PIDS=()

cleanup() {
  local rc=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  if [ -z "${VL_KEEP:-}" ]; then rm -rf "$TMP"; else echo "run folder: $TMP" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
wait_file() {
  for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.1; done
  say "timed out waiting for $1"; exit 1
}
start() { # NAME CMD...
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  PIDS+=($!)
}

cp -r "$ROOT/deploy/samples/site" "$TMP/site"
feed() { # the feed with items 1..$1, newest first
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<rss version="2.0"><channel><title>Bench</title><link>{{BASE}}/</link>'
    [ -f "$TMP/site/feeds/bench.first" ] && cat "$TMP/site/feeds/bench.first"
    for ((j = $1; j >= 1; j--)); do
      echo "<item><title>Article $j</title><link>{{BASE}}/articles/g$j.html</link>"
      echo "<pubDate>$(date -u -R)</pubDate></item>"
    done
    echo '</channel></rss>'
  } >"$TMP/site/feeds/bench.xml.tmp"
  mv "$TMP/site/feeds/bench.xml.tmp" "$TMP/site/feeds/bench.xml"
}
feed 0

start devbroker "$BUILD/tools/veille-devbroker" --partitions 4 --bootstrap-file "$TMP/bootstrap"
wait_file "$TMP/bootstrap"
BOOT=$(cat "$TMP/bootstrap")
start fixture "$BUILD/tools/veille-fixture-httpd" --root "$TMP/site" --template \
  --verbose --port-file "$TMP/http.port"
wait_file "$TMP/http.port"
BASE="http://127.0.0.1:$(cat "$TMP/http.port")"
echo "$BASE/feeds/bench.xml lang=fr site=\"Sahel Actu\" interval=3" >"$TMP/sources.conf"
mkdir -p "$TMP/state"

# as scripts/demo.sh: the mock broker, short sessions
export VEILLE_KAFKA_BOOTSTRAP_SERVERS=$BOOT
export VEILLE_KAFKA_SESSION_TIMEOUT_MS=6000
export VEILLE_KAFKA_HEARTBEAT_INTERVAL_MS=1000
start sink "$BUILD/sink/veille-sink" --sink.watches "$ROOT/deploy/samples/watches.conf"
start enricher "$BUILD/enricher/veille-enricher"
start parser "$BUILD/parser/veille-parser"
for d in sink enricher parser; do
  for _ in $(seq 300); do grep -q assigned "$TMP/$d.log" && break; sleep 0.1; done
done
start fetcher "$BUILD/fetcher/veille-fetcher" --sources.file "$TMP/sources.conf" \
  --state.dir "$TMP/state" --fetch.allow.private

# a first article, not measured, so that the watch topics exist (the sink
# creates them with its first match) before the consumer subscribes
curl -fsS "$BASE/_gen/20000/article/0.html" -o "$TMP/site/articles/g0.html"
echo "<item><title>Article 0</title><link>{{BASE}}/articles/g0.html</link></item>" \
  >"$TMP/site/feeds/bench.first"
feed 0
watch_topics() {
  kcat -b "$BOOT" -L 2>/dev/null | grep -o 'topic "veille\.watch\.[^"]*"' |
    sed 's/topic "\(.*\)"/\1/' | sort -u
}
for _ in $(seq 600); do [ -n "$(watch_topics)" ] && break; sleep 0.1; done
TOPICS=$(watch_topics)
[ -n "$TOPICS" ] || { say "no watch topic appeared"; exit 1; }
say "watch topics: $(echo $TOPICS)"
# the consumer that stamps arrivals
# shellcheck disable=SC2086
kcat -b "$BOOT" -G veille-bench-latency -X auto.offset.reset=latest \
  -X fetch.wait.max.ms=100 -u \
  -f '%t\t%k\t%T\t%s\n' $TOPICS 2>"$TMP/kcat.log" |
  $PY -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f\t%s" % (time.time(), line))
' >"$TMP/arrivals.tsv" &
PIDS+=($!)
for _ in $(seq 300); do grep -q 'assigned' "$TMP/kcat.log" && break; sleep 0.1; done
sleep 1
say "pipeline up; adding $N articles, one every $GAP s"

: >"$TMP/added.tsv"
for ((i = 1; i <= N; i++)); do
  curl -fsS "$BASE/_gen/20000/article/$i.html" -o "$TMP/site/articles/g$i.html"
  feed "$i"
  printf '%d\t%.3f\n' "$i" "$($PY -c 'import time; print(time.time())')" >>"$TMP/added.tsv"
  sleep "$GAP"
done
have() { cut -f5- "$TMP/arrivals.tsv" | grep -o '"canonical_url":"[^"]*"' | sort -u | grep -c . || true; }
for _ in $(seq 300); do [ "$(have)" -ge "$N" ] && break; sleep 0.1; done
say "$(have) of $N articles matched"
for t in articles enriched; do
  timeout 30 kcat -C -b "$BOOT" -t "veille.$t" -o beginning -e -q -f '%k\t%T\n' \
    >"$TMP/$t.ts" 2>>"$TMP/kcat.log" || true
done

$PY - "$TMP" "$N" <<'EOF'
import datetime, json, re, sys
tmp, n = sys.argv[1], int(sys.argv[2])
def iso(s):
    return datetime.datetime.strptime(s.rstrip("Z")[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()
def iso_s(s):  # fetched_at: RFC 3339, maybe without fraction
    s = s.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s).timestamp()
added = {int(a): float(t) for a, t in (l.split("\t") for l in open(tmp + "/added.tsv"))}
polls = []
for line in open(tmp + "/fixture.log"):
    m = re.match(r"(\S+) \S+ \S+ GET /feeds/bench.xml (\d+)", line)
    if m:
        polls.append(iso(m.group(1)))
arr, key_of, fetched, watch_ts = {}, {}, {}, {}
for line in open(tmp + "/arrivals.tsv"):
    t, topic, key, ts, value = line.rstrip("\n").split("\t", 4)
    art = json.loads(value)["article"]
    m = re.search(r"/articles/(\d+)\.html", art.get("canonical_url") or "")
    if not m:
        continue
    i = int(m.group(1))
    if i not in arr or float(t) < arr[i]:
        arr[i] = float(t)
        watch_ts[i] = int(ts) / 1000
    key_of[i] = key
    fetched[i] = iso_s(art["fetched_at"])
stage = {}
for t in ("articles", "enriched"):
    stage[t] = {}
    for line in open(tmp + "/%s.ts" % t):
        k, ts = line.rstrip("\n").split("\t")
        stage[t].setdefault(k, int(ts) / 1000)
rows = []
for i in sorted(added):
    if i not in arr:
        print("article %d: no match arrived" % i)
        continue
    poll = min((p for p in polls if p >= added[i]), default=None)
    k = key_of[i]
    rows.append({
        "poll->match": arr[i] - poll if poll else None,
        "fetch->match": arr[i] - fetched[i],
        "poll->fetch": fetched[i] - poll if poll else None,
        "fetch->articles": stage["articles"].get(k, 0) - fetched[i],
        "articles->enriched": stage["enriched"].get(k, 0) - stage["articles"].get(k, 0),
        "enriched->watch": watch_ts[i] - stage["enriched"].get(k, 0),
        "watch->consumer": arr[i] - watch_ts[i],
    })
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print("%d articles; seconds: p50 / p95 / max" % len(rows))
for name in rows[0] if rows else []:
    v = [r[name] for r in rows if r[name] is not None]
    print("  %-20s %6.3f / %6.3f / %6.3f" % (name, pct(v, 50), pct(v, 95), max(v)))
EOF
