#!/usr/bin/env bash
# Chromium's send rate follows the engine's TWCC feedback: headless Chromium
# sends 720p to `parley call --listen --ice-lite --cc gcc` through `parley
# relay` (chromium_cc.js rewrites the answer's candidates to the relay) on a
# 2.5 Mbit/s link that steps down to 0.5 Mbit/s after 10 s. The bottleneck
# queue holds 5 s, so for seconds after the step nothing is lost and loss-based
# control (receiver reports) has nothing to act on: only delay-based control,
# fed by our transport-cc feedback, can bring Chromium under the new capacity
# and drain the queue. Chromium's ramp to over 1.2 Mbit/s in the first 10 s
# needs the feedback too (its probes are measured from it). With
# PL_CC_NO_TWCC=1 the driver strips transport-cc from the engine's answer:
# Chromium then creeps up at 8 %/s (566 kbit/s by the step), keeps growing
# after it and fills the 5 s queue, and this test fails.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pl_browser_ready "$here"
dir=$(mktemp -d)
epid='' rpid=''
cleanup() {
  for p in $epid $rpid; do kill $p 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
secs=25
printf '# 2.5 then 0.5 Mbit/s\n0 2500\n10000 500\n' >"$dir/step.txt"
# The camera: fresh noise (the fake camera's own picture is too easy to code
# for Chromium's encoder to reach its target); 10 frames, looped.
/usr/bin/python3 - "$dir/cam.y4m" <<'PY'
import random, sys
w, h, rng = 1280, 720, random.Random(1)
tbl = bytes(96 + b * 64 // 256 for b in range(256))
with open(sys.argv[1], "wb") as f:
    f.write(b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n" % (w, h))
    for _ in range(10):
        f.write(b"FRAME\n" + rng.randbytes(w * h).translate(tbl) + bytes([128]) * (w * h // 2))
PY
port=$(pl_free_port)
relay=$((port + 1))
"$parley" call --listen 127.0.0.1:$port --ice-lite --cc gcc --video --tone 440 --duration 90 \
  --quiet >"$dir/engine.out" 2>&1 &
epid=$!
pl_wait_tcp $port
"$parley" relay --listen 127.0.0.1:$relay --forward 127.0.0.1:$port --start-on-first \
  --net "delay=25,queue_ms=5000,fwd.trace=$dir/step.txt" --duration $secs --warmup 0 \
  --stats-json "$dir/relay.json" >"$dir/relay.out" 2>&1 &
rpid=$!
timeout 90 node "$here/chromium_cc.js" "http://127.0.0.1:$port/" "$dir/browser.json" $secs \
  127.0.0.1:$relay send "$dir/cam.y4m" >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; exit 1; }
wait $rpid || { cat "$dir/relay.out"; exit 1; }
rpid=
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
r = json.load(open(d + "/relay.json"))
assert b["ok"], b.get("error")
fwd = r["directions"][0]
sec = fwd["seconds"]
s = b["samples"]
# Chromium's video send rate per second (its own bytesSent), kbit/s.
rate = [(s[k]["out"]["bytesSent"] - s[k - 1]["out"]["bytesSent"]) * 8 / 1000 for k in range(1, len(s))]
aob = [(x.get("pair") or {}).get("availableOutgoingBitrate") or 0 for x in s]
target = [x["out"].get("targetBitrate") or 0 for x in s]
print("capacity kbit/s:", [round(x) for x in sec["capacity_kbps"]])
print("chromium sends :", [round(x) for x in rate])
print("its target     :", [round(x / 1000) for x in target])
print("its estimate   :", [round(x / 1000) for x in aob])
print("queue ms       :", [None if x is None or x < 0 else round(x) for x in sec["queue_ms"]])
before = max(aob[:9])
assert before >= 1200e3, "Chromium's estimate never passed 1.2 Mbit/s before the step: %d" % before
assert sum(rate[5:9]) / 4 > 1000, "Chromium sent under 1 Mbit/s before the step"
after = sum(rate[-6:]) / 6
assert after < 600, "Chromium still sends %.0f kbit/s, 6 s after 2.5 -> 0.5 Mbit/s" % after
assert target[-1] < 700e3, "Chromium's target is still %d bit/s" % target[-1]
q = [x for x in sec["queue_ms"][-5:] if x is not None and x >= 0]
assert q and max(q) < 400, "the 5 s queue did not drain: %s ms" % q
print("ok: Chromium's rate followed our feedback (estimate %.0f kbit/s before the step, "
      "%.0f kbit/s sent in the last 6 s, queue %.0f ms, %d lost in the bottleneck)"
      % (before / 1000, after, max(q), fwd["lost_queue"]))
PY
