#!/usr/bin/env bash
# `parley loopback --video pattern` over 5% loss and 50 ms jitter: the JSON
# has one scored row per shown frame (matched by the pattern's frame number),
# NACK/RTX repaired the losses, and the HTML report has the PSNR chart.
set -euo pipefail
parley=${PARLEY:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$parley" loopback --net "loss=0.05,delay=50,jitter=50" --duration 6 --video pattern \
  --video-size 320x240 --out "$dir" --quiet
/usr/bin/python3 - "$dir/stats.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for d in r["directions"]:
    v = d["video"]
    print(d["name"], {k: v[k] for k in v if k != "frames"})
    assert v["codec"] == "VP8" and v["source"] == "pattern", v
    assert v["frames_sent"] >= 178, v                      # 30 fps x 6 s
    assert v["frames_shown"] >= 0.9 * v["frames_sent"], v
    assert v["unmatched"] == 0, v
    assert len(v["frames"]) == v["frames_shown"], v
    idx = [f[0] for f in v["frames"]]
    assert idx == sorted(idx) and len(set(idx)) == len(idx), "frames out of order"
    assert v["psnr_mean"] > 35 and v["ssim_mean"] > 0.95, v
    assert v["nack_count"] > 0 and v["retransmitted_packets_received"] > 0, v
    assert 25 < v["fps"] <= 31, v
    assert v["delay_mean_ms"] is not None and 50 < v["delay_mean_ms"] < 1000, v
print("json ok")
PY
grep -q "PSNR of every shown frame" "$dir/report.html"
grep -q "<th>PSNR mean (dB)</th>" "$dir/report.html"
echo "report ok"
