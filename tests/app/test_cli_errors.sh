#!/usr/bin/env bash
# Bad input to the command line gives a clear message and the right exit
# code (2 usage, 1 runtime), never a crash.
set -uo pipefail
parley=${PARLEY:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
expect() { # expect CODE PATTERN -- command...
  local code=$1 pat=$2; shift 3
  out=$("$@" 2>&1); rc=$?
  if [ $rc -ne "$code" ] || ! grep -qi -- "$pat" <<<"$out"; then
    echo "FAIL: $* -> rc $rc (want $code), output: $out"; fail=1
  else
    echo "ok: $* -> $rc"
  fi
}
printf 'RIFF\x10\x00\x00\x00WAVEjunkjunk' >"$dir/bad.wav"
expect 2 "unknown command" -- "$parley" frobnicate
expect 2 "exactly one" -- "$parley" call
expect 2 "needs a value" -- "$parley" call --listen
expect 1 "cannot read" -- "$parley" call --connect 127.0.0.1:9 --send "$dir/missing.wav"
expect 1 "cannot read" -- "$parley" call --connect 127.0.0.1:9 --send "$dir/bad.wav"
expect 1 "cannot call" -- "$parley" call --connect 127.0.0.1:9 --duration 2 --quiet
expect 2 "frame-ms" -- "$parley" call --connect 127.0.0.1:9 --frame-ms 7
expect 2 "unknown" -- "$parley" loopback --net no-such-network
expect 1 "missing.wav" -- "$parley" loopback --send "$dir/missing.wav" --duration 1 --out "$dir/o"
expect 2 "not a number" -- "$parley" loopback --duration abc
expect 2 "missing.wav" -- "$parley" loopback --noise "$dir/missing.wav" --duration 1 --out "$dir/o"
expect 2 "not a number" -- "$parley" loopback --noise pink --snr loud
# Sizes are digits only: sscanf took trailing junk and overflowed silently.
expect 2 "bad size" -- "$parley" loopback --video pattern --video-size 320x240junk
expect 2 "bad size" -- "$parley" loopback --video pattern --video-size 99999999999x240
expect 2 "bad size" -- "$parley" loopback --video pattern --video-size " 320x240"
# The WAV reader shared by metrics, conceal and the lab: no audio, broken,
# truncated (read as far as it goes, with a note).
/usr/bin/python3 - "$dir" <<'PY'
import math, struct, sys, wave
d = sys.argv[1]
with wave.open(d + "/empty.wav", "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
with wave.open(d + "/tone.wav", "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<hh", int(8000 * math.sin(i * 0.1)), 0) for i in range(16000)))
b = open(d + "/tone.wav", "rb").read()
open(d + "/trunc.wav", "wb").write(b[:len(b) // 2])
PY
expect 1 "empty.wav: no audio" -- "$parley" conceal "$dir/empty.wav" "$dir/o.wav" --loss 0.1 --plc opus
expect 1 "parley metrics: .*bad.wav" -- "$parley" metrics "$dir/bad.wav" "$dir/tone.wav"
expect 0 "trunc.wav is truncated" -- "$parley" metrics "$dir/trunc.wav" "$dir/tone.wav"
expect 0 "trunc.wav is truncated" -- "$parley" conceal "$dir/trunc.wav" "$dir/o.wav" --loss 0.1 --plc opus
expect 2 "empty.wav: no audio" -- "$parley" loopback --noise "$dir/empty.wav" --duration 1 --out "$dir/o"
# A port already taken by another listener.
port=$((21000 + RANDOM % 20000))
"$parley" call --listen 127.0.0.1:$port --quiet --duration 5 >/dev/null 2>&1 &
pid=$!
sleep 0.5
expect 1 "address already in use" -- "$parley" call --listen 127.0.0.1:$port --quiet --duration 1
kill $pid 2>/dev/null; wait $pid 2>/dev/null
exit $fail
