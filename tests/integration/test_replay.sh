#!/usr/bin/env bash
# The replay tool brings a fixed record through: a parser configured too
# strictly rejects a good page (dead letter); after the fix (a restart with
# the right setting), veille-replay --stage parser republishes the page with
# its key and headers and it comes out on veille.articles. A dead letter of
# another stage is left alone; --dry.run produces nothing.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
S=$VL_SOURCE_DIR/deploy/samples
REPLAY=$(vl_bin tools replay)
[ -x "$REPLAY" ] || fail "not built: veille-replay"

start_broker 1
start_daemon parser --parser.min.words 100000

$PY - "$S/site/articles/soldats-russes-ouagadougou.html" >"$VL_TMP/page.tsv" <<'PYEOF'
import base64, json, sys
body = open(sys.argv[1], "rb").read()
print("good\t" + json.dumps({"schema": "veille.page.v1", "id": "good",
    "url": "https://sahel-actu.example/securite/soldats-russes-ouagadougou.html",
    "canonical_url": "https://sahel-actu.example/securite/soldats-russes-ouagadougou.html",
    "fetched_at": "2024-05-01T10:00:00Z", "http": {"status": 200,
    "content_type": "text/html; charset=utf-8"},
    "body_b64": base64.b64encode(body).decode(), "body_bytes": len(body)}))
PYEOF
kcat -P -b "$BOOT" -t veille.pages -K '\t' -l -H ce_type=org.veille.page.v1 "$VL_TMP/page.tsv"
# a dead letter of another stage, whose input would land on veille.articles
printf 'other\t{"schema":"veille.dlq.v1","stage":"enricher","error":{"class":"reject","message":"x"},"failed_at":"2024-01-01T00:00:00.000Z","input":{"topic":"veille.articles","partition":0,"offset":0,"key":"other","headers":{},"value_b64":"e30=","value_bytes":2,"truncated":false}}\n' \
  | kcat -P -b "$BOOT" -t veille.dlq -K '\t'

dlq_has() { [ "$(kcat -C -b "$BOOT" -t veille.dlq -o beginning -e -q -f '%k\n' 2>/dev/null | grep -c good)" -ge 1 ]; }
wait_until 60 dlq_has || fail "the strict parser did not reject the page"

# dry run: lists it, produces nothing
"$REPLAY" -X "bootstrap.servers=$BOOT" --stage parser --dry.run >"$VL_TMP/dry.out" 2>"$VL_TMP/replay.log" \
  || fail "dry run failed"
grep -q '^would replay veille.pages \[parser\].* key good: too little text' "$VL_TMP/dry.out" \
  || fail "dry run did not list the page: $(cat "$VL_TMP/dry.out")"
[ "$(wc -l <"$VL_TMP/dry.out")" -eq 1 ] || fail "dry run listed more than the parser's dead letter"

# the fix, then the replay
kill -TERM "$PID_PARSER"; wait "$PID_PARSER" || fail "parser did not stop cleanly"
start_daemon parser
"$REPLAY" -X "bootstrap.servers=$BOOT" --stage parser >"$VL_TMP/replay.out" 2>>"$VL_TMP/replay.log" \
  || fail "replay failed: $(cat "$VL_TMP/replay.log")"
grep -q '1 replayed, 1 delivered' "$VL_TMP/replay.log" || fail "replay summary: $(tail -1 "$VL_TMP/replay.log")"

articles() { [ "$(kcat -C -b "$BOOT" -t veille.articles -o beginning -e -q -f '%k\n' 2>/dev/null | wc -l)" -ge 1 ]; }
wait_until 60 articles || fail "the replayed page did not come through"
consume veille.articles "$VL_TMP/articles.tsv"
[ "$(wc -l <"$VL_TMP/articles.tsv")" -eq 1 ] || fail "veille.articles: want exactly the replayed article"
grep -q 'des soldats russes atterrissent' "$VL_TMP/articles.tsv" || fail "wrong article"
kcat -C -b "$BOOT" -t veille.pages -o beginning -e -q -f '%k %h\n' >"$VL_TMP/pages.txt"
grep -q '^good .*ce_type=org.veille.page.v1.*veille_replayed=1' "$VL_TMP/pages.txt" \
  || fail "the replayed page lost its key or headers: $(cat "$VL_TMP/pages.txt")"
log "PASS"
