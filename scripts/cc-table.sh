#!/usr/bin/env bash
# The congestion-control table of docs/quality.md: `parley loopback` with video
# both ways over the RFC 8867 cases a two-party call can run and the traces of
# tests/fixtures/traces/cc/ (scripts/make-cc-traces.py), once per controller,
# same seed. Prints Markdown, A->B direction.
#   scripts/cc-table.sh [--dev] [CONTROLLER ...]   (default: none gcc, plus learned when the build has it)
# --dev runs the development traces instead (tests/fixtures/traces/cc/dev/, 1280x720
# as issue 14's target case): GCC's own settings are chosen there, never on the
# reported table.
# RFC 8867 5.6 (media pause and resume) needs a source that pauses, which the lab
# does not have yet; 5.2/5.5/5.7 need competing flows the emulator does not make.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY:-$root/build/bin/parley}
traces=$root/tests/fixtures/traces/cc
dev=0
if [ "${1:-}" = --dev ]; then dev=1; shift; fi
ccs=("$@")
if [ ${#ccs[@]} -eq 0 ]; then
  ccs=(none gcc)
  "$parley" loopback --cc learned --duration 0.5 --quiet --out "$(mktemp -d)" >/dev/null 2>&1 &&
    ccs+=(learned)
fi
video=(--video pattern --video-size 640x360 --video-bitrate 1500000)
path="delay=25,queue_ms=300"
cases=(
  "rfc8867-5.1|rfc8867-5.1|100"
  "rfc8867-5.3|rfc8867-5.3|100"
  "issue14-step|$path,trace=$traces/issue14-step.txt|60"
  "steps-0.3-4M|$path,trace=$traces/steps.txt|60"
  "ramp|$path,trace=$traces/ramp.txt|60"
  "lte-like|$path,trace=$traces/lte.mahi|60"
  "outage-3s|$path,capacity=2000,outage=20000-23000|40"
)
if [ $dev = 1 ]; then
  video=(--video pattern --video-size 1280x720 --video-bitrate 1500000)
  cases=(
    "dev-step-a|$path,trace=$traces/dev/step-a.txt|60"
    "dev-step-b|$path,trace=$traces/dev/step-b.txt|60"
    "dev-step-c|$path,trace=$traces/dev/step-c.txt|60"
    "dev-lte|$path,trace=$traces/dev/lte.mahi|60"
  )
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "Command: \`scripts/cc-table.sh $([ $dev = 1 ] && echo '--dev ')${ccs[*]}\` ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), seed 1, video pattern ${video[3]} starting at 1.5 Mbit/s)"
echo
echo "| case | controller | utilisation | queue p50 ms | queue p95 ms | loss % | step-up s | recovery s | video fps | freezes | frozen s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for c in "${cases[@]}"; do
  IFS='|' read -r name net dur <<<"$c"
  for cc in "${ccs[@]}"; do
    d="$out/$name-$cc"
    "$parley" loopback --net "$net" --cc "$cc" --duration "$dur" "${video[@]}" --quiet --out "$d" >/dev/null
    /usr/bin/python3 - "$name" "$cc" "$d/stats.json" <<'PY'
import json, sys
name, cc, path = sys.argv[1:4]
d = json.load(open(path))["directions"][0]
g = d["congestion"]
v = d.get("video", {})
f = lambda x, p: "n/a" if x is None or x < 0 else ("%." + str(p) + "f") % x
print("| %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %d | %.1f |" % (
    name, cc, f(g["utilisation"], 2), f(g["queue_delay_p50_ms"], 0), f(g["queue_delay_p95_ms"], 0),
    100 * g["loss"], f(g["rate_step_response_s"], 0), f(g["recovery_s"], 0),
    f(v.get("fps", -1), 1), g["freezes"], v.get("freeze_total_s", 0)))
PY
  done
done
