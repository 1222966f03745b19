#!/usr/bin/env bash
# Data channels between two `parley call` processes: the caller sends a
# file with --send-data, the listener writes it with --record-data; the
# file arrives byte for byte and both ends print their throughput. Then the
# same caller against --echo-data: every message comes back.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
head -c 3000000 /dev/urandom >"$dir/blob.bin"
mkdir "$dir/rx"
listen() {
  port=$(pl_free_port)
  "$parley" call --listen 127.0.0.1:$port --quiet --duration 60 "$@" >"$dir/listener.out" 2>&1 &
  lpid=$!
  for i in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
  done
}
listen --record-data "$dir/rx"
timeout 60 "$parley" call --connect 127.0.0.1:$port --send-data "$dir/blob.bin" --quiet \
  >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out" "$dir/listener.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
cat "$dir/caller.out" "$dir/listener.out" | grep '^data:'
cmp "$dir/blob.bin" "$dir/rx/blob.bin"
grep -q '^data: sent blob.bin: 3000000 bytes in .* Mbit/s' "$dir/caller.out"
grep -q '^data: received .*/rx/blob.bin: 3000000 bytes in 46 messages' "$dir/listener.out"
head -c 300000 "$dir/blob.bin" >"$dir/small.bin"
listen --echo-data
timeout 60 "$parley" call --connect 127.0.0.1:$port --send-data "$dir/small.bin" --quiet \
  >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out" "$dir/listener.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
grep '^data:' "$dir/caller.out" "$dir/listener.out"
# 5 messages (64 KiB, the last shorter) came back, plus the listener's
# hello; the caller hangs up 1 s after its last byte was acknowledged.
grep -q '^data: 6 messages / 300017 bytes received' "$dir/caller.out"
grep -q '^data: 5 messages / 300000 bytes received, 5 echoed, 0 not echoed' "$dir/listener.out"
echo "ok: file by data channel, byte for byte; echo complete"
