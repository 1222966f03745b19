#!/usr/bin/env bash
# Two aiortc clients (Debian's python3-aiortc) call one `parley serve` over
# WHIP at the same time: the server plays a 440 Hz file to every caller and
# records each call; each aiortc client must hear 440 Hz, and the server's
# recordings must hold the two clients' tones (660 and 770 Hz), one each.
# (The other way round, parley calling an aiortc server, is
# interop/aiortc_answer_*.)
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if ! "$py" -c "import aiortc, numpy" 2>/dev/null; then
  echo "SKIP: aiortc cannot be imported by $py (scripts/install-deps.sh test)"
  exit 77
fi
dir=$(mktemp -d)
spid=
trap 'kill $spid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
sox -n -r 48000 -c 1 -b 16 "$dir/tone.wav" synth 6 sine 440 vol 0.3
mkdir "$dir/rec"
port=$(pl_free_port)
"$parley" serve --listen 127.0.0.1:$port --play "$dir/tone.wav" --record "$dir/rec" --quiet --duration 30 \
  --stats-json "$dir/serve.json" >"$dir/serve.out" 2>&1 &
spid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
pids=()
for hz in 660 770; do
  mkdir "$dir/peer-$hz"
  timeout 30 "$py" "$here/aiortc_peer.py" offer "http://127.0.0.1:$port/whip" --seconds 4 \
    --tone $hz --out "$dir/peer-$hz" >"$dir/peer-$hz.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait $p || { cat "$dir"/peer-*.out; exit 1; }; done
sleep 1
kill -INT $spid; wait $spid || true
cat "$dir/serve.json"
"$py" - "$dir" <<'PY'
import glob, json, sys, wave
import numpy as np
d = sys.argv[1]

def peak(path):
    w = wave.open(path)
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(float) / 32768
    if len(x) < w.getframerate():
        return 0.0, 0.0
    y = x[w.getframerate() // 2:]
    f = np.fft.rfftfreq(len(y), 1 / w.getframerate())[np.argmax(np.abs(np.fft.rfft(y * np.hanning(len(y)))))]
    hop = w.getframerate() // 100
    b = x[: len(x) // hop * hop].reshape(-1, hop)
    return f, (np.sqrt((b ** 2).mean(axis=1)) > 0.05).sum() / 100

s = json.load(open(d + "/serve.json"))
assert s["answered"] == 2 and s["connected"] == 2, s
recs = sorted(glob.glob(d + "/rec/call-*.wav"))
assert len(recs) == 2, recs
got = sorted(peak(r) for r in recs)
print("server recorded:", ", ".join("%.0f Hz (%.1f s loud)" % g for g in got))
assert abs(got[0][0] - 660) < 5 and abs(got[1][0] - 770) < 5, got
assert all(g[1] > 2.0 for g in got), got
for hz in (660, 770):
    f, loud = peak("%s/peer-%d/peer-rx.wav" % (d, hz))
    print("aiortc client %d Hz heard %.0f Hz (%.1f s loud)" % (hz, f, loud))
    assert abs(f - 440) < 5 and loud > 2.0, (hz, f, loud)
PY
echo "ok: two aiortc callers on one parley serve, each direction checked"
