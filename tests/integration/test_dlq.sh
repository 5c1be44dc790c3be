#!/usr/bin/env bash
# Dead letters: pages the parser must reject (not JSON, a binary body, an
# empty body) each become a veille.dlq record naming the stage, the error
# and the input's topic, partition, offset and key, with the input's bytes
# to replay it; the parser stays up and the good page behind them passes.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
S=$VL_SOURCE_DIR/deploy/samples

start_broker 1
start_daemon parser

$PY - "$S/site/articles/soldats-russes-ouagadougou.html" >"$VL_TMP/in.tsv" <<'PYEOF'
import base64, json, os, sys
good = open(sys.argv[1], "rb").read()
def page(key, body):
    return json.dumps({"schema": "veille.page.v1", "id": key,
        "url": f"https://sahel-actu.example/{key}.html",
        "canonical_url": f"https://sahel-actu.example/{key}.html",
        "fetched_at": "2024-05-01T10:00:00Z",
        "http": {"status": 200, "content_type": "text/html; charset=utf-8"},
        "body_b64": base64.b64encode(body).decode(), "body_bytes": len(body)})
print("notjson\t{this is not json")
print("binary\t" + page("binary", b"\x89PNG\r\n\x1a\n" + os.urandom(2048)))
print("empty\t" + page("empty", b""))
print("good\t" + page("good", good))
PYEOF
kcat -P -b "$BOOT" -t veille.pages -p 0 -K '\t' -l "$VL_TMP/in.tsv"

wait_until 60 bash -c "[ \$(kcat -C -b $BOOT -t veille.dlq -o beginning -e -q -f '%k\n' 2>/dev/null | wc -l) -ge 3 ]" \
  || fail "fewer than 3 dead-letter records"
wait_until 30 bash -c "[ \$(kcat -C -b $BOOT -t veille.articles -o beginning -e -q -f '%k\n' 2>/dev/null | wc -l) -ge 1 ]" \
  || fail "the good page behind the bad ones did not pass"
kill -0 "$PID_PARSER" || fail "the parser died"

consume veille.dlq "$VL_TMP/dlq.tsv"
$PY "$VL_SOURCE_DIR/tests/integration/validate.py" "$VL_SOURCE_DIR/docs/schemas/dlq.v1.json" "$VL_TMP/dlq.tsv"
$PY - "$VL_TMP/in.tsv" "$VL_TMP/dlq.tsv" <<'PYEOF'
import base64, json, sys
inputs = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1])]
recs = [json.loads(l.split("\t", 1)[1]) for l in open(sys.argv[2])]
by_key = {r["input"]["key"]: r for r in recs}
for offset, (key, value) in enumerate(inputs[:3]):
    r = by_key.get(key)
    assert r, f"no dead letter for {key}"
    assert r["stage"] == "parser" and r["error"]["class"] == "reject", r
    assert r["error"]["message"], r
    i = r["input"]
    assert (i["topic"], i["partition"], i["offset"]) == ("veille.pages", 0, offset), i
    assert base64.b64decode(i["value_b64"]) == value.encode(), f"{key}: input bytes differ"
    print(f"ok: {key} -> dlq: {r['error']['message']}")
assert "good" not in by_key, "the good page was rejected"
PYEOF
log "PASS"
