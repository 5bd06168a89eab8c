#!/usr/bin/env bash
# Screenshot of a `subgenre reproduce` report with headless Chromium (Debian: apt install chromium).
# Usage: tools/report/screenshot.sh REPORT_DIR/index.html OUT.png [HEIGHT_PX]
# The page is self-contained, so no server is needed; HEIGHT_PX (default 12000) should cover
# the whole page (a long study grid needs more).
set -euo pipefail
page=${1:?usage: screenshot.sh index.html out.png [height]}
out=${2:?usage: screenshot.sh index.html out.png [height]}
height=${3:-12000}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no Chromium found: apt install chromium" >&2; exit 1; }
url="file://$(realpath "$page")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1300,"$height" --screenshot="$(realpath -m "$out")" "$url" 2>/dev/null
echo "screenshot -> $out"
