#!/usr/bin/env bash
# Two `parley call` processes on real sockets (WebRTC transport) with video
# both ways: the listener prefers VP9 and gets it, both record what they
# decode as .y4m, and the JSON stats agree with the files.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --tone 440 --send-video pattern --video-size 320x240 \
  --video-codec vp9 --record-video "$dir/l.y4m" --video-json "$dir/l.json" --duration 8 \
  --quiet >"$dir/l.out" 2>&1 &
lpid=$!
for i in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
"$parley" call --connect 127.0.0.1:$port --tone 300 --send-video pattern --video-size 176x144 \
  --record-video "$dir/c.y4m" --video-json "$dir/c.json" --duration 3 --quiet >"$dir/c.out" 2>&1 \
  || { cat "$dir/c.out"; exit 1; }
for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid || true
lpid=
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
for me, peer_size in (("l", (176, 144)), ("c", (320, 240))):
    v = json.load(open(f"{d}/{me}.json"))
    print(me, v)
    assert v["video"] and v["codec"] == "VP9", v       # the answerer's preference
    assert v["framesDecoded"] > 45, v                  # ~3 s at 30 fps
    assert (v["frameWidth"], v["frameHeight"]) == peer_size, v
    assert v["decodeErrors"] == 0 and v["packetsDropped"] == 0, v
    data = open(f"{d}/{me}.y4m", "rb").read()
    hdr = data.split(b"\n", 1)[0].split()
    assert hdr[1] == b"W%d" % peer_size[0] and hdr[2] == b"H%d" % peer_size[1], hdr
    frames = data.count(b"FRAME")
    assert abs(frames - v["framesDecoded"]) <= 2, (frames, v["framesDecoded"])
    assert b"XPL_RECV_US=" in data
print("ok: video both ways between two parley processes")
PY
