#!/usr/bin/env bash
# Not every page is an article, end to end: through the real parser daemon
# and the devbroker, a section front, a tag page, an error page served with
# status 200, a 404, a consent wall, a paywall stub and a page too short
# each become a dead letter ("not an article: <reason>", "not html: http
# status 404", "too little text") and are counted on the parser's /metrics
# by reason; none reaches veille.articles, and the one article among them
# does. With parser.non.articles=false the same pages are articles.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3
D=$VL_SOURCE_DIR/tests/data/parser
S=$VL_SOURCE_DIR/deploy/samples

start_broker 1
# min.words 5 as the golden cases of the stubs: their few words would make
# them too_short under the default of 20 before the stub rule is asked
start_daemon parser --parser.min.words 5 --metrics.listen 127.0.0.1:0

$PY - "$D" "$S/site/articles/soldats-russes-ouagadougou.html" >"$VL_TMP/in.tsv" <<'PYEOF'
import base64, json, sys
d, article = sys.argv[1], sys.argv[2]
def case(name):
    exp = json.load(open(f"{d}/{name}.expected.json"))
    return open(f"{d}/{name}.html", "rb").read(), exp["page"]
def event(key, body, page):
    ev = {"schema": "veille.page.v1", "id": key,
          "fetched_at": "2024-05-01T10:00:00Z",
          "http": {"status": 200, "content_type": "text/html; charset=utf-8"},
          "body_b64": base64.b64encode(body).decode(), "body_bytes": len(body)}
    for k, v in page.items():
        ev[k] = dict(ev[k], **v) if isinstance(v, dict) and k in ev else v
    ev.setdefault("canonical_url", ev["url"])
    return key + "\t" + json.dumps(ev)
tag, tag_page = case("nonarticle-tag-en")
# the same teasers as a section front: no canonical, a /rubrique/ URL
front = tag.replace(b'<link rel="canonical" href="https://news.example/tag/climate">', b"")
short = (b"<!doctype html><html lang='fr'><head><title>Bref</title></head>"
         b"<body><article><p>Trois mots seulement.</p></article></body></html>")
out = [
    event("article", open(article, "rb").read(),
          {"url": "https://sahel-actu.example/2024/05/01/soldats-russes.html"}),
    event("index-tag", tag, tag_page),
    event("index-front", front, {"url": "https://courrier.example/rubrique/monde/"}),
    event("error-200", *case("nonarticle-error-fr")),
    event("error-404", *case("nonarticle-http-404")),
    event("stub-consent", *case("nonarticle-consent-en")),
    event("stub-paywall", *case("nonarticle-paywall-fr")),
    event("short", short, {"url": "https://courrier.example/2024/03/12/bref.html"}),
]
print("\n".join(out))
PYEOF
kcat -P -b "$BOOT" -t veille.pages -p 0 -K '\t' -l "$VL_TMP/in.tsv"

pages_total() {
  metric_series parser "veille_parser_pages_total{daemon=\"parser\",result=\"$1\"}"
}
all_counted() {
  local n=0 r
  for r in article index_page error_page stub too_short no_text not_html; do
    n=$((n + $(pages_total "$r")))
  done
  [ "$n" -ge 8 ]
}
wait_until 60 all_counted || fail "the parser did not count the 8 pages"
kill -0 "$PID_PARSER" || fail "the parser died"

for want in article=1 index_page=2 error_page=2 stub=2 too_short=1 no_text=0; do
  got=$(pages_total "${want%%=*}")
  [ "$got" = "${want#*=}" ] || fail "pages_total{result=\"${want%%=*}\"} is $got, want ${want#*=}"
  log "ok: ${want%%=*} counted ${want#*=}"
done

# counted when processed: the records may still be on their way
wait_keys veille.articles 1 30 || fail "the article did not reach veille.articles"
wait_keys veille.dlq 7 30 || fail "fewer than 7 dead letters"
consume veille.articles "$VL_TMP/articles.tsv"
consume veille.dlq "$VL_TMP/dlq.tsv"
$PY - "$VL_TMP/in.tsv" "$VL_TMP/articles.tsv" "$VL_TMP/dlq.tsv" "$VL_TMP/dlq.want" <<'PYEOF'
import json, sys
ids = {}
for l in open(sys.argv[1]):
    key, value = l.rstrip("\n").split("\t", 1)
    ids[key] = json.loads(value)["id"]
arts = [json.loads(l.split("\t", 1)[1]) for l in open(sys.argv[2]) if l.strip()]
assert len(arts) == 1, f"{len(arts)} articles published, want 1"
assert "soldats russes" in arts[0]["text"].lower() or "ouagadougou" in arts[0]["text"].lower(), arts[0]["title"]
print(f"ok: the article is published ({arts[0]['word_count']} words)")
want = {"index-tag": "not an article: index_page",
        "index-front": "not an article: index_page",
        "error-200": "not an article: error_page",
        "error-404": "http status 404",
        "stub-consent": "not an article: stub",
        "stub-paywall": "not an article: stub",
        "short": "too little text"}
recs = {}
for l in open(sys.argv[3]):
    if l.strip():
        r = json.loads(l.split("\t", 1)[1])
        recs[r["input"]["key"]] = r
assert "article" not in recs, "the article was refused"
print("\n".join(f"{k}={m}" for k, m in want.items()), file=open(sys.argv[4], "w"))
PYEOF
mapfile -t dlq_want <"$VL_TMP/dlq.want"
check_dead_letters parser "$VL_TMP/dlq.tsv" "${dlq_want[@]}" || fail "dead letters"

# parser.non.articles=false: the same pages through a second group, only
# parser.min.words and the HTTP status refuse (the consent wall's 4 words)
start_instance parser second --group.id second --parser.non.articles=false \
  --parser.min.words 5 --metrics.listen 127.0.0.1:0
second() {
  metric_series parser-second "veille_parser_pages_total{daemon=\"parser\",result=\"$1\"}"
}
second_done() { [ $(($(second article) + $(second too_short) + $(second error_page))) -ge 8 ]; }
wait_until 60 second_done || fail "the second parser did not count the 8 pages"
for want in article=5 too_short=2 error_page=1 index_page=0 stub=0; do
  got=$(second "${want%%=*}")
  [ "$got" = "${want#*=}" ] || fail "non.articles=false: ${want%%=*} is $got, want ${want#*=}"
  log "ok: non.articles=false: ${want%%=*} counted ${want#*=}"
done
log "PASS"
