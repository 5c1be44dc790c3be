#!/usr/bin/env bash
# Standing watches through the real veille-sink against devbroker: each
# construct of the query language (docs/watches.md) and the folding route
# the right events to the right topics; a SIGHUP reload in the middle of a
# stream adds and removes watches with nothing lost or repeated; a malformed
# file is refused with its line and column and the old watches are kept; at
# start-up a malformed file exits 2.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
W="$VL_TMP/watches.conf"

# gen PREFIX N KIND: N enriched events, one per line as "key<TAB>json"
gen() {
  $PY - "$@" <<'EOF'
import json, sys, datetime
prefix, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = datetime.datetime.now(datetime.timezone.utc)
def ent(t, name, qid, sal, mention, start):
    return {"type": t, "name": name, "qid": qid, "salience": sal, "count": 1,
            "mentions": [{"start": start, "end": start + len(mention),
                          "text": mention, "in": "text"}]}
def ev(i, title, text, lang="fr", site="news.sahel-actu.bf", source="sahel-actu",
       ents=(), days_old=0, dup=None):
    return {"schema": "veille.enriched.v1", "id": "%s%04d" % (prefix, i),
            "url": "https://%s/%d" % (site, i), "canonical_url": "https://%s/%d" % (site, i),
            "title": title, "text": text, "lang": lang, "site": site,
            "source": {"id": source}, "entities": list(ents),
            "published_at": (now - datetime.timedelta(days=days_old)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duplicate_of": dup}
BF = lambda s=0.9: ent("LOC", "Burkina Faso", "Q965", s, "Burkina Faso", 3)
RU = lambda: ent("LOC", "Russia", "Q159", 0.4, "Russie", 20)
AES = lambda: ent("ORG", "Alliance of Sahel States", None, 0.3, "Alliance des États du Sahel", 40)
TR = lambda: ent("PER", "Ibrahim Traoré", None, 0.7, "capitaine Traoré", 60)
out = []
if kind == "constructs":
    out = [
      ev(1, "Le Burkina Faso et la Russie", "Au Burkina Faso, la Russie et l'Alliance des États du Sahel.", ents=[BF(), RU(), AES()]),
      ev(2, "Burkina news", "Burkina Faso and Russia", lang="en", site="example.com", ents=[BF(), RU()]),
      ev(3, "COOPERATION MILITAIRE", "Rien d'autre.", ents=[]),
      ev(4, "Un coup d'État", "Le capitaine Traoré parle.", ents=[TR()]),
      ev(5, "Vieux", "Burkina Faso, il y a longtemps.", ents=[BF(0.2)], days_old=30),
      ev(6, "Copie", "Burkina Faso encore.", ents=[BF()], dup="aaaa"),
      ev(7, "Hors sujet", "La pluie et le beau temps.", lang="de", ents=[]),
    ]
else:  # a stream: all French, all with Burkina Faso
    out = [ev(i, "Flux %d" % i, "Burkina Faso %d" % i, ents=[BF()]) for i in range(n)]
for e in out:
    print("%s\t%s" % (e["id"], json.dumps(e, ensure_ascii=False)))
EOF
}

produce() { kcat -P -b "$BOOT" -t veille.enriched -K $'\t' -l "$1" 2>>"$VL_TMP/kcat.log"; }

# keys_of TOPIC: the sorted keys in TOPIC (one line per record)
keys_of() { consume "veille.watch.$1" "$VL_TMP/t.$1"; cut -f1 "$VL_TMP/t.$1" | sort; }

expect_keys() { # TOPIC "KEY KEY ..."
  local got want
  got=$(keys_of "$1" | tr '\n' ' ' | sed 's/ $//')
  want=$2
  [ "$got" = "$want" ] || fail "veille.watch.$1 holds '$got', want '$want'"
}

start_broker 2
cat >"$W" <<'EOF'
# one watch per construct
by-qid: entity:Q965
by-name: entity:"burkina faso"
by-alias: entity:"ALLIANCE DES ETATS DU SAHEL"
boolean: entity:Q159 AND (entity:"Alliance of Sahel States" OR entity:Q965) AND lang:fr,en AND NOT site:example.com
folded: "coopération militaire"
in-title: title:coup
people: type:PER>0.5
central: entity:Q965>0.5
english: lang:en
by-site: site:sahel-actu.bf
by-source: source:sahel-actu AND "pluie"
recent: entity:Q965 within:7d
dups: entity:Q965 duplicates:yes
first-form: Russia, Q965
EOF
start_daemon sink --sink.watches "$W" --metrics.listen 127.0.0.1:0
wait_until 20 grep -qs "14 watches from" "$VL_TMP/sink.log" || fail "the sink did not load 14 watches"

gen c 0 constructs >"$VL_TMP/constructs.tsv"
produce "$VL_TMP/constructs.tsv"
done7() { [ "$(metric sink veille_messages_consumed_total)" -ge 7 ]; }
wait_until 60 done7 || fail "the sink did not consume the 7 events"
sleep 1 # the last deliveries
expect_keys by-qid "c0001 c0002 c0005"
expect_keys by-name "c0001 c0002 c0005"
expect_keys by-alias "c0001"
expect_keys boolean "c0001"
expect_keys folded "c0003"
expect_keys in-title "c0004"
expect_keys people "c0004"
expect_keys central "c0001 c0002"
expect_keys english "c0002"
expect_keys by-site "c0001 c0003 c0004 c0005 c0007"
expect_keys by-source "c0007"
expect_keys recent "c0001 c0002"
expect_keys dups "c0001 c0002 c0005 c0006"
expect_keys first-form "c0001 c0002 c0005"
# what matched, with offsets
$PY - "$VL_TMP/t.folded" <<'EOF' || fail "the folded match does not say where"
import json, sys
k, v = open(sys.argv[1]).readline().rstrip("\n").split("\t", 1)
m = json.loads(v)["matched"]
assert m == [{"term": "coopération militaire",
              "mentions": [{"start": 0, "end": 21, "in": "title"}]}], m
EOF
log "every construct routed as expected"

# reload mid-stream: 'before' is removed, 'after' added, 'kept' kept; all
# three are the same query, so each event goes to 'kept' exactly once and
# to exactly one of 'before' and 'after'
cat >"$W" <<'EOF'
kept: entity:Q965 AND lang:fr
before: entity:Q965 AND lang:fr
EOF
kill -HUP "$PID_SINK"
wait_until 20 grep -q "2 watches from" "$VL_TMP/sink.log" || fail "no reload to 2 watches"
N=400
gen s "$N" stream >"$VL_TMP/stream.tsv"
# the stream goes on, ten events at a time, while the watches change
split -l 10 "$VL_TMP/stream.tsv" "$VL_TMP/chunk."
( for c in "$VL_TMP"/chunk.*; do produce "$c"; sleep 0.1; done ) &
STREAM=$!
some() { [ "$(keys_of kept | wc -l)" -ge 100 ]; }
wait_until 60 some || fail "nothing reached veille.watch.kept"
cat >"$W" <<'EOF2'
kept: entity:Q965 AND lang:fr
after: entity:Q965 AND lang:fr
EOF2
kill -HUP "$PID_SINK"
wait "$STREAM" || fail "could not produce the stream"
all() { [ "$(keys_of kept | grep -c '^s')" -ge "$N" ]; }
wait_until 120 all || fail "veille.watch.kept holds $(keys_of kept | grep -c '^s') of $N"
sleep 1
kept=$(keys_of kept | grep '^s')
[ "$(echo "$kept" | wc -l)" -eq "$N" ] || fail "kept: $(echo "$kept" | wc -l) records for $N events"
[ "$(echo "$kept" | sort -u | wc -l)" -eq "$N" ] || fail "kept: events repeated"
b=$(keys_of before | grep '^s' || true)
a=$(keys_of after | grep '^s' || true)
nb=$(echo -n "$b" | grep -c . || true)
na=$(echo -n "$a" | grep -c . || true)
log "reload mid-stream: $nb events before, $na after"
[ "$nb" -ge 1 ] && [ "$na" -ge 1 ] || fail "the reload did not land mid-stream ($nb before, $na after)"
both=$(printf '%s\n%s\n' "$b" "$a" | grep . | sort)
[ "$(echo "$both" | wc -l)" -eq "$N" ] || fail "before+after hold $(echo "$both" | wc -l) records for $N events"
[ "$(echo "$both" | sort -u | wc -l)" -eq "$N" ] || fail "an event went to both before and after"
log "reload: nothing lost, nothing repeated"

# a malformed file is refused, with its line and column; the old watches stay
cat >"$W" <<'EOF'
kept: entity:Q965 AND lang:fr
# a bad line follows
broken: entity:Q965 AND (lang:fr OR
EOF
kill -HUP "$PID_SINK"
wait_until 20 grep -q "reload failed, keeping the old settings: $W:3:36: watch 'broken': expected a condition at the end" \
  "$VL_TMP/sink.log" || fail "the bad file was not refused with its line and column"
gen t 10 stream >"$VL_TMP/t.tsv"
produce "$VL_TMP/t.tsv"
tail10() { [ "$(keys_of after | grep -c '^t')" -ge 10 ]; }
wait_until 60 tail10 || fail "the old watches were not kept after a bad reload"
[ "$(keys_of broken | wc -l)" -eq 0 ] || fail "the bad watch was used"
log "malformed file refused, old watches kept"

# at start-up, a malformed file stops the sink with exit 2
rc=0
"$(vl_bin sink sink)" $(vl_kafka_args) --sink.watches "$W" >"$VL_TMP/bad.out" 2>"$VL_TMP/bad.log" || rc=$?
[ "$rc" -eq 2 ] || fail "a bad watches file at start-up exited $rc, not 2"
grep -q "$W:3:36:" "$VL_TMP/bad.log" || fail "start-up error does not name line and column"
log "PASS"
