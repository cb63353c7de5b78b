#!/usr/bin/env bash
# Detection quality, measured with `leakwatch eval` (run by `make quality`):
#   1. the project's own labelled corpus (bench/corpus), every category;
#   2. the EDOS dev split (../shared/data/edos, when present): conduct rules with "sexist" as
#      positive, the misogyny-tagged ones and all of them, and how often ordinary posts set off the
#      other six categories.
# The EDOS posts are written to a temporary directory and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
leakwatch=${LEAKWATCH:-.build/debug/leakwatch}
status=0

echo "== Development corpus (bench/corpus): floors recall >= 0.90, precision >= 0.90, recall >= 0.80 per category"
"$leakwatch" eval --labels bench/corpus/labels.json --rules rules bench/corpus/exports \
  --min-recall 0.90 --min-precision 0.90 --min-recall each=0.80 --limit "${QUALITY_LIST_LIMIT:-20}" || status=$?

csv=../shared/data/edos/edos-train-dev.csv
if [ ! -f "$csv" ]; then
  echo
  echo "== EDOS: skipped ($csv is absent)"
  exit "$status"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/edos_export.py "$csv" dev "$tmp"
echo
echo "== EDOS dev, conduct rules tagged misogyny, \"sexist\" as positive: floors precision >= 0.75, recall >= 0.35"
"$leakwatch" eval --labels "$tmp/edos-dev.labels.json" --rules rules "$tmp/edos-dev.json" --category conduct \
  --tag misogyny --min-precision 0.75 --min-recall 0.35 --limit 0 | grep -E '^(category|conduct|ok|FAIL)' || status=1
echo
echo "== EDOS dev, every conduct rule (racist, homophobic, disablist ... alerts on posts EDOS labels \"not sexist\" count as false positives here)"
"$leakwatch" eval --labels "$tmp/edos-dev.labels.json" --rules rules "$tmp/edos-dev.json" --category conduct \
  --limit 0 | grep -E '^(category|conduct)' || true
echo
echo "== EDOS dev, the other six categories on the 1,514 not-sexist posts: floor fewer than 1% flagged"
flagged=$("$leakwatch" eval --labels "$tmp/edos-dev.labels.json" --rules rules "$tmp/edos-dev.json" --format json \
  --category crime-scene-media --category location --category case-reference --category protective-marking \
  --category personal-data --category intelligence \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len({f["locator"] for f in r["false_positives"]}))')
python3 -c "
flagged = $flagged
share = flagged / 1514
print(f'{flagged} of 1514 posts flagged ({share:.2%}):', 'ok' if share < 0.01 else 'FAIL')
raise SystemExit(0 if share < 0.01 else 1)
" || status=1
exit "$status"
