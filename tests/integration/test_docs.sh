#!/usr/bin/env bash
# The docs stay true to the code: docs/configuration.md is what the daemons'
# --help says today, and every JSON Schema in docs/schemas is valid.
source "$(dirname "$0")/lib.sh"
vl_init
"$VL_SOURCE_DIR/scripts/gen-config-doc.sh" "$VL_BUILD_DIR" >"$VL_TMP/configuration.md"
diff -u "$VL_SOURCE_DIR/docs/configuration.md" "$VL_TMP/configuration.md" \
  || fail "docs/configuration.md is stale: run scripts/gen-config-doc.sh build/dev > docs/configuration.md"
for s in "$VL_SOURCE_DIR"/docs/schemas/*.json; do
  /usr/bin/python3 -c 'import json,sys,jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$s" \
    || fail "invalid JSON Schema $s"
done
log "PASS"
