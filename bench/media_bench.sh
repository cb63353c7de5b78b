#!/usr/bin/env bash
# Media speed: images per second for PDQ hashing and for the full analysis (decode, PDQ, OCR,
# EXIF) on this machine, through the real media worker. Images are drawn with ImageMagick:
# phone screenshots (720x1280 with chat text) and camera photos (1600x1200, no text).
#
#   LEAKWATCH=.build/release/leakwatch bench/media_bench.sh [COUNT]
set -euo pipefail
LEAKWATCH=${LEAKWATCH:-.build/release/leakwatch}
COUNT=${1:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 "$COUNT"); do
  convert -size 720x1280 xc:'#ECE5DD' -font DejaVu-Sans -fill '#075E54' -draw 'rectangle 0,0 720,150' \
    -fill white -pointsize 24 -annotate +24+36 '09:41' -pointsize 32 -annotate +24+112 "Team $i" \
    -fill black -pointsize 28 \
    -annotate +40+260 "Message $i: who is on lates tomorrow" -annotate +40+360 'Crime ref 01/3124578/21' \
    -annotate +40+460 'see you at the nick at 7 then' -annotate +40+560 'OFFICIAL-SENSITIVE briefing at 8' \
    -annotate +40+660 'bring the paperwork for the file' -depth 8 "$work/screenshot-$i.png"
  convert -seed "$i" -size 1600x1200 plasma:fractal -blur 0x1 -quality 85 "$work/photo-$i.jpg"
done

measure() { # label, then the command; prints seconds and images/s
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || true
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v n="$COUNT" -v l="$label" \
    'BEGIN { t = e - s; printf "%-44s %3d images %7.2f s %7.2f images/s\n", l, n, t, n / t }'
}

echo "media speed, $(nproc) cores, $("$LEAKWATCH" --version 2>/dev/null || echo leakwatch)"
measure "PDQ hash, screenshots 720x1280 PNG" "$LEAKWATCH" media hash "$work"/screenshot-*.png
measure "PDQ hash, photos 1600x1200 JPEG" "$LEAKWATCH" media hash "$work"/photo-*.jpg
measure "full analysis with OCR, screenshots" "$LEAKWATCH" media analyze "$work"/screenshot-*.png
measure "full analysis with OCR, photos (no text)" "$LEAKWATCH" media analyze "$work"/photo-*.jpg
