#!/usr/bin/env bash
# One Parley call against a Python WebRTC peer (aiortc_peer.py, gst_peer.py),
# both ways, with or without a=end-of-candidates in the peer's SDP:
#
#   peer_call.sh PEER.py NAME offer|answer eoc|noeoc   one variant
#   peer_call.sh PEER.py NAME                          all four
#
#   offer:  the peer is a WHIP client of `parley call --listen` (it offers,
#           ICE-controlling; the engine answers, controlled).
#   answer: `parley call --connect` POSTs its offer to the peer's WHIP
#           server (the engine controls, the peer is controlled).
#
# The engine sends a 440 Hz tone, the peer a 660 Hz one; check_call.py wants
# RTP and the right tone, loud for most of the call, on both sides. All on
# 127.0.0.1, every process bounded by a timeout and killed on exit.
# PL_INTEROP_RUNS=N repeats each variant N times and prints the connect rate
# (fails unless all N pass). Exit 77 when the peer's Python modules cannot
# be imported.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
peer=$here/$1
name=$2
runs=${PL_INTEROP_RUNS:-1}
seconds=4
# Debian's python3-aiortc and python3-gi live in the system interpreter,
# which a pyenv or venv python3 earlier in PATH would not see.
py=${PL_PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
case $name in
  aiortc) probe="import aiortc, numpy" ;;
  gstreamer) probe="import gi, numpy; gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0'); gi.require_version('GstSdp', '1.0'); from gi.repository import Gst, GstWebRTC, GstSdp" ;;
  *) echo "unknown peer $name"; exit 2 ;;
esac
if ! "$py" -c "$probe" 2>/dev/null; then
  echo "SKIP: $name cannot be imported by $py (scripts/install-deps.sh test)"
  exit 77
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Waits for pid $1 at most $2 seconds, then kills it; its exit status.
wait_bounded() {
  local pid=$1 t=$(( $2 * 10 ))
  while kill -0 "$pid" 2>/dev/null && [ $t -gt 0 ]; do sleep 0.1; t=$((t - 1)); done
  kill "$pid" 2>/dev/null || true
  wait "$pid"
}

# One call; leaves everything in $d; status 0 when it checks out.
one_call() {
  local who=$1 eoc=no d=$3 port pid rc=0
  [ "$2" = eoc ] && eoc=yes
  port=$(pl_free_port)
  mkdir -p "$d"
  if [ "$who" = offer ]; then
    "$parley" call --listen 127.0.0.1:$port --tone 440 --record "$d/rx.wav" --duration 20 \
      --stats-json "$d/engine.json" --webrtc-json "$d/webrtc.json" >"$d/parley.out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port $port || { echo "listener never came up"; cat "$d/parley.out"; return 1; }
    timeout 30 "$py" "$peer" offer "http://127.0.0.1:$port/whip" --eoc $eoc \
      --seconds $seconds --tone 660 --out "$d" >"$d/peer.out" 2>&1 || rc=$?
    # The peer's BYE or DELETE ends the call; the listener writes its JSON.
    wait_bounded "$pid" 10 || rc=$((rc ? rc : $?))
  else
    timeout 30 "$py" "$peer" answer $port --eoc $eoc --seconds $((seconds + 1)) \
      --tone 660 --out "$d" >"$d/peer.out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_port $port || { echo "peer never came up"; cat "$d/peer.out"; return 1; }
    timeout 30 "$parley" call --connect 127.0.0.1:$port --tone 440 --record "$d/rx.wav" \
      --duration $seconds --stats-json "$d/engine.json" --webrtc-json "$d/webrtc.json" \
      >"$d/parley.out" 2>&1 || rc=$?
    wait_bounded "$pid" 15 || rc=$((rc ? rc : $?))
  fi
  [ $rc -eq 0 ] || return $rc
  "$py" "$here/check_call.py" "$d" 440 660 $seconds >"$d/check.out" 2>&1
}

variants=("offer eoc" "offer noeoc" "answer eoc" "answer noeoc")
[ $# -ge 4 ] && variants=("$3 $4")
status=0
for v in "${variants[@]}"; do
  set -- $v
  ok=0
  for i in $(seq "$runs"); do
    d=$dir/$1-$2-$i
    # A port taken between pl_free_port and the bind is the machine's doing,
    # not the call's: try again on another port, at most twice.
    rc=1
    for try in 1 2 3; do
      rm -rf "$d"
      one_call "$1" "$2" "$d" && { rc=0; break; }
      grep -qis "address already in use" "$d"/*.out || break
      echo "(port taken on try $try)"
    done
    if [ $rc -eq 0 ]; then
      ok=$((ok + 1))
      [ "$runs" -gt 1 ] || cat "$d/check.out"
    else
      echo "--- $name $1 $2 run $i failed; engine:"
      grep -av '^  ' "$d/parley.out" | tail -15 || true
      echo "--- peer:"; tail -5 "$d/peer.out" || true
      [ -f "$d/check.out" ] && cat "$d/check.out"
      [ -f "$d/webrtc.json" ] && cat "$d/webrtc.json" && echo
    fi
  done
  [ "$1" = offer ] && role="$name offers" || role="parley offers"
  echo "$name, $role, $2: $ok/$runs calls connected with audio both ways"
  [ "$ok" -eq "$runs" ] || status=1
done
exit $status
