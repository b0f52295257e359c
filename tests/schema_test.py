#!/usr/bin/env python3
"""The JSON Schemas accept every file of the default policy and its tests, and reject
files broken in the ways staff most often break them; the engine rejects each of those
files too, so the schema flags nothing the engine accepts.

usage: schema_test.py SOURCE_DIR STATEMARK
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

SOURCE = pathlib.Path(sys.argv[1]).resolve()
STATEMARK = sys.argv[2]
sys.path.insert(0, str(SOURCE / "schema"))
import validate  # noqa: E402  (the checker under test)

VALIDATORS = {"policy": validate.load_schema("policy.schema.json"),
              "tests": validate.load_schema("tests.schema.json")}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


# 1. Every file of the default policy, and of its tests, is valid.
files = list(validate.files_of([SOURCE / "rules"]))
check(len(files) >= 15, f"expected the default policy's files, found {len(files)}")
for path in files:
    for p in validate.problems(path, VALIDATORS):
        failures.append(f"{path}: {p}")

# 2. Broken files: (file to change, text to replace, replacement, expected schema message).
RULE_P4 = "  - id: P4\n    layer: platform\n"
BROKEN = [
    ("unknown key in a rule", "platform.yaml",
     "    effective: { from: \"2024-05-23T00:00:00Z\" }\n    when:\n      all:\n        - account.affiliation: { in: [STATE_MEDIA] }",
     "    efective: { from: \"2024-05-23T00:00:00Z\" }\n    when:\n      all:\n        - account.affiliation: { in: [STATE_MEDIA] }",
     "'efective' was unexpected"),
    ("bad layer", "platform.yaml", RULE_P4, "  - id: P4\n    layer: platfrom\n",
     "'platfrom' is not one of"),
    ("layer of the wrong type", "platform.yaml", RULE_P4, "  - id: P4\n    layer: [platform]\n",
     "is not one of"),
    ("unknown operator", "platform.yaml", "content.topics: { intersects: [NEWS_POLITICS] }",
     "content.topics: { intersect: [NEWS_POLITICS] }", "is not valid under any of the given schemas"),
    ("`is` given a word", "exemptions.yaml", "account.government_in_dispute: true",
     "account.government_in_dispute: { is: maybe }", "is not valid under any of the given schemas"),
    ("exemption with effects", "exemptions.yaml", "    lifts: [P2, P3]\n",
     "    lifts: [P2, P3]\n    then: { notice: legal_demand }\n", "should not be valid"),
    ("rule without effect", "integrity.yaml",
     "    then:\n      surfaces: { all: removed }\n      ads: deny_all\n\n  - id: I2",
     "\n  - id: I2", None),
    ("ads with both forms", "integrity.yaml", "      ads: deny_all\n\n",
     "      ads: { deny: [US], allow_only: [RU] }\n\n", "is not valid under any of the given schemas"),
    ("unknown vocabulary section", "vocabulary.yaml", "  friction: [", "  frictions: [",
     "'frictions' was unexpected"),
    ("attribute of an unknown type", "vocabulary.yaml", "account.network_id: { type: string }",
     "account.network_id: { type: text }", "'text' is not one of"),
    ("country code in lower case", "countries.yaml", "  AD: Andorra\n", "  ad: Andorra\n",
     "does not match"),
    ("unknown key in a test case", "tests/ads.yaml",
     "  - name: Chinese state media may advertise only in China\n    tags: [ads]\n",
     "  - name: Chinese state media may advertise only in China\n    tag: [ads]\n",
     "'tag' was unexpected"),
    ("test case without expectation", "tests/precedence.yaml", "    expect:\n", "    expected:\n",
     "was unexpected"),
]

with tempfile.TemporaryDirectory() as tmp:
    for what, name, old, new, expected in BROKEN:
        policy = pathlib.Path(tmp) / what.replace(" ", "_").replace("`", "")
        shutil.copytree(SOURCE / "rules", policy)
        target = policy / name
        text = target.read_text(encoding="utf-8")
        if old not in text:
            failures.append(f"{what}: `{old.strip()}` not found in {name}")
            continue
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
        found = validate.problems(target, VALIDATORS)
        check(found, f"{what}: the schema accepts the broken {name}")
        if expected is not None and found:
            check(any(expected in p for p in found),
                  f"{what}: expected a message with `{expected}`, got {found}")
        command = "test" if name.startswith("tests/") else "validate"
        run = subprocess.run([STATEMARK, command, str(policy)], capture_output=True, text=True)
        check(run.returncode == 1,
              f"{what}: `statemark {command}` exits {run.returncode} on it, so the schema "
              f"rejects a file the engine accepts")

for f in failures:
    print("FAIL:", f)
print(f"schema: {len(files)} files of the default policy, {len(BROKEN)} broken files; "
      f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
