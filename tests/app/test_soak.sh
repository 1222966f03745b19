#!/usr/bin/env bash
# A one-minute simulated call with audio and video both ways (bench_soak):
# once warmed up (20 s), the heap in use may not grow by more than 512 KiB
# by the end, and media must still flow both ways. A leak of 100 bytes per
# packet or 1 KiB per frame grows past that bound within the 40 s. The
# hour-long version is scripts/soak.sh (docs/reliability.md, "Soak").
set -uo pipefail
soak=$(dirname "${PARLEY:?}")/../bench/bench_soak
[ -x "$soak" ] || { echo "no $soak"; exit 77; }
"$soak" --seconds 60 --every 10 --from 20 --max-growth-kb 512
