#!/usr/bin/env bash
# A sharp drop in capacity under GCC (2.5 -> 0.4 Mbit/s at 8 s, 300 ms
# drop-tail): the video made at the old rate that goes stale in the pacer
# is flushed for a keyframe (pacerFlushes), the call sends what GCC allows,
# the bottleneck queue is back under 100 ms within a few seconds, and the
# picture keeps coming to the end (no freeze that never ends).
set -euo pipefail
parley=${PARLEY:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '0 2500\n8000 400\n' >"$dir/trace.txt"
# The receiver's upscale stage (auto) would enlarge every 360p picture after
# the ladder steps down, inline on the simulated clock: the sender is what is
# tested here, and under ASan that work alone took the run past its limit.
"$parley" loopback --net "delay=25,queue_ms=300,trace=$dir/trace.txt" --duration 20 \
  --video pattern --video-size 1280x720 --video-bitrate 1500000 --cc gcc --out "$dir" --quiet \
  --stage upscale=off
/usr/bin/python3 - "$dir/stats.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["directions"][0]
cc, g, v, ps = d["sender_stats"]["cc"], d["congestion"], d["video"], d["per_second"]
print({k: g[k] for k in g}, "flushes", cc["pacerFlushes"], cc["pacerPacketsFlushed"],
      "freezes", v["freeze_count"], v["freeze_total_s"])
assert cc["pacerFlushes"] >= 1 and cc["pacerPacketsFlushed"] > 0, cc
assert g["steps_down"] == 1 and 0 <= g["recovery_s"] <= 6, g
# After the drop settles, the call sends about what the link carries.
late = [s for s, c in zip(ps["send_kbps"][14:], ps["capacity_kbps"][14:])]
assert max(late) < 1.5 * 400, late
assert max(ps["queue_ms"][15:]) < 150, ps["queue_ms"]
# The picture goes on: a frame shown in the last second.
assert max(f[1] for f in v["frames"]) > 19, "video stopped"
print("ok")
PY
