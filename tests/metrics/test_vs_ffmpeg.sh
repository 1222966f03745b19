#!/usr/bin/env bash
# PSNR-Y and SSIM-Y of `parley metrics` against ffmpeg's psnr and ssim
# filters, per frame and on average, on Y4M pairs made here with ffmpeg:
# testsrc with added noise, with blur, at an odd size, and with a freeze
# (frames 10-19 replaced by frame 9), which must also be found as one
# freeze of 11 frame intervals.
#   test_vs_ffmpeg.sh PARLEY_BINARY
# Tolerances: ffmpeg's summary PSNR has 6 decimals and ours 4 (2e-4); its
# per-frame stats file prints PSNR with 2 decimals (6e-3); SSIM is printed
# with 6 decimals by both and must agree to 2e-6.
set -euo pipefail
parley=$1
command -v ffmpeg >/dev/null || { echo "SKIP: ffmpeg not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

ff -f lavfi -i testsrc=size=352x288:rate=30 -frames:v 30 -pix_fmt yuv420p ref.y4m
ff -f lavfi -i testsrc2=size=321x241:rate=25 -frames:v 12 -pix_fmt yuv420p ref_odd.y4m
ff -i ref.y4m -vf noise=alls=25:allf=t -pix_fmt yuv420p noise.y4m
ff -i ref.y4m -vf gblur=sigma=1.5 -pix_fmt yuv420p blur.y4m
ff -i ref_odd.y4m -vf "boxblur=2:1,noise=alls=12:allf=t" -pix_fmt yuv420p odd.y4m
ff -i ref.y4m -i ref.y4m -lavfi "[0][1]freezeframes=first=10:last=19:replace=9" \
  -pix_fmt yuv420p freeze.y4m

fail=0
check() { # ref deg
  local ref=$1 deg=$2
  ffmpeg -nostdin -hide_banner -i "$deg" -i "$ref" -lavfi \
    "[0:v][1:v]psnr=stats_file=psnr.log;[0:v][1:v]ssim=stats_file=ssim.log" \
    -f null - 2>ff.txt
  "$parley" metrics --per-frame "$ref" "$deg" >pl.txt
  local ff_psnr ff_ssim pl_psnr pl_ssim
  ff_psnr=$(sed -n 's/.*PSNR y:\([^ ]*\).*/\1/p' ff.txt)
  ff_ssim=$(sed -n 's/.*SSIM Y:\([^ ]*\).*/\1/p' ff.txt)
  pl_psnr=$(awk '$1 == "PSNR-Y" {print $2}' pl.txt)
  pl_ssim=$(awk '$1 == "SSIM-Y" {print $2}' pl.txt)
  # Per frame: join ffmpeg's logs with ours by frame number (ffmpeg counts
  # from 1) and report the worst differences.
  local worst
  worst=$(awk '
    FILENAME == "psnr.log" { n = substr($1, 3) - 1
      for (i = 2; i <= NF; i++) if ($i ~ /^psnr_y:/) fp[n] = substr($i, 8); next }
    FILENAME == "ssim.log" { n = substr($1, 3) - 1; fs[n] = substr($2, 3); next }
    $1 == "frame" { pp[$2] = $4; ps[$2] = $6; frames++ }
    function d(x, y) { if (x == y) return 0; if (x == "inf" || y == "inf") return 1e9
      return x > y ? x - y : y - x }
    END { for (n in pp) { if (!(n in fp) || !(n in fs)) { print "missing", n; exit }
            e1 = d(pp[n], fp[n]); e2 = d(ps[n], fs[n])
            if (e1 > wp) wp = e1; if (e2 > ws) ws = e2 }
          printf "%d %.6f %.7f\n", frames, wp, ws }' psnr.log ssim.log pl.txt)
  read -r nframes wpsnr wssim <<<"$worst"
  local ok
  ok=$(awk -v a="$ff_psnr" -v b="$pl_psnr" -v c="$ff_ssim" -v d="$pl_ssim" \
    -v wp="$wpsnr" -v ws="$wssim" 'BEGIN {
      dp = a - b; if (dp < 0) dp = -dp; ds = c - d; if (ds < 0) ds = -ds
      print (dp <= 2e-4 && ds <= 2e-6 && wp <= 6e-3 && ws <= 2e-6) ? "ok" : "FAIL" }')
  printf '| %-10s | %3d | %10s | %10s | %8s | %9s | %9s | %9s | %s |\n' "$deg" \
    "$nframes" "$ff_psnr" "$pl_psnr" "$wpsnr" "$ff_ssim" "$pl_ssim" "$wssim" "$ok"
  [ "$ok" = ok ] || fail=1
}

echo "| pair | frames | ffmpeg PSNR-Y | parley PSNR-Y | worst frame dPSNR | ffmpeg SSIM-Y | parley SSIM-Y | worst frame dSSIM | |"
echo "|---|---|---|---|---|---|---|---|---|"
check ref.y4m noise.y4m
check ref.y4m blur.y4m
check ref_odd.y4m odd.y4m
check ref.y4m freeze.y4m

# The freeze: 10 repeated frames, one freeze of 11 intervals at 30 fps.
"$parley" metrics --json ref.y4m freeze.y4m >freeze.json
grep -q '"repeated_frames": 10,' freeze.json || { echo "FAIL: repeats"; cat freeze.json; fail=1; }
grep -q '"freeze_count": 1,' freeze.json || { echo "FAIL: freeze count"; cat freeze.json; fail=1; }
grep -q '"freeze_total_s": 0.367,' freeze.json || { echo "FAIL: freeze time"; cat freeze.json; fail=1; }
"$parley" metrics --json ref.y4m noise.y4m | grep -q '"freeze_count": 0,' ||
  { echo "FAIL: freeze in a clean stream"; fail=1; }
exit $fail
