#!/usr/bin/env python3
"""Checks Statemark policy and test files against the JSON Schemas in this directory.

usage: python3 schema/validate.py FILE_OR_DIR...

A directory stands for its *.yaml files and those of its tests/ directory. Files in a
directory named `tests` are checked against tests.schema.json, the others against
policy.schema.json. Prints `file: path: message` for each problem and exits 1 if there
is any. The schemas check the shape of the files (keys, types, fixed words); names that
the vocabulary declares, and everything else that needs the whole policy, are checked
by `statemark validate`.

YAML is read the way the engine reads it (YAML 1.2 core): only `true` and `false` are
booleans, and dates stay text, so `NO` is Norway and not false.
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent


class CoreLoader(yaml.SafeLoader):
    """A SafeLoader without YAML 1.1's extra booleans (yes, no, on, off) and timestamps."""


CoreLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_schema(name):
    with open(SCHEMA_DIR / name, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def files_of(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(p.glob("*.yaml"))
            yield from sorted((p / "tests").glob("*.yaml"))
        else:
            yield p


def problems(path, validators):
    """The schema problems of one file, as `path: message` lines."""
    kind = "tests" if path.parent.name == "tests" else "policy"
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=CoreLoader)
    except yaml.YAMLError as e:
        return [f"invalid YAML: {e}"]
    if data is None:
        data = {}
    found = []
    for error in sorted(validators[kind].iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        found.append(f"{where}: {error.message}")
    return found


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    validators = {"policy": load_schema("policy.schema.json"),
                  "tests": load_schema("tests.schema.json")}
    bad = 0
    for path in files_of(argv[1:]):
        for message in problems(path, validators):
            print(f"{path}: {message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
