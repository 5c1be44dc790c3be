#!/usr/bin/env bash
# No loss: N generated articles flow through while the parser and the
# enricher are killed with SIGKILL in the middle of the run, twice, and
# restarted. Every article must reach veille.enriched at least once;
# duplicates are allowed (at-least-once) and counted.
#
# The fetcher publishes the pages one every DELAY ms while the stages run,
# so that each kill lands while pages are still arriving whatever the speed
# of the machine; the test checks that it did.
source "$(dirname "$0")/lib.sh"
vl_init
N=${VL_NOLOSS_ARTICLES:-3000}
DELAY=${VL_NOLOSS_DELAY_MS:-10}

start_generated_fetcher "$N" "$DELAY"
start_daemon parser --metrics.listen 127.0.0.1:0
start_daemon enricher --metrics.listen 127.0.0.1:0
pages_now() { consume veille.pages "$VL_TMP/pages.tsv"; cut -f1 "$VL_TMP/pages.tsv" | sort -u | grep -c . || true; }

killed_mid=0
for round in 1 2; do
  # kill once this enricher has produced a few, while pages still arrive
  progress() { [ "$(metric enricher veille_messages_produced_total)" -ge 20 ]; }
  wait_until 120 progress || fail "round $round: the enricher produced nothing"
  kill -KILL "$PID_PARSER" "$PID_ENRICHER"
  have=$(count_unique_keys veille.enriched)
  pages=$(pages_now)
  log "round $round: SIGKILL parser and enricher with $have/$N articles enriched, $pages/$N pages fetched"
  [ "$have" -lt "$N" ] && [ "$pages" -lt "$N" ] && killed_mid=$((killed_mid + 1))
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
[ "$killed_mid" -eq 2 ] || fail "only $killed_mid of 2 kills landed while pages were arriving (raise VL_NOLOSS_DELAY_MS)"
log "PASS"
