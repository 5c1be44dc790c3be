#!/usr/bin/env python3
"""check_e2e.py EXPECTED ENRICHED: the enriched events (kcat lines
"key<TAB>headers<TAB>json") hold each sample article of EXPECTED once by
title, keyed by its id, with CloudEvents headers, its text free of the site
chrome, and the entities Burkina Faso (Q965) and Russia (Q159) where the
article names them. Prints what it checked; exit 1 on the first failure."""
import json
import sys

expected = json.load(open(sys.argv[1]))["articles"]
events = []
for line in open(sys.argv[2], encoding="utf-8"):
    key, headers, value = line.rstrip("\n").split("\t", 2)
    hdrs = dict(h.split("=", 1) for h in headers.split(","))
    events.append((key, hdrs, json.loads(value)))

def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)

for key, hdrs, ev in events:
    if key != ev["id"]:
        fail(f"key {key} is not the article id {ev['id']}")
    for h, want in (("ce_specversion", "1.0"), ("ce_type", "org.veille.enriched.v1"),
                    ("content-type", "application/json"), ("ce_subject", key)):
        if hdrs.get(h) != want:
            fail(f"{key}: header {h}={hdrs.get(h)!r}, want {want!r}")
    for h in ("ce_id", "ce_source", "ce_time"):
        if not hdrs.get(h):
            fail(f"{key}: header {h} missing")

by_title = {}
for key, hdrs, ev in events:
    by_title.setdefault(ev["title"], set()).add(key)

for art in expected:
    keys = by_title.get(art["title"])
    if not keys:
        fail(f"no enriched event titled {art['title']!r}; titles: {sorted(by_title)}")
    if len(keys) != 1:
        fail(f"{art['slug']}: {len(keys)} distinct ids for one article")
    ev = next(e for k, h, e in events if e["title"] == art["title"])
    text = ev["text"]
    for s in art["must_appear"]:
        if s not in text:
            fail(f"{art['slug']}: text lost {s[:60]!r}")
    for s in art["must_not_appear"]:
        if s in text:
            fail(f"{art['slug']}: site chrome in text: {s[:60]!r}")
    if ev["canonical_url"] != art["canonical_url"]:
        fail(f"{art['slug']}: canonical_url {ev['canonical_url']!r}")
    names = {(e["name"], e["qid"]) for e in ev["entities"]}
    if art["mentions_burkina"] and ("Burkina Faso", "Q965") not in names:
        fail(f"{art['slug']}: Burkina Faso (Q965) not found in {sorted(names)}")
    if art["mentions_russia"] and ("Russia", "Q159") not in names:
        fail(f"{art['slug']}: Russia (Q159) not found in {sorted(names)}")
    for e in ev["entities"]:
        for m in e["mentions"]:
            src = ev["title"] if m.get("in") == "title" else text
            if src[m["start"]:m["end"]] != m["text"]:
                fail(f"{art['slug']}: mention offsets {m} do not match the text")
    print(f"ok: {art['slug']}: {len(text)} chars, {len(ev['entities'])} entities")

if len(by_title) != len(expected):
    fail(f"{len(by_title)} distinct articles, expected {len(expected)}")
print(f"ok: {len(events)} enriched events, {len(expected)} articles")
