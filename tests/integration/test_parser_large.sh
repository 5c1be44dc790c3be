#!/usr/bin/env bash
# Several large pages queued at once through the parser daemon and the
# devbroker: three 9.8 MB pages of dense markup (attributes, inline SVG,
# scripts, comments, indentation) around a short article, a 9.5 MB article
# of 30,000 paragraphs (its event is capped near 15 MiB), 9 MB of binary
# and a page over parser.max.body.bytes. Every page comes out: the four
# articles are acknowledged by the broker, the two others are dead letters
# with their reason, nothing is an error, and the parser stays up.
#
# Each page goes to its own partition of veille.pages: the mock broker keeps
# at most 5 MiB per partition and drops the oldest records past it, so two
# 13 MB events in one partition would lose the first before any consumer
# could read it (docs/testing.md, /work/shared/research/kafka-mock.md). For
# the same reason the articles are counted by the broker's end offsets
# (records appended, whether kept or not) and by the parser's metrics, and
# only read back as far as the mock kept them.
source "$(dirname "$0")/lib.sh"
vl_init
PY=/usr/bin/python3

start_broker 6
start_daemon parser --metrics.listen 127.0.0.1:0

$PY - "$VL_TMP" <<'PYEOF'
import base64, json, random, sys
out = sys.argv[1]
rnd = random.Random(4)
words = ("the council said on monday that the new rules would apply to "
         "every member state from next year after a long debate in which "
         "ministers argued over costs and the timetable").split()
def sentence(n):
    return " ".join(rnd.choice(words) for _ in range(n)).capitalize() + "."
def event(key, body):
    url = f"https://large.example/news/2024/{key}.html"
    return {"schema": "veille.page.v1", "id": key, "url": url,
            "canonical_url": url, "fetched_at": "2024-05-01T10:00:00Z",
            "http": {"status": 200, "content_type": "text/html; charset=utf-8"},
            "body_b64": base64.b64encode(body).decode(), "body_bytes": len(body)}
def dense(key, size):
    story = "".join(f"<p>{sentence(25)} Sentinel {key} paragraph {i}.</p>\n"
                    for i in range(20))
    chrome = []
    n = 0
    while n < size:
        i = len(chrome)
        block = (
            f'  <div class="card card-{i % 97} grid__item" id="c{i}" data-id="{i}" '
            f'data-track=\'{{"pos":{i},"list":"home"}}\' style="width:{i % 300}px">\n'
            f'    <!-- card {i} -->\n'
            f'    <a href="/news/2024/item-{i}.html" class="card__link" '
            f'onclick="track({i})" rel="bookmark" title="Item {i}">\n'
            f'      <svg class="icon" viewBox="0 0 24 24" width="24" height="24">'
            f'<path d="M12 2L{i % 24} 22h20z" fill="#{i % 4096:03x}"/></svg>\n'
            f'      <span class="card__title">Item {i}</span>\n    </a>\n'
            f'    <script>window.dl=window.dl||[];dl.push({{"i":{i}}});</script>\n'
            f'  </div>\n')
        chrome.append(block)
        n += len(block)
    half = len(chrome) // 2
    html = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<title>Story {key} - Large</title>'
            '<style>.card{display:block}</style></head><body>\n'
            '<nav class="menu">\n' + "".join(chrome[:half]) + '</nav>\n'
            f'<article><h1>Story {key}</h1>\n{story}</article>\n'
            '<aside class="related">\n' + "".join(chrome[half:]) +
            '</aside></body></html>\n')
    return html.encode()
def article(size):
    parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8">'
             '<title>Long read - Large</title></head><body><article>'
             '<h1>Long read</h1>\n']
    n = 0
    while n < size:
        p = f"<p>{sentence(50)}</p>\n"
        parts.append(p)
        n += len(p)
    parts.append("</article></body></html>\n")
    return "".join(parts).encode()
pages = [(f"dense-{k}", dense(f"dense-{k}", 9_800_000)) for k in range(3)]
pages.append(("long-read", article(9_500_000)))
pages.append(("binary", rnd.randbytes(9_000_000)))
pages.append(("oversize", article(10_600_000)))
for i, (key, body) in enumerate(pages):
    with open(f"{out}/page.{i}", "w") as f:
        f.write(key + "\t" + json.dumps(event(key, body)))
PYEOF
for i in 0 1 2 3 4 5; do
  kcat -P -b "$BOOT" -t veille.pages -p "$i" -K '\t' -l \
    -X message.max.bytes=20000000 "$VL_TMP/page.$i" || fail "cannot produce page $i"
done
log "6 large pages on veille.pages"

pages_total() {
  metric_series parser "veille_parser_pages_total{daemon=\"parser\",result=\"$1\"}"
}
counted() {
  local n=0 r
  for r in article not_html too_large bad_event no_text too_short index_page error_page stub; do
    n=$((n + $(pages_total "$r")))
  done
  [ "$n" -ge 6 ]
}
wait_until 300 counted || fail "the parser did not count the 6 pages"
kill -0 "$PID_PARSER" || fail "the parser died"
for want in article=4 not_html=1 too_large=1; do
  got=$(pages_total "${want%%=*}")
  [ "$got" = "${want#*=}" ] || fail "pages_total{result=\"${want%%=*}\"} is $got, want ${want#*=}"
done
log "ok: 4 articles, 1 not html, 1 too large counted"

# records appended to a topic: the sum of its partitions' end offsets
appended() {
  local args=() p
  for p in 0 1 2 3 4 5; do args+=(-t "$1:$p:-1"); done
  kcat -Q -b "$BOOT" "${args[@]}" 2>/dev/null |
    awk '{for (i = 1; i < NF; i++) if ($i == "offset") s += $(i + 1)} END {print s + 0}'
}
articles_out() { [ "$(appended veille.articles)" -ge 4 ]; }
dlq_out() { [ "$(appended veille.dlq)" -ge 2 ]; }
wait_until 60 articles_out || fail "$(appended veille.articles) article records appended, want 4"
wait_until 60 dlq_out || fail "$(appended veille.dlq) dead letters appended, want 2"
[ "$(appended veille.articles)" -eq 4 ] || fail "$(appended veille.articles) article records, want 4"
[ "$(appended veille.dlq)" -eq 2 ] || fail "$(appended veille.dlq) dead letters, want 2"
[ "$(metric parser veille_errors_total)" -eq 0 ] || fail "errors counted"
log "ok: 4 articles and 2 dead letters acknowledged by the broker"

consume veille.dlq "$VL_TMP/dlq.tsv"
consume veille.articles "$VL_TMP/articles.tsv"
check_dead_letters parser "$VL_TMP/dlq.tsv" "binary=not html: binary content" \
  "oversize=page too large" || fail "dead letters"
$PY - "$VL_TMP/articles.tsv" <<'PYEOF'
import json, sys
ids = {f"https://large.example/news/2024/{k}.html": k
       for k in ("dense-0", "dense-1", "dense-2", "long-read")}
seen = 0
for l in open(sys.argv[1]):
    if not l.strip():
        continue
    a = json.loads(l.split("\t", 1)[1])
    key = ids.get(a["canonical_url"])
    assert key, a["canonical_url"]
    seen += 1
    if key.startswith("dense"):
        # the story, and none of the thousands of cards around it
        assert f"Sentinel {key} paragraph 19." in a["text"], key
        assert "Item 1" not in a["text"] and a["word_count"] < 1000, key
        assert a["title"] == f"Story {key}", a["title"]
    else:
        assert a["word_count"] > 1_000_000, a["word_count"]
    print(f"ok: {key}: {a['word_count']} words")
# the mock keeps at most 5 MiB a partition: the long read's 15 MB record
# pushes out whatever shares its partition
assert seen >= 1, "no article could be read back"
PYEOF
log "parser peak: $(grep VmHWM /proc/"$PID_PARSER"/status | tr -s ' \t' ' ')"
log "PASS"
