#!/usr/bin/env bash
# Prints the `parley conceal` table of docs/quality.md: no concealment
# (silence), Opus PLC and the neural PLC, each also with in-band FEC, and with
# libopus >= 1.5 Opus's deep PLC and DRED (under Opus PLC, deep PLC and the
# neural PLC), at 5/10/20 % random and 20 % bursty loss (Gilbert-Elliott,
# mean burst 5 packets), on held-out evaluation speech, averaged over seeds,
# with the bitrate each sent.
#   scripts/conceal-table.sh [--eval DIR] [--dev] [--seeds N] [--bitrate BPS]
#                            [--dred MS,MS] [--jobs N] [--rows all|red]
# DIR is a corpus root with eval/speech.jsonl (ai/data/build_eval.py);
# default $PARLEY_DATA, then ai/data/out. When there is none, the small eval
# set is built into a temporary directory (ai/data/build_all.sh --small);
# when that cannot be done either, the codec2 sample (training material) is
# used and the table says so. --dev uses DIR's *training* speech
# (speech/manifest.jsonl) instead: where choices are made, never on eval.
# --dred: the DRED durations of the rows (default 100, chosen on --dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY:-$root/build/bin/parley}
eval_dir=${PARLEY_DATA:-$root/ai/data/out}
seeds=3 bitrate=24000 dev= dreds=100 jobs=2 only=all
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) eval_dir="$2"; shift ;;
    --dev) dev=1 ;;
    --dred) dreds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --bitrate) bitrate="$2"; shift ;;
    --rows) only="$2"; shift ;; # all, or red: only the RED rows (and their conditions)
    *) echo "conceal-table.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$parley" ] || { echo "build first: $parley missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
manifest=eval/speech.jsonl
[ -n "$dev" ] && manifest=speech/manifest.jsonl
if [ ! -f "$eval_dir/$manifest" ]; then
  [ -n "$dev" ] && { echo "--dev needs $eval_dir/$manifest (ai/data/build_speech.py)" >&2; exit 1; }
  if "$root/ai/data/build_all.sh" --small --out "$tmp/data" >"$tmp/build.log" 2>&1; then
    eval_dir=$tmp/data
    note="the small held-out eval set (ai/data/build_all.sh --small)"
  else
    eval_dir=
  fi
fi
# One 48 kHz mono file: every clean 48 kHz eval utterance, 0.3 s apart.
if [ -n "$eval_dir" ]; then
  /usr/bin/python3 - "$eval_dir" "$tmp/speech.wav" "$manifest" <<'PY'
import json, os, sys, wave
root, out, manifest = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(os.path.join(root, manifest))]
rows = sorted(r["path"] for r in rows if r["sample_rate"] == 48000 and
              r.get("kind", r.get("condition")) == "clean")
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
  [ -n "$dev" ] && what="DEVELOPMENT speech (the training corpus, $eval_dir/$manifest): $nutt utterances, $secs s"
else
  input=/usr/share/codec2/raw/speech_orig_16k.wav
  what="/usr/share/codec2/raw/speech_orig_16k.wav (no eval set could be built; this is TRAINING material for the AI stages)"
fi

neural=0
"$parley" conceal "$input" "$tmp/probe.wav" --loss 0 --plc deep >/dev/null 2>&1 && neural=1
echo "Command: \`scripts/conceal-table.sh${dev:+ --dev} --seeds $seeds --bitrate $bitrate --dred $dreds --rows $only\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo
echo "Input: $what. Opus $((bitrate / 1000)) kbit/s asked, 20 ms packets; mean over seeds 1..$seeds."
[ "$neural" = 1 ] || echo "This build has no libopus >= 1.5: the deep PLC and DRED rows are left out."
echo
echo "| loss | concealment | sent kbit/s | lost % | DRED rebuilt % | concealed % | STOI | LSD dB | SNR dB |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
conds=("5%:random 5 %" "10%:random 10 %" "20%:random 20 %" "20%/5:bursty 20 %, mean burst 5")
rows=("none:none" "opus:Opus PLC" "neural:neural PLC" "opus --fec:Opus PLC + FEC"
  "neural --fec:neural PLC + FEC")
if [ "$neural" = 1 ]; then
  rows+=("deep:Opus deep PLC" "deep --fec:deep PLC + FEC")
  for d in ${dreds//,/ }; do
    rows+=("opus --dred $d:Opus PLC + DRED $d ms" "deep --dred $d:deep PLC + DRED $d ms"
      "neural --dred $d:neural PLC + DRED $d ms")
  done
  # DRED's quality follows the bitrate (libopus quantises it finer above
  # 24 kbit/s): the same at 32 kbit/s, against FEC at 32 kbit/s.
  d=${dreds%%,*}
  rows+=("deep --fec --bitrate 32000:deep PLC + FEC, 32 kbit/s"
    "deep --dred $d --bitrate 32000:deep PLC + DRED $d ms, 32 kbit/s"
    "deep --fec --dred $d --bitrate 32000:deep PLC + FEC + DRED $d ms, 32 kbit/s")
fi
# RED (RFC 2198): a copy at the table's rate, and copies paid out of one
# stream's budget (FEC's, about the table's rate on the wire).
red=("opus --red 1:Opus PLC + RED 1" "neural --red 1:neural PLC + RED 1"
  "neural --red 2:neural PLC + RED 2" "neural --red 1 --bitrate $((bitrate / 2)):neural PLC + RED 1, half rate"
  "neural --red 2 --bitrate $((bitrate / 3)):neural PLC + RED 2, third rate")
if [ "$only" = red ]; then
  conds=("${conds[@]:1}")
  rows=("${red[@]}")
else
  rows+=("${red[@]}")
fi
for cond in "${conds[@]}"; do
  spec=${cond%%:*} label=${cond#*:}
  rate=${spec%%/*} burst=
  [ "$spec" != "$rate" ] && burst="--burst ${spec#*/}"
  for plc in "${rows[@]}"; do
    args=${plc%%:*} name=${plc#*:} rate_arg=$bitrate
    # a row's own --bitrate comes last and wins
    # shellcheck disable=SC2086
    seq "$seeds" | xargs -P "$jobs" -I{} sh -c '"$1" conceal "$2" "$3/out{}.wav" --loss "$4" $5 \
      --bitrate "$7" --plc $6 --seed {} --json 2>/dev/null >"$3/run{}.json"' _ "$parley" "$input" \
      "$tmp" "$rate" "$burst" "$args" "$rate_arg"
    cat "$tmp"/run*.json | /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read().replace("}\n{", "}\x00{")
runs = [json.loads(t) for t in text.split("\x00") if t.strip()]
def m(k): return sum(r[k] for r in runs) / len(runs)
reb = sum(100.0 * r["dred_recovered_samples"] / (r["packets"] * 960) for r in runs) / len(runs)
print("| %s | %s | %.1f | %.1f | %.1f | %.1f | %.3f | %.2f | %.2f |" % (sys.argv[1], sys.argv[2],
      m("payload_bps") / 1000, m("loss_pct"), reb, m("concealed_pct"), m("stoi"), m("lsd_db"), m("snr_db")))' "$label" "$name"
    rm -f "$tmp"/run*.json
  done
done
