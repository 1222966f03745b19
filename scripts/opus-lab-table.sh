#!/usr/bin/env bash
# Prints the loopback lab's table of libopus's decoder tools at low bitrates
# (docs/quality.md, "Opus 1.6's bandwidth extension in the lab"): for each
# bitrate and network, the engine on 1.3.1's settings (--opus-neural off),
# with libopus's tools but no bandwidth extension (NoLACE + deep PLC), with
# libopus 1.6's bandwidth extension on top, and each extra row given with
# --rows (e.g. the engine's own extension stage: "--stage extend=on").
#   scripts/opus-lab-table.sh [--eval DIR] [--bitrates 12000,16000]
#                             [--nets clean,loss-20] [--duration S]
#                             [--rows 'LABEL:ARGS;LABEL:ARGS']
# The speech must be full-band for the bandwidth extension to be scored:
# DIR's held-out eval speech (ai/data/build_eval.py) whose source is
# natively 48 kHz (alsa-utils' prompts; the other eval voices are 16 kHz
# recordings and would count a restored high band as an error). Without
# DIR the script stops: the bundled sample is 16 kHz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY:-$root/build/bin/parley}
eval_dir=${PARLEY_DATA:-$root/ai/data/out}
bitrates=12000,16000 nets=clean,loss-20 duration=30 extra=
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) eval_dir="$2"; shift ;;
    --bitrates) bitrates="$2"; shift ;;
    --nets) nets="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --rows) extra="$2"; shift ;;
    *) echo "opus-lab-table.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$parley" ] || { echo "build first: $parley missing" >&2; exit 1; }
[ -f "$eval_dir/eval/speech.jsonl" ] || {
  echo "opus-lab-table.sh: needs held-out speech: $eval_dir/eval/speech.jsonl (ai/data/build_eval.py)" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$eval_dir" "$tmp/speech.wav" <<'PY'
import json, os, sys, wave
root, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(os.path.join(root, "eval/speech.jsonl"))]
# Natively full-band: alsa-utils' 48 kHz WAVs (source files, not resampled).
rows = sorted(r["path"] for r in rows if r["sample_rate"] == 48000 and r["kind"] == "clean"
              and r["package"] == "alsa-utils")
if not rows:
    sys.exit("opus-lab-table.sh: no natively 48 kHz held-out speech (alsa-utils) in " + root)
gap = b"\0\0" * 14400
n = 0
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    for p in rows:
        with wave.open(os.path.join(root, p)) as r:
            w.writeframes(r.readframes(r.getnframes()) + gap)
            n += r.getnframes() + 14400
print(len(rows), "%.1f" % (n / 48000.0), file=open(out + ".txt", "w"))
PY
read -r nutt secs <"$tmp/speech.wav.txt"
rows=("off:--opus-neural off" "NoLACE + deep PLC:--opus-neural on --opus-bwe off")
"$parley" loopback --help 2>&1 | grep -q -- --opus-bwe &&
  rows+=("NoLACE + deep PLC + Opus BWE:--opus-neural on --opus-bwe on")
if [ -n "$extra" ]; then
  IFS=';' read -r -a more <<<"$extra"
  rows+=("${more[@]}")
fi
echo "Command: \`scripts/opus-lab-table.sh --bitrates $bitrates --nets $nets --duration $duration${extra:+ --rows '$extra'}\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo
echo "Input: held-out full-band speech (alsa-utils, natively 48 kHz) from $eval_dir: $nutt utterances, $secs s, looped over ${duration} s simulated; A->B, seed 1."
echo
echo "| bitrate | net | decoder | concealed % | STOI | SI-SDR dB | LSD dB |"
echo "|---|---|---|---:|---:|---:|---:|"
for br in ${bitrates//,/ }; do
  for net in ${nets//,/ }; do
    for row in "${rows[@]}"; do
      label=${row%%:*} args=${row#*:}
      # shellcheck disable=SC2086
      "$parley" loopback --send "$tmp/speech.wav" --net "$net" --bitrate "$br" \
        --duration "$duration" --seed 1 --out "$tmp/run" --quiet $args >/dev/null 2>"$tmp/err" || {
        echo "| $((br / 1000)) kbit/s | $net | $label | failed: $(head -c 120 "$tmp/err") | | | |"
        continue
      }
      /usr/bin/python3 - "$tmp/run/stats.json" "$((br / 1000)) kbit/s" "$net" "$label" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["directions"][0]
m, s = d["metrics"], d["stats"]
conc = 100.0 * s.get("concealedSamples", 0) / max(1, s.get("totalSamplesReceived", 1))
print("| %s | %s | %s | %.2f | %.4f | %.2f | %.2f |" % (sys.argv[2], sys.argv[3], sys.argv[4], conc,
      m["stoi"], m["si_sdr_db"], m["lsd_db"]))
PY
    done
  done
done
