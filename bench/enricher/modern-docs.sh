#!/usr/bin/env bash
# Writes the documents of bench/enricher/gold/modern-en.jsonl (see
# bench/enricher/gold/README.md): OUT_DIR/<id>.txt is the ground truth's
# "articleBody" of page <id>, unchanged (UTF-8, no newline added, no
# normalisation), so that the gold's code-point offsets index it as Python
# indexes the string. The texts are not in the repository (their licences
# vary); DATASET_ROOT is the folder holding l3s-gn1/ and cleanportaleval/
# (on the project machine /work/shared/data/extraction).
# usage: bench/enricher/modern-docs.sh DATASET_ROOT OUT_DIR
set -euo pipefail
if [ $# -ne 2 ]; then
        echo "usage: $0 DATASET_ROOT OUT_DIR" >&2
        exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
for s in l3s-gn1 cleanportaleval; do
        if [ ! -f "$1/$s/ground-truth.json" ]; then
                echo "$0: no $1/$s/ground-truth.json" >&2
                exit 1
        fi
done
mkdir -p "$2"
python3 - "$1" "$2" "$here/gold/modern-en.jsonl" <<'PY'
import json, os, sys
root, out, gold = sys.argv[1:4]
want = []
for line in open(gold, encoding="utf-8"):
    doc = json.loads(line)["doc"]
    if doc not in want:
        want.append(doc)
texts = {}
for s in ("l3s-gn1", "cleanportaleval"):
    d = json.load(open(os.path.join(root, s, "ground-truth.json"),
                       encoding="utf-8"))
    for k, v in d.items():
        texts[k + ".txt"] = v.get("articleBody") or ""
missing = [w for w in want if w not in texts]
if missing:
    sys.exit("not in the ground truth: " + ", ".join(missing))
for w in want:
    with open(os.path.join(out, w), "w", encoding="utf-8", newline="") as f:
        f.write(texts[w])
# Check: every gold span's text is the document's text at its offsets.
bad = 0
for line in open(gold, encoding="utf-8"):
    g = json.loads(line)
    if texts[g["doc"]][g["start"]:g["end"]] != g["text"]:
        print("offset mismatch:", line.strip(), file=sys.stderr)
        bad += 1
print("%d documents written to %s" % (len(want), out))
sys.exit(1 if bad else 0)
PY
