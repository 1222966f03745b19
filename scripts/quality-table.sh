#!/usr/bin/env bash
# Runs `parley loopback` over every network scenario and prints the
# Markdown table of docs/quality.md (A->B direction).
#   scripts/quality-table.sh [--send FILE.wav] [--stage NAME=on ...] [--duration S]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY:-$root/build/bin/parley}
args=("$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
scenarios=$("$parley" loopback --help | sed -n 's/^ *scenarios: //p' | tr ',' ' ')
echo "Command: \`scripts/quality-table.sh ${args[*]:-}\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), seed 1)"
echo
echo "| scenario | lost % | concealed % | jitter buffer ms | delay ms | STOI | SI-SDR dB | LSD dB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $scenarios; do
  "$parley" loopback --net "$s" --out "$out/$s" --quiet "${args[@]}" >/dev/null
  /usr/bin/python3 - "$s" "$out/$s/stats.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))["directions"][0]
m, s = d["metrics"], d["stats"]
exp = s["packetsReceived"] + max(s["packetsLost"], 0)
lost = 100.0 * s["packetsLost"] / exp if exp else 0
conc = 100.0 * s["concealedSamples"] / s["totalSamplesReceived"] if s["totalSamplesReceived"] else 0
f = lambda k, p: ("%." + str(p) + "f") % m[k] if m.get(k) is not None else "n/a"
print("| %s | %.1f | %.1f | %.0f | %s | %s | %s | %s |" % (name, lost, conc,
      s["jitterBufferDelay"] * 1000, f("delay_ms", 0), f("stoi", 3), f("si_sdr_db", 1), f("lsd_db", 2)))
PY
done
