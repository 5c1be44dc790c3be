#!/usr/bin/env bash
# Near-duplicates across enricher instances: two instances share the four
# partitions of veille.articles; an article goes to one partition, its
# agency copies (a word changed, the tail cut) to the three others, so at
# least one copy reaches the instance that did not see the original: every
# copy comes out with duplicate_of = the original's id, through the
# fingerprints on veille.fingerprints; a different article has none. Then
# both instances stop and a third one, started afresh, links one more copy:
# it read the fingerprints of the topic at start-up.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
D=$VL_SOURCE_DIR/tests/data/enricher

# article ID PUBLISHED TEXTFILE [EDIT]: an article event on one line; EDIT
# "copy" changes a word and cuts the last sentence
article() {
  $PY - "$@" <<'EOF'
import json, sys
aid, published, path = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if len(sys.argv) > 4:
    text = text.replace("Simporé", "Simpone", 1)
    text = text[:text.rstrip().rfind(".", 0, len(text) - 60) + 1]
print(json.dumps({
    "schema": "veille.article.v1", "id": aid,
    "url": "https://example.org/" + aid,
    "canonical_url": "https://example.org/" + aid,
    "title": "Burkina Faso", "text": text, "lang": "fr", "word_count": 500,
    "authors": [], "published_at": published}, ensure_ascii=False))
EOF
}

# publish PARTITION ID PUBLISHED TEXTFILE [EDIT]
publish() {
  local part=$1 id=$2; shift 2
  article "$id" "$@" | sed "s/^/$id\t/" |
    kcat -P -b "$BOOT" -t veille.articles -p "$part" -K $'\t'
}

orig=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
other=cccccccccccccccccccccccccccccccc
seed=$D/seed_000_simpore.txt

start_broker 4
start_instance enricher 1 --metrics.listen 127.0.0.1:0
start_instance enricher 2 --metrics.listen 127.0.0.1:0
both_assigned() {
  grep -c "assigned 2 partition" "$VL_TMP/enricher-1.log" >/dev/null &&
    grep -c "assigned 2 partition" "$VL_TMP/enricher-2.log" >/dev/null
}
wait_until 60 both_assigned || fail "the two enrichers did not share the partitions"

publish 0 "$orig" 2026-11-20T08:00:00Z "$seed"
wait_keys veille.enriched 1 60 || fail "the original was not enriched"
# which instance has partition 0
if [ "$(metric enricher-1 veille_messages_consumed_total)" = 1 ]; then
  first=1 second=2
else
  first=2 second=1
fi
log "the original went to enricher #$first"
# the other instance reads the original's fingerprint from the topic
fp_read() { [ "$(metric "enricher-$second" veille_enricher_fingerprints_read_total)" -ge 1 ]; }
wait_until 30 fp_read || fail "enricher #$second did not read the original's fingerprint"

for p in 1 2 3; do
  publish $p "b${p}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" 2026-11-20T09:0$p:00Z "$seed" copy
done
publish 1 "$other" 2026-11-20T10:00:00Z "$D/seed_003_aes.txt"
wait_keys veille.enriched 5 60 || fail "the copies were not enriched"
consume veille.enriched "$VL_TMP/enriched.tsv"
$PY "$VL_SOURCE_DIR/tests/integration/validate.py" \
  "$VL_SOURCE_DIR/docs/schemas/enriched.v1.json" "$VL_TMP/enriched.tsv"
check_links() {
  $PY - "$VL_TMP/enriched.tsv" "$orig" "$@" <<'EOF'
import json, sys
path, orig, want = sys.argv[1], sys.argv[2], sys.argv[3:]
got = {}
for line in open(path, encoding="utf-8"):
    key, value = line.rstrip("\n").split("\t", 1)
    got[key] = json.loads(value)["duplicate_of"]
bad = []
for w in want:
    key, expect = w.split("=")
    expect = None if expect == "null" else orig
    if key not in got or got[key] != expect:
        bad.append(f"{key}: duplicate_of {got.get(key, 'missing')!r}, want {expect!r}")
if bad:
    sys.exit("\n".join(bad))
EOF
}
consume veille.fingerprints "$VL_TMP/fingerprints.tsv"
$PY "$VL_SOURCE_DIR/tests/integration/validate.py" \
  "$VL_SOURCE_DIR/docs/schemas/fingerprint.v1.json" "$VL_TMP/fingerprints.tsv"
check_links "$orig=null" "$other=null" \
  b1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=dup b2bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=dup \
  b3bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=dup || fail "wrong duplicate_of"
# at least one copy was linked by the instance that never saw the original
[ "$(metric "enricher-$second" veille_enricher_duplicates_total)" -ge 1 ] ||
  fail "enricher #$second linked no copy"
log "copies linked on both instances: #$first $(metric "enricher-$first" veille_enricher_duplicates_total), #$second $(metric "enricher-$second" veille_enricher_duplicates_total)"

# the fingerprints outlive the instances: a fresh one reads them at start
kill -TERM "$PID_ENRICHER_1" "$PID_ENRICHER_2"
wait "$PID_ENRICHER_1" "$PID_ENRICHER_2" || fail "an enricher did not stop cleanly"
start_instance enricher 3 --metrics.listen 127.0.0.1:0
wait_until 60 grep -c "assigned 4 partition" "$VL_TMP/enricher-3.log" >/dev/null 2>&1 ||
  fail "enricher #3 was not assigned"
grep -c "veille.fingerprints: 4 partition(s), [1-9][0-9]* fingerprint" "$VL_TMP/enricher-3.log" >/dev/null ||
  fail "enricher #3 did not read the fingerprints at start-up"
publish 2 b4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 2026-11-20T11:00:00Z "$seed" copy
wait_keys veille.enriched 6 60 || fail "the late copy was not enriched"
consume veille.enriched "$VL_TMP/enriched.tsv"
check_links b4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=dup || fail "the late copy was not linked"
log "OK"
