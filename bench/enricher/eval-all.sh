#!/usr/bin/env bash
# Every evaluation of bench/enricher/README.md, in order.
# usage: bench/enricher/eval-all.sh [BUILD_DIR] [SHARED_DIR] [MODEL]
# MODEL: the tagger's model file ('' for none; default the shipped one)
set -euo pipefail
build=${1:-build/release}
shared=${2:-../shared}
here=$(cd "$(dirname "$0")" && pwd)
eval=$build/bench/enricher/veille-enricher-eval
model=${3-$here/../../enricher/data/ner-model.bin}
ner=$shared/data/ner
run() { echo "== $* (model: ${model:-none})"; "$eval" --model "$model" "$@"; echo; }
run --gold "$shared/data/seeds-entities.jsonl" --docs "$shared/seeds"
run --gold "$shared/data/seeds-entities.jsonl" --docs "$shared/seeds" \
    --drop "$here/seed-specific.txt"
run --conll "$ner/wikigold_en/test.conllu" --format iob --lang en
run --conll "$ner/europeana_fr/enp_FR.bnf.bio" --format iob --lang fr
run --conll "$ner/hipe2022_newseye_fr/HIPE-2022-v2.1-newseye-test-fr.tsv" \
    --format hipe --lang fr
run --conll "$ner/hipe2022_newseye_fr/HIPE-2022-v2.1-newseye-dev-fr.tsv" \
    --format hipe --lang fr
run --conll "$ner/wikineural_fr_val/val.conllu" --format iob --lang fr
# Held-out modern English news (bench/enricher/gold/README.md): only when
# MODERN_DOCS names the folder written by bench/enricher/modern-docs.sh.
if [ -n "${MODERN_DOCS:-}" ] && [ -d "$MODERN_DOCS" ]; then
        run --gold "$here/gold/modern-en.jsonl" --docs "$MODERN_DOCS"
fi
