#!/usr/bin/env bash
# The sink's JSONL file, rotated by size, through the real veille-sink
# against devbroker, with a kill -9 in the middle of writing: every line of
# every file (rotated or not) is whole, no event is lost (at-least-once:
# the offset is stored only after the line is on disk; repeats are allowed
# and counted), and the files were rotated.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
N=${VL_SINK_FILE_EVENTS:-800}
OUT="$VL_TMP/out"
mkdir -p "$OUT"

start_broker 2
$PY - "$N" >"$VL_TMP/events.tsv" <<'EOF'
import json, sys
for i in range(int(sys.argv[1])):
    e = {"schema": "veille.enriched.v1", "id": "f%05d" % i, "title": "Article %d" % i,
         "lang": "fr", "text": "Le Burkina Faso. " * 30, "duplicate_of": None,
         "entities": [{"type": "LOC", "name": "Burkina Faso", "qid": "Q965",
                       "salience": 0.9, "mentions": [{"start": 0, "end": 12,
                       "text": "Burkina Faso", "in": "text"}]}]}
    print("%s\t%s" % (e["id"], json.dumps(e)))
EOF
split -l 20 "$VL_TMP/events.tsv" "$VL_TMP/chunk."

sink() {
  start_daemon sink --sink.file "$OUT/enriched.jsonl" --sink.file.max.bytes 30000 \
    --metrics.listen 127.0.0.1:0
}
sink
# stream only once the sink has its partitions, so that the events arrive
# while it writes rather than as one backlog it clears in a flash
assigned() { grep -q 'assigned' "$VL_TMP/sink.log"; }
wait_until 60 assigned || fail "the sink got no partitions"
( for c in "$VL_TMP"/chunk.*; do
    kcat -P -b "$BOOT" -t veille.enriched -K $'\t' -l "$c" 2>>"$VL_TMP/kcat.log"
    sleep 0.1
  done ) &
STREAM=$!

lines_on_disk() { cat "$OUT"/enriched.jsonl* 2>/dev/null | wc -l; }
midway() { [ "$(lines_on_disk)" -ge $((N / 8)) ]; }
wait_until 120 midway || fail "the sink wrote only $(lines_on_disk) lines"
kill -KILL "$PID_SINK"
wait "$PID_SINK" 2>/dev/null || true
at_kill=$(lines_on_disk)
log "kill -9 with $at_kill lines on disk"
[ "$at_kill" -lt "$N" ] || fail "the kill came after the last event ($at_kill lines)"
sink
wait "$STREAM" || fail "could not produce the events"

all_ids() { cat "$OUT"/enriched.jsonl* | $PY -c '
import json, sys
ids = set()
for line in sys.stdin:
    ids.add(json.loads(line)["id"])
print(len(ids))' 2>/dev/null || echo 0; }
complete() { [ "$(all_ids)" -ge "$N" ]; }
wait_until 180 complete || fail "only $(all_ids) of $N events in the files"

$PY - "$N" "$OUT" <<'EOF' || fail "the files are not whole"
import glob, json, os, sys
n, out = int(sys.argv[1]), sys.argv[2]
files = sorted(glob.glob(os.path.join(out, "enriched.jsonl*")))
rotated = [f for f in files if not f.endswith("enriched.jsonl")]
assert len(rotated) >= 2, "not rotated: %s" % files
ids, total = set(), 0
for f in files:
    data = open(f, "rb").read()
    assert data == b"" or data.endswith(b"\n"), "%s ends in a torn line" % f
    for i, line in enumerate(data.decode().splitlines()):
        ids.add(json.loads(line)["id"])   # raises on a torn line
        total += 1
for f in rotated:
    assert os.path.getsize(f) >= 30000, "%s rotated early" % f
assert ids == {"f%05d" % i for i in range(n)}, "lost %d" % (n - len(ids))
print("%d files (%d rotated), %d lines, %d events, %d repeated after the kill"
      % (len(files), len(rotated), total, len(ids), total - len(ids)))
EOF
log "PASS"
