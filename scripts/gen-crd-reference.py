#!/usr/bin/env python3
"""Writes docs/reference.md, the UpdateRun reference, from crd/updaterun-crd.yaml: every field
of spec and status with its type, its bounds and its description, so the reference says what
the API server enforces. tests/integration/docs_reference_test.py keeps the two in sync.

Usage: gen-crd-reference.py [SOURCE_DIR] [--check]
  --check: exit 1 (and say so) when docs/reference.md differs from what would be written."""

import os
import sys

import yaml

HEADER = """# UpdateRun reference

`kcau.io/v1alpha1`, kind `UpdateRun` (cluster-scoped, short name `ur`): one updating run over
a set of nodes, as `Invoke-CauRun` performs one over a failover cluster. Generated from
`crd/updaterun-crd.yaml` by `scripts/gen-crd-reference.py`; do not edit by hand. `kubectl
explain updaterun.<field>` prints the same descriptions.

Where a spec field mirrors a cmdlet parameter, its description starts with the parameter's
name; "Beyond CAU" marks fields of kcau's own. Status is written by kcau-controller only.

| field | type | constraints | description |
| --- | --- | --- | --- |
"""


def type_of(schema):
    if schema.get("x-kubernetes-int-or-string"):
        return "integer or string"
    t = schema.get("type", "object")
    if t == "array":
        return "array of " + type_of(schema.get("items", {}))
    if t == "string" and schema.get("format") == "date-time":
        return "string (date-time)"
    if t == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "map of " + type_of(schema["additionalProperties"])
    return t


def constraints(schema, required):
    out = []
    if required:
        out.append("required")
    if "enum" in schema:
        out.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    for key, word in (("minimum", "min"), ("maximum", "max"), ("minLength", "min length"),
                      ("maxLength", "max length"), ("minItems", "min items"),
                      ("maxItems", "max items"), ("maxProperties", "max entries")):
        if key in schema:
            out.append(f"{word} {schema[key]}")
    items = schema.get("items")
    if isinstance(items, dict) and "enum" in items:
        out.append("items one of " + ", ".join(f"`{v}`" for v in items["enum"]))
    if "pattern" in schema:
        out.append("pattern")
    return ", ".join(out)


def cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def rows(schema, path, required=False):
    if path:
        yield (f"`{path}`", type_of(schema), constraints(schema, required),
               cell(schema.get("description", "")))
    target = schema
    while target.get("type") == "array" and isinstance(target.get("items"), dict):
        target = target["items"]
        path += "[]"
    needed = set(target.get("required", []))
    for name, child in target.get("properties", {}).items():
        yield from rows(child, f"{path}.{name}" if path else name, name in needed)


def render(source_dir):
    with open(os.path.join(source_dir, "crd", "updaterun-crd.yaml")) as f:
        crd = yaml.safe_load(f)
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    lines = [HEADER]
    for row in rows(schema, ""):
        lines.append("| " + " | ".join(row) + " |\n")
    return "".join(lines)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    source_dir = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), ".."))
    path = os.path.join(source_dir, "docs", "reference.md")
    text = render(source_dir)
    if check:
        with open(path) as f:
            if f.read() != text:
                print("docs/reference.md is out of date: run scripts/gen-crd-reference.py")
                return 1
        return 0
    with open(path, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
