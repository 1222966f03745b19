#!/usr/bin/env bash
# The super-resolution table of docs/quality.md (issue 18): the four held-out
# photographs (ai/data/sources.py IMAGES_HELDOUT, never read by the trainer)
# at 1280x720 (and 960x540 for x1.5), scaled down to 640x360 with ffmpeg's
# bicubic, enlarged back by bicubic (the network's base), ffmpeg's Lanczos
# and the network (`parley upscale`); then the same as 30-frame clips
# panning 2 px a frame, VP8-coded at 360p and 500 kbit/s (ffmpeg's libvpx,
# realtime CBR as video/vpx sets it) and decoded first. PSNR-Y and SSIM-Y
# against the originals (`parley upscale --ref`, `parley metrics`).
#   scripts/sr-table.sh [build/bin/parley] [--write docs/quality.md]
# SR_PICS="a.jpg b.jpg" replaces the held-out pictures (to try the script on
# training pictures without looking at the held-out ones).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${1:-$root/build/bin/parley}
write=""
[ "${2:-}" = "--write" ] && write=${3:-$root/docs/quality.md}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pics=${SR_PICS:-$(/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$root/ai/data'); import sources as S
print(' '.join(sorted(S.IMAGES_HELDOUT)))")}
ff() { ffmpeg -nostdin -v error -y "$@"; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
vp8() { # in.y4m out.y4m kbps
  ff -i "$1" -c:v libvpx -b:v "$3k" -minrate "$3k" -maxrate "$3k" -bufsize "$3k" \
     -deadline realtime -cpu-used 6 -lag-in-frames 0 -error-resilient 1 -qmin 2 -qmax 56 \
     -undershoot-pct 100 -overshoot-pct 15 -g 9999 -threads 1 "$dir/c.webm"
  ff -i "$dir/c.webm" -pix_fmt yuv420p "$2"
}
score_up() { # lr hr [--bicubic] -> "psnr ssim"
  "$parley" upscale --quiet ${3:-} --size "$(head -1 "$2" | sed -E 's/.* W([0-9]+) H([0-9]+).*/\1x\2/')" \
    --ref "$2" "$1" "$dir/up.y4m" | sed -E 's/.*"psnr_y": ([0-9.]+).*"ssim_y": ([0-9.]+).*/\1 \2/'
}
score_lanczos() { # lr hr -> "psnr ssim"
  local wh; wh=$(head -1 "$2" | sed -E 's/.* W([0-9]+) H([0-9]+).*/\1:\2/')
  ff -i "$1" -vf "scale=$wh:flags=lanczos+accurate_rnd" -pix_fmt yuv420p "$dir/lz.y4m"
  "$parley" metrics "$2" "$dir/lz.y4m" | awk '/^PSNR-Y/{p=$2} /^SSIM-Y/{s=$2} END{print p, s}'
}
rows=""
declare -A sum
for cond in "x2 clean" "x2 vp8" "x1.5 clean" "x1.5 vp8"; do
  set -- $cond; scale=$1; kind=$2
  if [ "$scale" = x2 ]; then W=1280; H=720; else W=960; H=540; fi
  for m in bicubic lanczos network; do sum[$m.p]=0; sum[$m.s]=0; done
  n=0
  for pic in $pics; do
    name=$(basename "$pic" .jpg)
    if [ "$kind" = clean ]; then
      ff -loop 1 -i "$pic" -vf "scale=$W:$H:force_original_aspect_ratio=increase:flags=lanczos+accurate_rnd,crop=$W:$H,format=yuv420p" \
         -frames:v 1 "$dir/hr.y4m"
      ff -i "$dir/hr.y4m" -vf "scale=640:360:flags=bicubic+accurate_rnd" -pix_fmt yuv420p "$dir/lr.y4m"
    else
      ff -loop 1 -framerate 30 -i "$pic" -vf "scale=$((W + 64)):-2:flags=lanczos+accurate_rnd,crop=$W:$H:n*2:(ih-$H)/2,format=yuv420p" \
         -frames:v 30 "$dir/hr.y4m"
      ff -i "$dir/hr.y4m" -vf "scale=640:360:flags=bicubic+accurate_rnd" -pix_fmt yuv420p "$dir/lr0.y4m"
      vp8 "$dir/lr0.y4m" "$dir/lr.y4m" 500
    fi
    read -r bp bs < <(score_up "$dir/lr.y4m" "$dir/hr.y4m" --bicubic)
    read -r lp ls < <(score_lanczos "$dir/lr.y4m" "$dir/hr.y4m")
    read -r np ns < <(score_up "$dir/lr.y4m" "$dir/hr.y4m")
    printf '%-6s %-5s %-36s bicubic %6.2f %.4f  lanczos %6.2f %.4f  network %6.2f %.4f (%+.2f dB)\n' \
      "$scale" "$kind" "$name" "$bp" "$bs" "$lp" "$ls" "$np" "$ns" "$(calc "$np - $bp")" >&2
    rows+="| $scale | $kind | $name | $bp / $bs | $lp / $ls | $np / $ns | $(printf '%+.2f' "$(calc "$np - $bp")") | $(printf '%+.2f' "$(calc "$np - $lp")") |"$'\n'
    sum[bicubic.p]=$(calc "${sum[bicubic.p]} + $bp"); sum[bicubic.s]=$(calc "${sum[bicubic.s]} + $bs")
    sum[lanczos.p]=$(calc "${sum[lanczos.p]} + $lp"); sum[lanczos.s]=$(calc "${sum[lanczos.s]} + $ls")
    sum[network.p]=$(calc "${sum[network.p]} + $np"); sum[network.s]=$(calc "${sum[network.s]} + $ns")
    n=$((n + 1))
  done
  m() { printf '%.2f / %.4f' "$(calc "${sum[$1.p]} / $n")" "$(calc "${sum[$1.s]} / $n")"; }
  d() { printf '%+.2f' "$(calc "(${sum[network.p]} - ${sum[$1.p]}) / $n")"; }
  rows+="| **$scale** | **$kind** | **mean of $n** | **$(m bicubic)** | **$(m lanczos)** | **$(m network)** | **$(d bicubic)** | **$(d lanczos)** |"$'\n'
done
table="| scale | input | picture | bicubic PSNR-Y / SSIM | Lanczos | network | network - bicubic (dB) | network - Lanczos (dB) |
|---|---|---|---|---|---|---|---|
$rows"
echo "$table"
if [ -n "$write" ]; then
  model=$(sha256sum "$root/ai/models/upscale.plmd" | cut -c1-16)
  block="<!-- sr-table begin -->
Written by \`scripts/sr-table.sh build/bin/parley --write docs/quality.md\` ($(date -u +%Y-%m-%d),
model upscale.plmd sha256 $model...). x2: 1280x720 -> 640x360 -> 1280x720; x1.5:
960x540 -> 640x360 -> 960x540. *clean*: one frame, ffmpeg bicubic down; *vp8*: 30 frames
panning 2 px a frame, bicubic down, VP8 500 kbit/s (libvpx realtime CBR), decoded; the mean
over the clip's frames.

$table<!-- sr-table end -->"
  if grep -q "<!-- sr-table begin -->" "$write"; then
    /usr/bin/python3 - "$write" "$block" <<'PY'
import re, sys
p, block = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r"<!-- sr-table begin -->.*?<!-- sr-table end -->", lambda m: block, s, flags=re.S)
open(p, "w").write(s)
PY
  else
    printf '\n## Video super-resolution (issue 18)\n\n%s\n' "$block" >>"$write"
  fi
  echo "wrote the table into $write" >&2
fi
