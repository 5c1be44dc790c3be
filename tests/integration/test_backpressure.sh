#!/usr/bin/env bash
# Backpressure and signals: a parser whose producer queue holds 5 messages
# and which may have 3 inputs in flight still passes every page (it waits
# for deliveries instead of failing or growing); a second SIGTERM while it
# drains exits at once.
source "$(dirname "$0")/lib.sh"
vl_init
N=${VL_BP_ARTICLES:-600}

# all pages first, so that the stages are busy when the test acts
publish_generated_pages "$N"

start_daemon parser -X queue.buffering.max.messages=5 --max.inflight 3 \
  --metrics.listen 127.0.0.1:0
wait_keys veille.articles "$N" 240 || fail "only $(count_unique_keys veille.articles) of $N articles under backpressure"
[ "$(metric parser veille_errors_total)" -eq 0 ] || fail "errors under backpressure"
kill -0 "$PID_PARSER" || fail "the parser died under backpressure"
log "ok: $N articles through a queue of 5"

# a second signal exits at once: with the brokers down, a parser cannot
# deliver what it holds and its drain (60 s) would wait; a second SIGTERM
# does not
kill -TERM "$PID_PARSER"; wait "$PID_PARSER" || fail "parser did not stop cleanly"
start_daemon parser --group.id second --drain.ms 60000 --metrics.listen 127.0.0.1:0
busy() { [ "$(metric parser veille_messages_consumed_total)" -ge 1 ]; }
wait_until 60 busy || fail "the second parser consumed nothing"
echo "down -1" >"$VL_TMP/control"
sleep 1
kill -TERM "$PID_PARSER"
sleep 2
kill -0 "$PID_PARSER" 2>/dev/null || fail "the first SIGTERM stopped at once: nothing left to drain, the test proves nothing"
kill -TERM "$PID_PARSER"
t0=$SECONDS; rc=0; wait "$PID_PARSER" || rc=$?
[ $((SECONDS - t0)) -le 2 ] || fail "the second SIGTERM did not exit at once"
[ "$rc" -eq 1 ] || fail "the second SIGTERM exited $rc, want 1"
echo "up -1" >"$VL_TMP/control"
log "ok: the second SIGTERM exited 1 at once, mid-drain"
log "PASS"
