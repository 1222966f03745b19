#!/usr/bin/env bash
# Bad input to the command line gives a clear message and the right exit
# code (2 usage, 1 runtime), never a crash.
set -uo pipefail
. "$(dirname "$0")/../lib/port.sh"
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
expect 2 "--janus and --room" -- "$parley" room
expect 2 "positive integer" -- "$parley" room --janus http://127.0.0.1:9/janus --room 1.5
expect 2 "http://IP:PORT" -- "$parley" room --janus https://127.0.0.1:9/janus --room 1
expect 1 "cannot read" -- "$parley" room --janus http://127.0.0.1:9/janus --room 1 --send "$dir/missing.wav"
expect 1 "room is over: no answer from Janus" -- "$parley" room --janus http://127.0.0.1:9/janus --room 1 --quiet
expect 2 "--red must be 0, 1, 2 or auto" -- "$parley" call --connect 127.0.0.1:9 --red 3
expect 2 "--red must be 0, 1, 2 or auto" -- "$parley" loopback --red often
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
# Valid files the call path cannot take, odd data sizes and silence
# (issue #13): say what is wrong, not a neighbouring errno.
/usr/bin/python3 - "$dir" <<'PY'
import math, struct, sys
d = sys.argv[1]
def wav(name, rate, ch, frames, extra=b"", silent=False):
    data = b"".join(struct.pack("<h", 0 if silent else int(8000 * math.sin(i * 0.05)))
                    for i in range(frames) for _ in range(ch)) + extra
    fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * ch * 2, ch * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    body += b"\0" * (len(data) & 1)
    open(d + "/" + name, "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
wav("r384.wav", 384000, 1, 384000)
wav("r4k.wav", 4000, 1, 4000)
wav("odd.wav", 16000, 1, 16000, extra=b"\x01")
wav("silent.wav", 48000, 1, 48000 * 2, silent=True)
wav("ch3.wav", 44100, 3, 44100)
PY
# A valid 384 kHz WAV once gave "out of memory": every WAV rate from 8 kHz up
# is resampled now; below that the message names the range.
expect 0 "A->B .*STOI" -- "$parley" loopback --send "$dir/r384.wav" --duration 1 --quiet --out "$dir/o"
expect 0 "concealed" -- "$parley" conceal "$dir/r384.wav" "$dir/o.wav" --loss 0.1 --plc opus
expect 1 "sample rate 4000 Hz is outside the 8000..384000 Hz" -- "$parley" loopback --send "$dir/r4k.wav" --duration 1 --out "$dir/o"
expect 1 "sample rate 4000 Hz is outside the 8000..384000 Hz" -- "$parley" conceal "$dir/r4k.wav" "$dir/o.wav" --loss 0.1 --plc opus
expect 0 "1 stray byte after 16000 whole 2-byte frames" -- "$parley" metrics "$dir/odd.wav" "$dir/odd.wav"
out=$("$parley" metrics "$dir/odd.wav" "$dir/odd.wav" 2>&1)
if grep -q truncated <<<"$out"; then echo "FAIL: odd.wav reported as truncated: $out"; fail=1; fi
expect 0 "IN is silent.*n/a" -- "$parley" conceal "$dir/silent.wav" "$dir/o.wav" --loss 0.2 --plc opus
expect 0 "STOI *n/a" -- "$parley" conceal "$dir/silent.wav" "$dir/o.wav" --loss 0.2 --plc opus
expect 1 "REF is silent" -- "$parley" metrics "$dir/silent.wav" "$dir/tone.wav"
expect 0 "metrics: n/a (the reference is silent)" -- "$parley" loopback --send "$dir/silent.wav" --duration 1 --quiet --out "$dir/o"
expect 0 "A->B .*STOI" -- "$parley" loopback --send "$dir/ch3.wav" --duration 1 --quiet --out "$dir/o"
# loopback --video: a size a call cannot send, unreadable frames, no
# frames, and video that never shows are failures with the reason, not
# "shown 0 of N" and exit 0 (issue #13).
/usr/bin/python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
hdr = b"YUV4MPEG2 W64 H64 F30:1 Ip C420jpeg\n"
pic = bytes(64 * 64 * 3 // 2)
open(d + "/huge.y4m", "wb").write(b"YUV4MPEG2 W8192 H8192 F30:1 Ip C420jpeg\nFRAME\n" + bytes(16))
open(d + "/cut.y4m", "wb").write(hdr + b"FRAME\n" + pic + b"FRAME\n" + pic[:3072])
open(d + "/badline.y4m", "wb").write(hdr + b"FRAME\n" + pic + b"FRAMX\n" + pic)
open(d + "/noframes.y4m", "wb").write(hdr)
PY
expect 1 "8192x8192 is larger than the 3840x2160 a call sends" -- "$parley" loopback --video "$dir/huge.y4m" --duration 1 --out "$dir/o"
expect 1 "frame 1: picture cut short: 3072 of 6144 bytes" -- "$parley" loopback --video "$dir/cut.y4m" --duration 1 --out "$dir/o"
expect 1 "frame 1: expected a FRAME line" -- "$parley" loopback --video "$dir/badline.y4m" --duration 1 --out "$dir/o"
expect 1 "no frames" -- "$parley" loopback --video "$dir/noframes.y4m" --duration 1 --out "$dir/o"
expect 1 "none of the .* frames sent was shown" -- "$parley" loopback --video pattern --net loss=1 --duration 1 --quiet --out "$dir/o"
# A port already taken by another listener.
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --quiet --duration 5 >/dev/null 2>&1 &
pid=$!
sleep 0.5
expect 1 "address already in use" -- "$parley" call --listen 127.0.0.1:$port --quiet --duration 1
kill $pid 2>/dev/null; wait $pid 2>/dev/null
exit $fail
