#!/usr/bin/env bash
# Headless Chromium and `parley call --listen` exchange video over WebRTC:
# Chromium sends its fake camera (VP8, then VP9 when the engine prefers it),
# the engine decodes frames of the camera's size and records them; the
# engine sends its moving test pattern and Chromium's getStats() shows the
# frames it decoded.   usage: test_chromium_video.sh vp8|vp9
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
codec=${1:-vp8}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pl_browser_ready "$here"
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --tone 440 --duration 60 --quiet \
  --send-video pattern --video-size 640x360 --video-codec "$codec" \
  --record-video "$dir/rx.y4m" --video-json "$dir/video.json" >"$dir/parley.out" 2>&1 &
lpid=$!
pl_wait_tcp $port
timeout 90 node "$here/chromium_call.js" "http://127.0.0.1:$port/" "$dir/browser.json" 5 video \
  >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; exit 1; }
for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid || { cat "$dir/parley.out"; exit 1; }
lpid=
/usr/bin/python3 - "$dir" "$codec" <<'PY'
import json, sys
d, codec = sys.argv[1], sys.argv[2].upper()
b = json.load(open(d + "/browser.json"))
v = json.load(open(d + "/video.json"))
assert b["ok"], b
s = b["stats"]
print("chromium in:", s.get("video"))
print("chromium out:", s.get("videoOut"))
print("engine:", v)
# The engine picked its codec from Chromium's offer and decoded the camera.
assert v["video"] and v["codec"] == codec, v
assert v["framesDecoded"] > 60, v                # 5 s of a 30 fps camera (Chromium may start low)
assert v["decodeErrors"] == 0, v
assert v["packetsDropped"] == 0, v
# Chromium's fake capture device: 640x480 unless asked otherwise.
assert (v["frameWidth"], v["frameHeight"]) == (640, 480), v
hdr = open(d + "/rx.y4m", "rb").read(64).split(b"\n")[0].split()
assert hdr[1] == b"W640" and hdr[2] == b"H480", hdr
# Chromium decoded what the engine sent.
vi = s["video"]
assert vi["codec"] == "video/" + codec, vi
assert vi["framesDecoded"] > 60, vi
assert (vi["frameWidth"], vi["frameHeight"]) == (640, 360), vi
print("ok: %s both ways between Chromium and parley" % codec)
PY
