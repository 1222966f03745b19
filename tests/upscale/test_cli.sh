#!/usr/bin/env bash
# `parley upscale` on bad and edge-case Y4M input: a clear message naming
# the problem and exit 1 (input) or 2 (usage), never a crash or a silent
# short file; odd sizes work (x2: 2W x 2H, x1.5: floor(1.5 W) x floor(1.5 H)).
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
    echo "ok: $* -> $rc ($(head -c 120 <<<"$out" | tr '\n' ' '))"
  fi
}
# y4m W H [chroma] [bytes of picture data]: one frame of mid grey
y4m() {
  local w=$1 h=$2 c=${3:-420jpeg} n=${4:-}
  [ -z "$n" ] && n=$((w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2)))
  { printf 'YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C%s\nFRAME\n' "$w" "$h" "$c"
    head -c "$n" /dev/zero | tr '\0' '\200'; }
}
y4m 33 19 >"$dir/odd.y4m"
expect 0 "33x19 -> 66x38" -- "$parley" upscale "$dir/odd.y4m" "$dir/o2.y4m"
head -1 "$dir/o2.y4m" | grep -q "W66 H38" || { echo "FAIL: x2 header"; fail=1; }
expect 0 "33x19 -> 49x28" -- "$parley" upscale --scale 1.5 "$dir/odd.y4m" "$dir/o15.y4m"
size=$(stat -c %s "$dir/o15.y4m"); hdr=$(head -1 "$dir/o15.y4m" | wc -c)
want=$((hdr + 6 + 49 * 28 + 2 * 25 * 14))
[ "$size" -eq "$want" ] || { echo "FAIL: x1.5 file is $size bytes, want $want"; fail=1; }
expect 0 "bicubic" -- "$parley" upscale --bicubic --size 100x57 "$dir/odd.y4m" "$dir/ob.y4m"
y4m 64 36 444 >"$dir/c444.y4m"
expect 1 "not supported" -- "$parley" upscale "$dir/c444.y4m" "$dir/x.y4m"
y4m 64 36 420jpeg 1000 >"$dir/trunc.y4m"
expect 1 "frame 0" -- "$parley" upscale "$dir/trunc.y4m" "$dir/x.y4m"
printf 'YUV4MPEG2 W99999 H36 F30:1 C420jpeg\nFRAME\n' >"$dir/huge.y4m"
expect 1 "out of range\|too large\|range" -- "$parley" upscale "$dir/huge.y4m" "$dir/x.y4m"
printf 'YUV4MPEG2 W0 H36 F30:1 C420jpeg\n' >"$dir/zero.y4m"
expect 1 "W" -- "$parley" upscale "$dir/zero.y4m" "$dir/x.y4m"
printf 'RIFF\x10\x00\x00\x00WAVE\n' >"$dir/notvideo.y4m"
expect 1 "YUV4MPEG2\|format" -- "$parley" upscale "$dir/notvideo.y4m" "$dir/x.y4m"
expect 1 "no such\|not found\|missing\|ENOENT\|exist" -- "$parley" upscale "$dir/missing.y4m" "$dir/x.y4m"
expect 2 "2 or 1.5" -- "$parley" upscale --scale 3 "$dir/odd.y4m" "$dir/x.y4m"
expect 2 "at least the input" -- "$parley" upscale --size 20x10 "$dir/odd.y4m" "$dir/x.y4m"
expect 2 "usage" -- "$parley" upscale "$dir/odd.y4m"
# A 4:2:0 file with a second, cut-short frame: the first is written, then the error.
{ y4m 16 16; printf 'FRAME\n'; head -c 50 /dev/zero; } >"$dir/cut2.y4m"
expect 1 "frame 1" -- "$parley" upscale "$dir/cut2.y4m" "$dir/x.y4m"
# The lab: a 320x180 file sent at 160x90, each shown picture scored at 320x180.
if command -v ffmpeg >/dev/null; then
  ffmpeg -nostdin -v error -y -loop 1 -framerate 30 -i /usr/share/backgrounds/mate/nature/Wood.jpg \
    -vf "scale=352:-2,crop=320:180:n*2:0,format=yuv420p" -frames:v 30 "$dir/clip.y4m"
  out=$("$parley" loopback --video "$dir/clip.y4m" --video-size 160x90 --duration 2 --quiet \
        --out "$dir/lab" 2>&1)
  line=$(grep -m1 "upscale to 320x180" <<<"$out")
  if [[ "$line" =~ bicubic\ PSNR-Y\ ([0-9.]+).*network\ PSNR-Y\ ([0-9.]+) ]] &&
     [ "${BASH_REMATCH[1]%.*}" -gt 20 ] && [ "${BASH_REMATCH[2]%.*}" -gt 20 ]; then
    echo "ok: loopback scores both: $line"
  else
    echo "FAIL: loopback --video-size smaller than the file: $out"; fail=1
  fi
fi
exit $fail
