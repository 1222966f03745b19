#!/usr/bin/env bash
# Rebuilds the shipped noise-suppression model from nothing (docs/denoise.md):
#   ai/train/denoise/rebuild.sh [--work DIR] [extra ai.train.denoise.train flags]
# 1. builds parley (its C analysis computes the training features),
# 2. builds the corpora if missing (ai/data/build_all.sh, ~6 min),
# 3. builds the training sessions and trains (ai.train.denoise.train),
# 4. writes ai/models/denoise.plmd and its .sha256; libparley compiles the
#    file in (ai/models/denoise_model.c, .incbin) on its next build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
work=/tmp/parley-denoise-train
if [ "${1:-}" = "--work" ]; then work="$2"; shift 2; fi
build="${BUILD:-build}"
data="${PARLEY_DATA:-$root/ai/data/out}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j 2 --target parley_app
[ -f "$data/speech/manifest.jsonl" ] || ai/data/build_all.sh --out "$data"
t0=$(date +%s)
PYTHONPATH="$root" OMP_NUM_THREADS=1 /usr/bin/python3 -m ai.train.denoise.train \
  --parley "$build/bin/parley" --data "$data" --work "$work" \
  --threads 1 --out ai/models/denoise.plmd "$@"
(cd ai/models && sha256sum denoise.plmd > denoise.plmd.sha256)
echo "model rebuilt in $(( $(date +%s) - t0 )) s (training data + training); now:"
echo "  cmake --build $build -j 2 && (cd $build && ctest -R denoise)"
