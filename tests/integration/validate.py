#!/usr/bin/env python3
"""validate.py SCHEMA FILE: every line of FILE ("key<TAB>json" or "json") must
validate against the JSON Schema SCHEMA (draft 2020-12). Exit 1 on the first
invalid line, naming it."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
n = 0
for lineno, line in enumerate(open(sys.argv[2]), 1):
    line = line.rstrip("\n")
    if not line:
        continue
    value = line.split("\t", 1)[1] if "\t" in line else line
    errors = sorted(validator.iter_errors(json.loads(value)), key=str)
    if errors:
        print(f"{sys.argv[2]}:{lineno}: {errors[0].message} at "
              f"{list(errors[0].absolute_path)}", file=sys.stderr)
        sys.exit(1)
    n += 1
print(f"{n} valid against {sys.argv[1]}")
if n == 0:
    sys.exit(1)
