#!/usr/bin/env bash
# RED (RFC 2198) with Chromium, through `parley relay` at 10 % random loss
# each way: Chromium's offer (red/48000/2, fmtp 111/111) is answered with
# RED, listed before Opus since the engine sends RED (--red 1), which is what
# makes libwebrtc send RED too; the engine plays most of Chromium's losses
# from the copies (concealed share far below the loss), and Chromium plays
# most of ours from the engine's copies.
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
secs=${PL_RED_SECONDS:-20}
port=$(pl_free_port)
relay=$((port + 1))
"$parley" call --listen 127.0.0.1:$port --ice-lite --red 1 --tone 440 --duration 90 \
  --stats-json "$dir/engine.json" --quiet >"$dir/engine.out" 2>&1 &
epid=$!
pl_wait_tcp $port
"$parley" relay --listen 127.0.0.1:$relay --forward 127.0.0.1:$port --start-on-first \
  --net "loss=0.1,delay=20,seed=3" --duration $((secs + 5)) --warmup 0 \
  --stats-json "$dir/relay.json" >"$dir/relay.out" 2>&1 &
rpid=$!
timeout 90 node "$here/chromium_red.js" "http://127.0.0.1:$port/" "$dir/browser.json" $secs \
  127.0.0.1:$relay >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; exit 1; }
# The page's DELETE ends the call; the listener writes its JSON and exits.
for _ in $(seq 100); do kill -0 $epid 2>/dev/null || break; sleep 0.1; done
wait $epid || { cat "$dir/engine.out"; exit 1; }
epid=
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
e = json.load(open(d + "/engine.json"))
assert b["ok"], b.get("error")
offer, answer = b["offer"], b["answer"]
assert "a=rtpmap:63 red/48000/2" in offer and "a=fmtp:63 111/111" in offer, "Chromium offered no RED"
assert "a=rtpmap:63 red/48000/2\r\n" in answer and "a=fmtp:63 111/111\r\n" in answer, answer
mline = [l for l in answer.split("\r\n") if l.startswith("m=audio")][0]
assert mline.split()[3:5] == ["63", "111"], "red before Opus: " + mline
first, last = b["samples"][0], b["samples"][-1]
cin, cout = last["in"], last["out"]
print("chromium sends %s, receives %s" % (cout["codec"], cin["codec"]))
print("chromium in: %s" % cin)
exp = e["packetsReceived"] + e["packetsLost"]
loss = e["packetsLost"] / exp
conc = e["concealedSamples"] / max(1, e["totalSamplesReceived"])
print("engine in: %d packets, %.1f %% lost, %d RED copies (%d unused), %d losses played from "
      "RED, %.2f %% concealed; sent %d RED packets" % (exp, 100 * loss, e["fecPacketsReceived"],
      e["fecPacketsDiscarded"], e["redRecovered"], 100 * conc, e["redPacketsSent"]))
# The engine decodes Chromium's RED under loss (getStats names the codec
# inside RED, so the engine's counts are the evidence that RED came). Its
# packet counts include Chromium's padding-only probes (same SSRC and
# sequence space, no media): media losses are estimated from what Chromium
# sent: 20 ms packets for the call's duration (Chromium's packetsSent counts
# the padding too).
sent = 50 * e["duration_s"]
assert e["fecPacketsReceived"] > 0.7 * sent, "Chromium sent no RED: %s" % e
assert 0.05 < loss < 0.16, loss
assert e["redRecovered"] > 0.5 * loss * sent, e
assert conc < loss / 3, "concealed %.3f at %.3f loss" % (conc, loss)
assert e["packetsDropped"] == 0, e
# Chromium decodes the engine's RED: its own concealed share stays far below
# the loss it sees. (Its fecPacketsReceived is printed, not asserted: the
# Chromium of this machine counts Opus in-band FEC there, but not RED copies.)
assert e["redPacketsSent"] > 0.9 * e["packetsSent"], e
grow = (cin.get("fecPacketsReceived") or 0) - (first["in"].get("fecPacketsReceived") or 0)
closs = cin["packetsLost"] / (cin["packetsLost"] + cin["packetsReceived"])
cconc = cin["concealedSamples"] / max(1, cin["totalSamplesReceived"])
print("chromium in: %.1f %% lost, %.2f %% concealed, fecPacketsReceived +%d"
      % (100 * closs, 100 * cconc, grow))
assert closs > 0.05, cin
assert cconc < closs / 3, "Chromium concealed %.3f at %.3f loss" % (cconc, closs)
print("ok: RED both ways with Chromium %s: engine concealed %.2f %% at %.1f %% loss, "
      "Chromium %.2f %% at %.1f %%" % (b["version"], 100 * conc, 100 * loss, 100 * cconc, 100 * closs))
PY
