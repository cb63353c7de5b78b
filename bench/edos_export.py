#!/usr/bin/env python3
"""Write a split of the EDOS data set as a Telegram Desktop JSON export plus a leakwatch labels
file, so `leakwatch eval` measures the conduct rules on it exactly as on any labelled export.

    bench/edos_export.py ../shared/data/edos/edos-train-dev.csv dev OUT_DIR

writes OUT_DIR/edos-dev.json (one message per post, a day apart so no rule context reaches from
one post to the next) and OUT_DIR/edos-dev.labels.json ("sexist" posts are conduct positives).
The posts are offensive by nature and are never copied into the project: write OUT_DIR outside
the source tree (make quality uses a temporary directory).
"""
import csv
import datetime
import json
import os
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    source, split, out_dir = sys.argv[1:]
    try:
        with open(source, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["split"] == split]
    except OSError as error:
        print(f"edos_export: {source}: {error.strerror}", file=sys.stderr)
        return 2
    if not rows:
        print(f"edos_export: {source}: no rows in split '{split}'", file=sys.stderr)
        return 2
    start = datetime.datetime(2022, 1, 1, 12, 0, 0)
    messages = []
    labels = []
    for index, row in enumerate(rows, start=1):
        sent = start + datetime.timedelta(days=index)
        messages.append({
            "id": index,
            "type": "message",
            "date": sent.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(sent.replace(tzinfo=datetime.timezone.utc).timestamp())),
            "from": f"Poster {index % 97}",
            "from_id": f"user{index % 97}",
            "text": row["text"],
        })
        if row["label_sexist"] == "sexist":
            labels.append({"at": [index], "category": "conduct", "kind": "pos"})
    name = f"edos-{split}.json"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as handle:
        json.dump({"name": f"EDOS {split}", "type": "public_group", "id": 1, "messages": messages},
                  handle, ensure_ascii=False, indent=1)
    with open(os.path.join(out_dir, f"edos-{split}.labels.json"), "w", encoding="utf-8") as handle:
        json.dump({"files": {name: {"locator": "id", "labels": labels}}}, handle, indent=1)
    print(f"{name}: {len(rows)} posts, {len(labels)} sexist", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
