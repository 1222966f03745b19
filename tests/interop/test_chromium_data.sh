#!/usr/bin/env bash
# Data channels with Chromium: headless Chromium offers audio plus two data
# channels (ordered, unordered) over WHIP to `parley call --listen
# --echo-data`; text and binary messages of 1 B, 1 KiB, 64 KiB and 256 KiB
# come back byte for byte on both, and a burst comes back in order; the
# engine opens a channel to Chromium too and says hello on it.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pl_browser_ready "$here"
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --echo-data --duration 60 \
  --webrtc-json "$dir/webrtc.json" >"$dir/parley.out" 2>&1 &
lpid=$!
pl_wait_tcp $port
timeout 120 node "$here/chromium_data.js" "http://127.0.0.1:$port/" "$dir/browser.json" \
  >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; cat "$dir/parley.out"; exit 1; }
for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid || { cat "$dir/parley.out"; exit 1; }
lpid=
cat "$dir/parley.out"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
assert b["ok"], b
r = b["data"]["results"]
for x in r:
    print("%-9s %-6s %7d B  %s  %.1f ms" % (x["channel"], x["kind"], x["size"],
          "same" if x["same"] else "DIFFERENT", x["ms"]))
assert len(r) == 16 and all(x["same"] for x in r), r
assert b["data"]["burstInOrder"]
# The engine opened a channel of its own ("parley") and greeted on it.
print("engine-opened channels:", b["data"]["engineChannels"], b["data"]["engineMessages"])
assert "parley" in b["data"]["engineChannels"], b["data"]
assert "hello from parley" in b["data"]["engineMessages"], b["data"]
print("chromium channel stats:", b["data"]["channelStats"])
for s in b["data"]["channelStats"]:
    if s["label"] == "parley":
        assert s["messagesReceived"] == 1 and s["bytesReceived"] == 17, s
        continue
    assert s["messagesSent"] == s["messagesReceived"], s
    assert s["bytesSent"] == s["bytesReceived"], s
print("ok: Chromium <-> parley data channels, echoed byte for byte")
PY
