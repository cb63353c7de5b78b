#!/usr/bin/env python3
"""Check that every label in labels.json lands on a message start, and that the parser sees
exactly the messages the generator wrote (none swallowed, none split).

    python3 bench/corpus/check_labels.py [--leakwatch PATH]

The leakwatch binary comes from --leakwatch, else $LEAKWATCH, else `leakwatch` on PATH, else
.build/debug/leakwatch or .build/release/leakwatch in the repository. It runs
`leakwatch parse FILE --format json` on every export named in labels.json.
Exit 0 when all is well, 1 when a check fails, 2 when the checks could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CATEGORIES = {"crime-scene-media", "location", "case-reference", "protective-marking",
              "personal-data", "intelligence", "conduct"}


def find_leakwatch(arg: str | None) -> str | None:
    for cand in (arg, os.environ.get("LEAKWATCH"), shutil.which("leakwatch"),
                 os.path.join(REPO, ".build", "debug", "leakwatch"),
                 os.path.join(REPO, ".build", "release", "leakwatch")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def parse(leakwatch: str, path: str) -> dict:
    proc = subprocess.run([leakwatch, "parse", path, "--format", "json"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{os.path.basename(path)}: leakwatch parse exited {proc.returncode}: {proc.stderr.strip()}")
    doc = json.loads(proc.stdout)
    if isinstance(doc, list):
        if len(doc) != 1:
            raise RuntimeError(f"{os.path.basename(path)}: expected one chat, parse gave {len(doc)}")
        doc = doc[0]
    return doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leakwatch", help="path to the leakwatch binary")
    ap.add_argument("--corpus", default=HERE, help="corpus directory (labels.json, exports/)")
    args = ap.parse_args()

    leakwatch = find_leakwatch(args.leakwatch)
    if leakwatch is None:
        print("check_labels: no leakwatch binary (give --leakwatch PATH or set LEAKWATCH)", file=sys.stderr)
        return 2
    with open(os.path.join(args.corpus, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    with open(os.path.join(args.corpus, "expected_counts.json"), encoding="utf-8") as f:
        expected = json.load(f)
    exports_dir = os.path.join(args.corpus, "exports")

    problems: list[str] = []
    on_disk = set(os.listdir(exports_dir))
    named = set(labels["files"])
    for missing in sorted(on_disk - named):
        problems.append(f"{missing}: export has no entry in labels.json")
    for missing in sorted(named - on_disk):
        problems.append(f"{missing}: named in labels.json but not in exports/")

    total_labels = 0
    for name in sorted(named & on_disk):
        entry = labels["files"][name]
        locator = entry.get("locator")
        if locator not in ("line", "id"):
            problems.append(f"{name}: locator must be 'line' or 'id', not {locator!r}")
            continue
        try:
            doc = parse(leakwatch, os.path.join(exports_dir, name))
        except (RuntimeError, json.JSONDecodeError) as e:
            problems.append(str(e))
            continue
        messages = doc["messages"]
        key = "line" if locator == "line" else "id"
        starts = {str(m[key]): m for m in messages if key in m}
        if len(starts) != len(messages):
            problems.append(f"{name}: {len(messages) - len(starts)} parsed messages have no {key}")
        if name in expected and len(messages) != expected[name]:
            problems.append(f"{name}: parser sees {len(messages)} messages, the generator wrote {expected[name]}")
        for note in doc.get("notes", []):
            problems.append(f"{name}: parser note: {note}")
        for i, lab in enumerate(entry["labels"]):
            total_labels += 1
            where = f"{name}: label {i} ({lab.get('category')})"
            if lab.get("category") not in CATEGORIES:
                problems.append(f"{where}: unknown category")
            if lab.get("kind") not in ("pos", "neutral"):
                problems.append(f"{where}: kind must be pos or neutral")
            at = lab.get("at")
            if not isinstance(at, list) or not at:
                problems.append(f"{where}: 'at' must be a non-empty list")
                continue
            for loc in at:
                m = starts.get(str(loc))
                if m is None:
                    problems.append(f"{where}: {locator} {loc} is not the start of a message")
                elif m.get("kind") == "system":
                    problems.append(f"{where}: {locator} {loc} is a system message")
        print(f"{name}: {len(messages)} messages, {len(entry['labels'])} labels - ok" if not any(p.startswith(name) for p in problems) else f"{name}: problems")

    if problems:
        for p in problems:
            print("FAIL " + p, file=sys.stderr)
        return 1
    print(f"all {total_labels} labels land on message starts in {len(named)} exports; message counts match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
