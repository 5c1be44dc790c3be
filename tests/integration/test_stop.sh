#!/usr/bin/env bash
# Graceful stop: SIGTERM while the parser is busy: it drains, stores its
# offsets, exits 0; the next instance goes on from there; nothing is lost.
source "$(dirname "$0")/lib.sh"
vl_init
N=${VL_STOP_ARTICLES:-3000}

# all pages first, so that the stages are busy when the test acts
publish_generated_pages "$N"

start_daemon parser --metrics.listen 127.0.0.1:0
busy() { [ "$(metric parser veille_messages_produced_total)" -ge 1 ]; }
wait_until 60 busy || fail "the parser produced nothing"
kill -TERM "$PID_PARSER"
rc=0; wait "$PID_PARSER" || rc=$?
[ "$rc" -eq 0 ] || fail "the parser exited $rc on SIGTERM, want 0"
grep -q 'stopped' "$VL_TMP/parser.log" || fail "no 'stopped' line in the parser log"
first=$(count_unique_keys veille.articles)
log "parser stopped cleanly after $first/$N articles"
[ "$first" -lt "$N" ] || fail "the parser was done before SIGTERM: not a stop while busy"

start_daemon parser
wait_keys veille.articles "$N" 180 || fail "only $(count_unique_keys veille.articles) of $N articles"
consume veille.articles "$VL_TMP/articles.tsv"
total=$(wc -l <"$VL_TMP/articles.tsv")
log "articles $N, received $total, duplicates $((total - N))"
kill -TERM "$PID_PARSER"; wait "$PID_PARSER" || fail "second parser did not stop cleanly"
log "PASS"
