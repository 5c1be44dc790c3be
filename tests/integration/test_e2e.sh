#!/usr/bin/env bash
# End to end: the five sample articles travel from the sample feeds through
# the four daemons to veille.enriched, read back with kcat (a client we did
# not write), each with its title, a text without the site chrome and its
# entities; exactly once on veille.pages although two feeds list one of
# them; the sink routes them to watch topics and a JSONL file; a restarted
# fetcher does not fetch them again.
source "$(dirname "$0")/lib.sh"
vl_init
S=$VL_SOURCE_DIR/deploy/samples
PY=/usr/bin/python3

start_broker 4
start_fixture "$S/site" --template --verbose
sed -e "s#{{BASE}}#$BASE#g" -e 's/interval=[0-9]*/interval=2/' "$S/sources.conf" >"$VL_TMP/sources.conf"
mkdir -p "$VL_TMP/state"

start_daemon sink --sink.watches "$S/watches.conf" --sink.file "$VL_TMP/enriched.jsonl"
start_daemon enricher
start_daemon parser
start_daemon fetcher --sources.file "$VL_TMP/sources.conf" --state.dir "$VL_TMP/state" \
  --fetch.allow.private

wait_keys veille.enriched 5 120 || fail "5 enriched articles did not arrive"
timeout 30 kcat -C -b "$BOOT" -t veille.enriched -o beginning -e -q \
  -f '%k\t%h\t%s\n' >"$VL_TMP/enriched.tsv"
$PY "$VL_SOURCE_DIR/tests/integration/check_e2e.py" "$S/expected.json" "$VL_TMP/enriched.tsv"

# every event validates against its JSON Schema
for t in pages:page articles:article enriched:enriched; do
  consume "veille.${t%%:*}" "$VL_TMP/${t%%:*}.tsv"
  $PY "$VL_SOURCE_DIR/tests/integration/validate.py" \
    "$VL_SOURCE_DIR/docs/schemas/${t##*:}.v1.json" "$VL_TMP/${t%%:*}.tsv"
done

# one page per article, although the Atom feed lists one of them again
[ "$(wc -l <"$VL_TMP/pages.tsv")" -eq 5 ] || fail "veille.pages has $(wc -l <"$VL_TMP/pages.tsv") records, want 5"

# the sink: watch topics and the JSONL file
want=$($PY -c 'import json,sys; print(sum(a["mentions_burkina"] for a in json.load(open(sys.argv[1]))["articles"]))' "$S/expected.json")
wait_until 30 bash -c "[ \$(kcat -C -b $BOOT -t veille.watch.burkina -e -q -f '%k\n' | sort -u | wc -l) -ge $want ]" \
  || fail "veille.watch.burkina does not hold the $want Burkina articles"
consume veille.watch.burkina "$VL_TMP/watch.tsv"
$PY "$VL_SOURCE_DIR/tests/integration/validate.py" "$VL_SOURCE_DIR/docs/schemas/watch.v1.json" "$VL_TMP/watch.tsv"
wait_until 20 bash -c "[ \$(wc -l <'$VL_TMP/enriched.jsonl') -ge 5 ]" || fail "JSONL file has fewer than 5 lines"
$PY "$VL_SOURCE_DIR/tests/integration/validate.py" "$VL_SOURCE_DIR/docs/schemas/enriched.v1.json" "$VL_TMP/enriched.jsonl"

# a restarted fetcher remembers what it fetched (sources poll every 2 s)
kill -TERM "$PID_FETCHER"; wait "$PID_FETCHER" || fail "fetcher did not stop cleanly"
polls() { grep -c 'feeds/atom.xml' "$VL_TMP/fixture.log" || true; }
before=$(polls)
start_daemon fetcher --sources.file "$VL_TMP/sources.conf" --state.dir "$VL_TMP/state" \
  --fetch.allow.private
wait_until 30 bash -c "[ \$(grep -c 'feeds/atom.xml' '$VL_TMP/fixture.log') -ge $((before + 2)) ]" \
  || fail "the restarted fetcher did not poll the feeds"
sleep 2
consume veille.pages "$VL_TMP/pages2.tsv"
[ "$(wc -l <"$VL_TMP/pages2.tsv")" -eq 5 ] || fail "restarted fetcher published again: $(wc -l <"$VL_TMP/pages2.tsv") pages"
log "PASS"
