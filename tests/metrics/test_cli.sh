#!/usr/bin/env bash
# `parley metrics` as a user meets it: exit codes (0 ok, 1 bad input,
# 2 usage), clear messages, and the numbers on a WAV pair made with sox
# from the codec2 speech sample: 16 kHz reference, the received copy
# 120 ms late, at 48 kHz stereo with noise 20 dB down.
#   test_cli.sh PARLEY_BINARY
set -uo pipefail
parley=$1
speech=/usr/share/codec2/raw/speech_orig_16k.wav
for t in sox ffmpeg; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -r $speech ] || { echo "SKIP: $speech missing (codec2-examples)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail=0
expect() { # code pattern -- command...
  local code=$1 pat=$2
  shift 3
  "$@" >out.txt 2>err.txt
  local rc=$?
  if [ $rc -ne "$code" ] || ! grep -q -- "$pat" out.txt err.txt; then
    echo "FAIL: '$*' gave $rc (want $code), output lacks '$pat':"
    cat out.txt err.txt
    fail=1
  fi
}

sox -V1 -q $speech ref.wav
sox -V1 -q -n -r 16000 -c 1 noise.wav synth 10.8 whitenoise vol 0.02
sox -V1 -q -m -v 1 ref.wav -v 1 noise.wav mixed.wav
sox -V1 -q mixed.wav -r 48000 -c 2 deg.wav pad 0.12 0
printf 'RIFF\x10\x00\x00\x00WAVEjunk' >bad.wav
echo hello >text.txt
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 5 -pix_fmt yuv420p a.y4m
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x32:rate=10 -frames:v 5 -pix_fmt yuv420p b.y4m
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 5 -pix_fmt yuv444p c.y4m

expect 2 usage -- "$parley" metrics
expect 2 usage -- "$parley" metrics ref.wav
expect 2 "max-lag" -- "$parley" metrics --max-lag -3 ref.wav ref.wav
expect 0 usage -- "$parley" metrics --help
expect 1 "nope.wav" -- "$parley" metrics nope.wav ref.wav
expect 1 "neither WAV nor Y4M" -- "$parley" metrics ref.wav text.txt
expect 1 "not the same kind" -- "$parley" metrics ref.wav a.y4m
expect 1 "no fmt chunk" -- "$parley" metrics ref.wav bad.wav
expect 1 "size mismatch: a.y4m is 64x48, b.y4m is 64x32" -- "$parley" metrics a.y4m b.y4m
expect 1 "C444 is not supported" -- "$parley" metrics a.y4m c.y4m
expect 0 "STOI      1.000000" -- "$parley" metrics ref.wav ref.wav
expect 0 "resampling DEG from 48000 to 16000" -- "$parley" metrics ref.wav deg.wav
expect 0 "2 channels, both mixed" -- "$parley" metrics ref.wav deg.wav
expect 0 "delay      120.000 ms" -- "$parley" metrics ref.wav deg.wav
expect 0 '"delay_ms": 120.000' -- "$parley" metrics --json ref.wav deg.wav
# Noise at -34 dBFS against speech: SNR should be well above 10 dB and STOI
# high but not perfect.
"$parley" metrics --json ref.wav deg.wav >m.json 2>/dev/null
awk -F'[:,]' '/"snr_db"/ {s = $2} /"stoi"/ {t = $2}
  END { exit !(s > 10 && s < 40 && t > 0.8 && t < 0.999) }' m.json ||
  { echo "FAIL: implausible metrics"; cat m.json; fail=1; }
exit $fail
