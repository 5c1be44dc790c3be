#!/usr/bin/env bash
# Webhooks through the real veille-sink against devbroker and a receiver on
# loopback (a small python3 HTTP server, in this script):
# - a receiver that answers 503 (with Retry-After), then 503, then 200 to
#   each delivery: every match is delivered once accepted, after exactly
#   three attempts, with the same Idempotency-Key (the match's ce-id) on
#   each, the CloudEvents headers and a valid HMAC signature;
# - a receiver that always answers 500: after 1 + retries attempts each
#   match becomes a dead-letter record on veille.dlq naming the watch and
#   the reason, holding the sink's input; the sink stays up and goes on;
# - a 404: no retry, a dead letter at once;
# - at-least-once: a sink killed (-9) while a delivery is still being
#   retried gets the event again after its restart (its offset was not
#   stored), and delivers it.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
W="$VL_TMP/watches.conf"
REQ="$VL_TMP/requests.jsonl"
SECRET=s3cret-for-the-test

# The receiver: one JSON line per request in $REQ. Paths:
#   /flaky  503 + Retry-After: 1, then 503, then 200, per Idempotency-Key
#   /never  500 always
#   /gone   404 always
#   /hold   503 while $VL_TMP/release does not exist, then 200
$PY - "$VL_TMP/hook.port" "$REQ" "$VL_TMP/release" >"$VL_TMP/receiver.log" 2>&1 <<'EOF' &
import http.server, json, os, sys, threading
port_file, req_file, release = sys.argv[1:4]
seen, lock = {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key")
        with lock:
            n = seen.get((self.path, key), 0) + 1
            seen[(self.path, key)] = n
        extra = {}
        if self.path == "/flaky":
            status = 503 if n <= 2 else 200
            if n == 1:
                extra["Retry-After"] = "1"
        elif self.path == "/never":
            status = 500
        elif self.path == "/gone":
            status = 404
        elif self.path == "/hold":
            status = 200 if os.path.exists(release) else 503
        else:
            status = 400
        rec = {"path": self.path, "attempt": n, "status": status,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode()}
        with lock, open(req_file, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
tmp = port_file + ".tmp"
open(tmp, "w").write(str(s.server_address[1]))
os.rename(tmp, port_file)
s.serve_forever()
EOF
VL_PIDS+=($!)
wait_until 20 test -s "$VL_TMP/hook.port" || fail "the receiver did not start"
HOOK="http://127.0.0.1:$(cat "$VL_TMP/hook.port")"
touch "$REQ"

# gen PREFIX N QID: N enriched events naming entity QID
gen() {
  $PY - "$@" <<'EOF'
import json, sys
prefix, n, qid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    e = {"schema": "veille.enriched.v1", "id": "%s%03d" % (prefix, i),
         "title": "Titre %d" % i, "text": "Texte %d" % i, "lang": "fr",
         "duplicate_of": None,
         "entities": [{"type": "LOC", "name": "Lieu " + qid, "qid": qid,
                       "salience": 0.9, "mentions": [{"start": 0, "end": 4,
                       "text": "Lieu", "in": "text"}]}]}
    print("%s\t%s" % (e["id"], json.dumps(e)))
EOF
}
produce() { kcat -P -b "$BOOT" -t veille.enriched -K $'\t' -l "$1" 2>>"$VL_TMP/kcat.log"; }

# requests PATH [STATUS]: how many requests PATH got (with that status)
requests() {
  $PY - "$REQ" "$@" <<'EOF'
import json, sys
path = sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else None
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == path and (status is None or r["status"] == status):
        n += 1
print(n)
EOF
}
at_least() { [ "$(requests "$1" ${3:+"$3"})" -ge "$2" ]; }
dlq_has() { consume veille.dlq "$VL_TMP/dlq"; [ "$(grep -c . "$VL_TMP/dlq" || true)" -ge "$1" ]; }

start_broker 2
cat >"$W" <<EOF
flaky: entity:Q965 webhook:"$HOOK/flaky"
never: entity:Q965 webhook:$HOOK/never
gone: entity:Q1032 webhook:$HOOK/gone
plain: entity:Q965,Q1032
EOF
sink() {
  start_daemon sink --sink.watches "$W" --metrics.listen 127.0.0.1:0 \
    --sink.webhook.allow.private --sink.webhook.backoff.ms 100 \
    --sink.webhook.timeout.ms 5000 --sink.webhook.secret "$SECRET" "$@"
}
sink --sink.webhook.retries 3
gen a 5 Q965 >"$VL_TMP/a.tsv"
gen g 1 Q1032 >"$VL_TMP/g.tsv"
produce "$VL_TMP/a.tsv"
produce "$VL_TMP/g.tsv"

T=$((60 * VL_TIMEOUT_MULT))
wait_until "$T" at_least /flaky 5 200 || fail "flaky: $(requests /flaky 200) of 5 accepted"
wait_until "$T" dlq_has 6 || fail "expected 6 dead letters (5 never, 1 gone)"
# the sink goes on: more events after the dead letters reach their topic
gen b 3 Q965 >"$VL_TMP/b.tsv"
produce "$VL_TMP/b.tsv"
wait_keys veille.watch.plain 9 "$T" || fail "the sink did not go on after the dead letters"
wait_until "$T" at_least /flaky 8 200 || fail "flaky: the later events were not delivered"
wait_until "$T" dlq_has 9 || fail "expected 9 dead letters"
kill -0 "$PID_SINK" || fail "the sink died"

$PY - "$REQ" "$VL_TMP/dlq" "$SECRET" <<'EOF' || fail "webhook requests or dead letters are wrong"
import base64, collections, hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
secret = sys.argv[3].encode()
by = collections.defaultdict(list)
for r in reqs:
    by[(r["path"], r["headers"]["idempotency-key"])].append(r)
flaky = {k: v for k, v in by.items() if k[0] == "/flaky"}
assert len(flaky) == 8, "flaky: %d distinct keys, want 8" % len(flaky)
arts = set()
for (path, key), rs in flaky.items():
    assert [r["status"] for r in rs] == [503, 503, 200], (key, [r["status"] for r in rs])
    for r in rs:
        h = r["headers"]
        assert h["content-type"] == "application/json", h
        assert h["ce-id"] == key, (h["ce-id"], key)
        assert h["ce-specversion"] == "1.0" and h["ce-type"] == "org.veille.watch.match.v1", h
        assert h["ce-source"] == "urn:veille:sink", h
        assert h["x-veille-watch"] == "flaky", h
        want = "sha256=" + hmac.new(secret, r["body"].encode(), hashlib.sha256).hexdigest()
        assert h["x-veille-signature"] == want, "bad signature"
        body = json.loads(r["body"])
        assert body["schema"] == "veille.watch.v1" and body["watch"] == "flaky", body
        assert body["article"]["id"] == h["ce-subject"], h
    arts.add(json.loads(rs[0]["body"])["article"]["id"])
assert arts == {"a%03d" % i for i in range(5)} | {"b%03d" % i for i in range(3)}, arts
never = {k: v for k, v in by.items() if k[0] == "/never"}
assert len(never) == 8 and all(len(v) == 4 for v in never.values()), \
    {k: len(v) for k, v in never.items()}
gone = {k: v for k, v in by.items() if k[0] == "/gone"}
assert len(gone) == 1 and all(len(v) == 1 for v in gone.values()), "404 retried"
dl = collections.Counter()
for line in open(sys.argv[2]):
    rec = json.loads(line.split("\t", 1)[1])
    assert rec["schema"] == "veille.dlq.v1" and rec["stage"] == "sink", rec
    inp, msg = rec["input"], rec["error"]["message"]
    wh = inp["webhook"]
    ev = json.loads(base64.b64decode(inp["value_b64"]))
    assert inp["topic"] == "veille.enriched" and inp["key"] == ev["id"], inp
    if wh["watch"] == "never":
        assert "HTTP 500 after 4 attempts" in msg and rec["error"]["class"] == "retry", msg
        assert wh["attempts"] == 4 and wh["status"] == 500, wh
    else:
        assert wh["watch"] == "gone" and "HTTP 404 (not retried)" in msg, msg
        assert rec["error"]["class"] == "reject", rec["error"]
    assert wh["idempotency_key"] in {k[1] for k in by}, wh
    assert "/never" in wh["url"] or "/gone" in wh["url"], wh
    dl[wh["watch"]] += 1
assert dl == {"never": 8, "gone": 1}, dl
print("flaky: 8 delivered after 3 attempts each; never: 8 dead letters after 4; gone: 1")
EOF
[ "$(metric sink veille_sink_webhook_delivered_total)" = 8 ] ||
  fail "delivered_total is $(metric sink veille_sink_webhook_delivered_total)"
[ "$(metric sink veille_sink_webhook_dead_letters_total)" = 9 ] ||
  fail "dead_letters_total is $(metric sink veille_sink_webhook_dead_letters_total)"

# At-least-once: a delivery still being retried holds its input's offset.
# The sink restarts with retries that outlast the test.
log "at-least-once: kill -9 while a delivery is retried"
kill -TERM "$PID_SINK"
wait "$PID_SINK" 2>/dev/null || true
cat >"$W" <<EOF
hold: entity:Q777 webhook:$HOOK/hold
plain: entity:Q965,Q1032,Q777
EOF
LONG=(--sink.webhook.retries 100000 --sink.webhook.backoff.max.ms 300)
sink "${LONG[@]}"
gen h 1 Q777 >"$VL_TMP/h.tsv"
produce "$VL_TMP/h.tsv"
wait_until "$T" at_least /hold 2 || fail "the held delivery was not tried"
# later events go through meanwhile, and the offsets are committed each
# second: wait for a commit after the held event's later neighbours
gen c 3 Q965 >"$VL_TMP/c.tsv"
produce "$VL_TMP/c.tsv"
wait_keys veille.watch.plain 13 "$T" || fail "the sink stalled behind a held webhook"
before=$(requests /hold)
sleep 2 # two auto-commit intervals: a wrongly stored offset would be committed
kill -KILL "$PID_SINK"
wait "$PID_SINK" 2>/dev/null || true
touch "$VL_TMP/release"
sink "${LONG[@]}"
accepted() { at_least /hold 1 200; }
wait_until "$T" accepted || fail "after the restart the held event was not delivered (its offset was stored)"
log "held delivery: $before attempts before the kill, delivered after the restart"
log "PASS"
