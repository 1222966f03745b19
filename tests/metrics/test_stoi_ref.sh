#!/usr/bin/env bash
# Re-runs the numpy STOI reference on the committed fixtures: the expected
# values the C test checks must still be what the reference computes.
#   test_stoi_ref.sh FIXTURE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=
for c in python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null && "$c" -c 'import numpy' 2>/dev/null; then
    py=$c
    break
  fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with numpy (python3-numpy)"; exit 77; }
exec "$py" "$here/stoi_ref.py" --check "$1"
