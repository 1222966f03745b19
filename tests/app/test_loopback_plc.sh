#!/usr/bin/env bash
# The neural PLC switched on in a call (`--stage plc=on`): it conceals the
# bursts, reports its cost, and the call is about as intelligible as with
# Opus's own PLC (the lab is deterministic for a seed, so the comparison is exact).
set -euo pipefail
parley=${PARLEY:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$parley" loopback --net burst-20 --duration 20 --out "$dir/off" --quiet --stage plc=off
"$parley" loopback --net burst-20 --duration 20 --out "$dir/on" --quiet --stage plc=on
/usr/bin/python3 - "$dir/off/stats.json" "$dir/on/stats.json" <<'PY'
import json, sys
off, on = (json.load(open(p))["directions"][0] for p in sys.argv[1:])
plc = [s for s in on["stats"]["recvStages"] if s["name"] == "plc"]
assert plc and plc[0]["enabled"] and plc[0]["frames"] > 50, plc
assert 0 < plc[0]["avg_us"] <= plc[0]["max_us"], plc   # cost reported; bounded in benchmarks, not here
assert not [s for s in off["stats"]["recvStages"] if s["name"] == "plc" and s["frames"]], off
a, b = off["metrics"]["stoi"], on["metrics"]["stoi"]
print("STOI Opus PLC %.4f, neural PLC %.4f; LSD %.2f -> %.2f dB" %
      (a, b, off["metrics"]["lsd_db"], on["metrics"]["lsd_db"]))
# With libopus >= 1.5 the call's own baseline is no longer classic Opus PLC
# but deep PLC + NoLACE + DRED (opus_neural, on by default), and the neural
# stage measured 0.0052 below it here (1.3.1: at or above it); docs/plc.md.
assert b >= a - 0.01, (a, b)
PY
