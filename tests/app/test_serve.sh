#!/usr/bin/env bash
# `parley serve` answering many callers at once (issue 17):
#
#  1. four callers at once against --max-calls 3 on two media threads, each
#     sending its own tone: three are answered and hear their own tone
#     echoed back (loud, right pitch), the fourth gets 503 "busy";
#  2. hostile load: 1000 WHIP POSTs that never complete ICE (refused past
#     the call limit with 503, the rest reaped), 1000 DELETEs and PATCHes on
#     sessions that do not exist (404), a caller killed mid-call (its call
#     ends when ICE consent expires): every one counted, the server's RSS
#     back near its baseline, and a real caller still answered afterwards.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
dir=$(mktemp -d)
spid=
trap 'kill $spid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
py=/usr/bin/python3

wait_http() {
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 never came up"; cat "$dir"/*.out; exit 1
}

# The spectral peak of a WAV and the share of its 10 ms blocks that are loud.
tone_of() {
  "$py" - "$1" <<'PY'
import sys, wave
import numpy as np
w = wave.open(sys.argv[1])
x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(float) / 32768
if len(x) < 48000:
    print("0 0"); sys.exit()
y = x[24000:]
peak = np.fft.rfftfreq(len(y), 1 / 48000)[np.argmax(np.abs(np.fft.rfft(y * np.hanning(len(y)))))]
blocks = x[: len(x) // 480 * 480].reshape(-1, 480)
loud = (np.sqrt((blocks ** 2).mean(axis=1)) > 0.05).mean()
print("%.0f %.2f" % (peak, loud))
PY
}

# ---- 1. three echo calls at once, a fourth refused ---------------------------
port=$(pl_free_port)
"$parley" serve --listen 127.0.0.1:$port --echo --max-calls 3 --threads 2 --quiet \
  --stats-json "$dir/serve1.json" --duration 30 >"$dir/serve1.out" 2>&1 &
spid=$!
wait_http $port
pids=()
for hz in 440 550 660 770; do
  "$parley" call --connect 127.0.0.1:$port --tone $hz --duration 4 --quiet \
    --record "$dir/echo-$hz.wav" >"$dir/call-$hz.out" 2>&1 &
  pids+=($!)
done
ok=0 busy=0
for i in 0 1 2 3; do
  hz=$((440 + 110 * i))
  if wait "${pids[$i]}"; then
    read -r peak loud < <(tone_of "$dir/echo-$hz.wav")
    echo "caller $hz Hz: echo peak $peak Hz, loud $loud"
    if [ $(( peak > hz - 5 && peak < hz + 5 )) = 1 ] &&
       "$py" -c "import sys; sys.exit(0 if $loud > 0.5 else 1)"; then
      ok=$((ok + 1))
    else
      echo "FAIL: caller $hz Hz did not hear its own tone back"; cat "$dir/call-$hz.out"; exit 1
    fi
  elif grep -q "busy" "$dir/call-$hz.out"; then
    echo "caller $hz Hz: busy (503), as the fourth should be"
    busy=$((busy + 1))
  else
    echo "FAIL: caller $hz Hz"; cat "$dir/call-$hz.out"; exit 1
  fi
done
kill -INT $spid; wait $spid || true
cat "$dir/serve1.json"
[ $ok = 3 ] && [ $busy = 1 ] || { echo "FAIL: $ok echoed, $busy busy (want 3, 1)"; exit 1; }
"$py" - "$dir/serve1.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["answered"] == 3 and s["busy"] == 1 and s["connected"] == 3, s
assert s["mediaThreads"] == 2, s
PY

# ---- 2. hostile load, then a real caller --------------------------------------
port=$(pl_free_port)
"$parley" serve --listen 127.0.0.1:$port --echo --max-calls 32 --session-timeout 1 \
  --idle-timeout 4 --quiet --stats-json "$dir/serve2.json" --duration 120 \
  >"$dir/serve2.out" 2>&1 &
spid=$!
wait_http $port
# A caller that connects, then vanishes without a word (kill -9).
"$parley" call --connect 127.0.0.1:$port --tone 440 --duration 60 --quiet \
  >"$dir/vanish.out" 2>&1 &
vpid=$!
# Under AddressSanitizer freed memory sits in its quarantine, never back to
# the system: RSS says nothing there (LeakSanitizer checks leaks instead).
asan=0
case $(ldd "$parley" 2>/dev/null) in *libasan*) asan=1 ;; esac
"$py" - "$port" "$spid" "$vpid" "$PL_SOURCE_DIR/tests/fixtures/sdp/chromium_audio.sdp" $asan <<'PY'
import http.client, os, signal, sys, time, json
port, spid, vpid, fixture = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
asan = sys.argv[5] == "1"

def rss_kb():
    for line in open("/proc/%d/status" % spid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status

time.sleep(2)  # the vanishing caller connects
os.kill(vpid, signal.SIGKILL)
t_killed = time.time()
base = rss_kb()
# Offers whose only candidate answers nothing: ICE never completes.
offer = open(fixture, "rb").read()
dead = offer.replace(b"a=candidate:2377626578", b"a=candidate:9 1 udp 2113937151 127.0.0.1 9 typ host\r\na=x-old:")
dead = dead.replace(b"a=candidate:1188131378", b"a=end-of-candidates\r\na=x-old:")
codes = {}
for i in range(1000):
    s = req("POST", "/whip", dead, {"Content-Type": "application/sdp"})
    codes[s] = codes.get(s, 0) + 1
    if i % 100 == 99:
        time.sleep(0.3)  # let the reaper free slots between bursts
print("1000 dead POSTs:", codes)
assert set(codes) <= {201, 503}, codes
assert codes.get(201, 0) >= 32 and codes.get(503, 0) > 0, codes
bad = {}
for i in range(1000):
    path = "/whip/%032x" % (i * 7919)
    s = req("DELETE" if i % 2 else "PATCH", path, b"a=ice-ufrag:x\r\n",
            {"Content-Type": "application/trickle-ice-sdpfrag"})
    bad[s] = bad.get(s, 0) + 1
print("1000 DELETE/PATCH on unknown sessions:", bad)
assert set(bad) == {404}, bad
peak = rss_kb()
time.sleep(max(0, t_killed + 8 - time.time()) + 2)  # reaper + consent expiry
after = rss_kb()
print("server RSS: %d kB before, %d kB at peak, %d kB after" % (base, peak, after))
# glibc keeps freed chunks for reuse; what must not happen is growth per
# request (1000 sessions would be tens of MB).
if asan:
    print("(AddressSanitizer build: RSS not checked)")
else:
    assert after < base + 6 * 1024, "RSS grew by %d kB" % (after - base)
PY
# The server still answers a real caller.
"$parley" call --connect 127.0.0.1:$port --tone 550 --duration 3 --quiet \
  --record "$dir/after.wav" >"$dir/after.out" 2>&1 || { cat "$dir/after.out"; exit 1; }
read -r peak loud < <(tone_of "$dir/after.wav")
echo "caller after the load: echo peak $peak Hz, loud $loud"
[ $(( peak > 545 && peak < 555 )) = 1 ] || { echo "FAIL: no echo after the load"; exit 1; }
kill -INT $spid; wait $spid || true
cat "$dir/serve2.json"
"$py" - "$dir/serve2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
# The 32+ dead sessions and the vanished caller were reaped; the unknown
# sessions were counted; nothing is left.
assert s["reaped"] >= 33, s
assert s["unknownSession"] == 1000, s
assert s["calls"] == 0, s
PY
echo "ok"
