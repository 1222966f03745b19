#!/usr/bin/env bash
# Prints the `parley conceal` table of docs/quality.md: no concealment
# (silence), Opus PLC and the neural PLC, each also with in-band FEC, at
# 5/10/20 % random and
# 20 % bursty loss (Gilbert-Elliott, mean burst 5 packets), on held-out
# evaluation speech, averaged over seeds.
#   scripts/conceal-table.sh [--eval DIR] [--seeds N] [--bitrate BPS]
# DIR is a corpus root with eval/speech.jsonl (ai/data/build_eval.py);
# default $PARLEY_DATA, then ai/data/out. When there is none, the small eval
# set is built into a temporary directory (ai/data/build_all.sh --small);
# when that cannot be done either, the codec2 sample (training material) is
# used and the table says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY:-$root/build/bin/parley}
eval_dir=${PARLEY_DATA:-$root/ai/data/out}
seeds=3 bitrate=24000 rows=all
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) eval_dir="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --bitrate) bitrate="$2"; shift ;;
    --rows) rows="$2"; shift ;; # all, or red: only the RED rows (and their conditions)
    *) echo "conceal-table.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$parley" ] || { echo "build first: $parley missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$eval_dir/eval/speech.jsonl" ]; then
  if "$root/ai/data/build_all.sh" --small --out "$tmp/data" >"$tmp/build.log" 2>&1; then
    eval_dir=$tmp/data
    note="the small held-out eval set (ai/data/build_all.sh --small)"
  else
    eval_dir=
  fi
fi
# One 48 kHz mono file: every clean 48 kHz eval utterance, 0.3 s apart.
if [ -n "$eval_dir" ]; then
  /usr/bin/python3 - "$eval_dir" "$tmp/speech.wav" <<'PY'
import json, os, sys, wave
root, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(os.path.join(root, "eval", "speech.jsonl"))]
rows = sorted(r["path"] for r in rows if r["sample_rate"] == 48000 and r["kind"] == "clean")
gap = b"\0\0" * 14400
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    n = 0
    for p in rows:
        with wave.open(os.path.join(root, p)) as r:
            assert r.getframerate() == 48000 and r.getnchannels() == 1 and r.getsampwidth() == 2, p
            w.writeframes(r.readframes(r.getnframes()) + gap)
            n += r.getnframes() + 14400
print(len(rows), "%.1f" % (n / 48000.0), file=open(out + ".txt", "w"))
PY
  read -r nutt secs <"$tmp/speech.wav.txt"
  input=$tmp/speech.wav
  what="${note:-held-out eval speech from $eval_dir}: $nutt utterances, $secs s"
else
  input=/usr/share/codec2/raw/speech_orig_16k.wav
  what="/usr/share/codec2/raw/speech_orig_16k.wav (no eval set could be built; this is TRAINING material for the AI stages)"
fi

echo "Command: \`scripts/conceal-table.sh --seeds $seeds --bitrate $bitrate --rows $rows\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo
echo "Input: $what. Opus $((bitrate / 1000)) kbit/s, 20 ms packets; mean over seeds 1..$seeds."
echo
echo "| loss | concealment | kbit/s | lost % | concealed % | STOI | LSD dB | SNR dB |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
conds=("5%:random 5 %" "10%:random 10 %" "20%:random 20 %" "20%/5:bursty 20 %, mean burst 5")
plcs=("none:none" "opus:Opus PLC" "neural:neural PLC" "opus --fec:Opus PLC + FEC"
  "neural --fec:neural PLC + FEC")
# RED (RFC 2198): a copy at the table's rate, and copies paid out of one
# stream's budget (FEC's, about the table's rate on the wire).
red=("opus --red 1:Opus PLC + RED 1" "neural --red 1:neural PLC + RED 1"
  "neural --red 2:neural PLC + RED 2" "neural --red 1 --bitrate $((bitrate / 2)):neural PLC + RED 1, half rate"
  "neural --red 2 --bitrate $((bitrate / 3)):neural PLC + RED 2, third rate")
if [ "$rows" = red ]; then
  conds=("${conds[@]:1}")
  plcs=("${red[@]}")
else
  plcs+=("${red[@]}")
fi
for cond in "${conds[@]}"; do
  spec=${cond%%:*} label=${cond#*:}
  rate=${spec%%/*} burst=
  [ "$spec" != "$rate" ] && burst="--burst ${spec#*/}"
  for plc in "${plcs[@]}"; do
    args=${plc%%:*} name=${plc#*:} rate_args="--bitrate $bitrate"
    case "$args" in *--bitrate*) rate_args= ;; esac
    for s in $(seq "$seeds"); do
      # shellcheck disable=SC2086
      "$parley" conceal "$input" "$tmp/out.wav" --loss "$rate" $burst --plc $args --seed "$s" \
        $rate_args --json 2>/dev/null
    done | /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read().replace("}\n{", "}\x00{")
runs = [json.loads(t) for t in text.split("\x00") if t.strip()]
def m(k): return sum(r[k] for r in runs) / len(runs)
print("| %s | %s | %.1f | %.1f | %.1f | %.3f | %.2f | %.2f |" % (sys.argv[1], sys.argv[2],
      m("payload_bps") / 1000, m("loss_pct"),
      m("concealed_pct"), m("stoi"), m("lsd_db"), m("snr_db")))' "$label" "$name"
  done
done
