#!/usr/bin/env bash
# No loss: N generated articles flow through while the parser and the
# enricher are killed with SIGKILL in the middle of the run, twice, and
# restarted. Every article must reach veille.enriched at least once;
# duplicates are allowed (at-least-once) and counted.
source "$(dirname "$0")/lib.sh"
vl_init
N=${VL_NOLOSS_ARTICLES:-3000}

# all pages first, so that the stages are busy when the test acts
publish_generated_pages "$N"

killed_mid=0
start_daemon parser --metrics.listen 127.0.0.1:0
start_daemon enricher --metrics.listen 127.0.0.1:0
for round in 1 2; do
  # kill once the enricher has produced a few, while both are busy
  progress() { [ "$(metric enricher veille_messages_produced_total)" -ge 20 ]; }
  wait_until 120 progress || fail "round $round: the enricher produced nothing"
  kill -KILL "$PID_PARSER" "$PID_ENRICHER"
  have=$(count_unique_keys veille.enriched)
  log "round $round: SIGKILL parser and enricher with $have/$N articles enriched"
  [ "$have" -lt "$N" ] && killed_mid=$((killed_mid + 1))
  sleep 1
  start_daemon parser --metrics.listen 127.0.0.1:0
  start_daemon enricher --metrics.listen 127.0.0.1:0
done

wait_keys veille.enriched "$N" 300 || fail "only $(count_unique_keys veille.enriched) of $N articles arrived"
consume veille.enriched "$VL_TMP/enriched.tsv"
total=$(wc -l <"$VL_TMP/enriched.tsv")
unique=$(cut -f1 "$VL_TMP/enriched.tsv" | sort -u | wc -l)
log "articles sent $N, received $total, unique $unique, duplicates $((total - unique))"
[ "$unique" -eq "$N" ] || fail "lost $((N - unique)) articles"
[ "$killed_mid" -ge 1 ] || fail "no kill landed in the middle of the run"
grep -c . "$VL_TMP/parser.log" >/dev/null
log "PASS"
