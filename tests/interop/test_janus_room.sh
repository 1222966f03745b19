#!/usr/bin/env bash
# Four parties in one Janus VideoRoom (Debian's janus, started here with a
# configuration written here: the VideoRoom plugin and the HTTP transport
# only, admin API off, no TURN): three `parley room` engines, sending a
# 440 Hz tone (and the 320x240 test pattern), a 1000 Hz tone and the
# bundled speech sample, and headless Chromium sending a 700 Hz sine. Each
# participant must hear every other one, feed by feed: the right tone's
# frequency, or STOI against the speech sent; and each must have decoded
# the pattern's pictures, and see Chromium leave (check_janus_room.py).
# Then Janus restarts under a fourth engine, whose room must end with
# exit 1 and say that Janus lost its session.
#
# Janus 1.1.2 gathers no ICE candidates on loopback interfaces, so Janus
# and every participant run inside a network namespace made for this run,
# on a veth address; the namespace goes when the test does. Skips (77)
# when janus is not installed, cannot start, or namespaces cannot be made.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
src=${PL_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
. "$here/lib.sh"
skip() { echo "SKIP: $*"; exit 77; }

command -v janus >/dev/null || skip "janus is not installed (scripts/install-deps.sh test)"
plugin=$(ls /usr/lib/*/janus/plugins/libjanus_videoroom.so 2>/dev/null | head -1)
transport=$(ls /usr/lib/*/janus/transports/libjanus_http.so 2>/dev/null | head -1)
[ -n "$plugin" ] && [ -n "$transport" ] || skip "janus's videoroom plugin or HTTP transport is missing"
command -v ffmpeg >/dev/null || { echo "ffmpeg missing: scripts/install-deps.sh test"; exit 1; }
pl_browser_ready "$here"

dir=$(mktemp -d)
ns=pl-janus-$$-$(date +%N)
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do wait "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace (needs root)"
ip -n "$ns" link add pj0 type veth peer name pj1
ip -n "$ns" addr add 10.77.0.1/24 dev pj0
for l in lo pj0 pj1; do ip -n "$ns" link set "$l" up; done
ip=10.77.0.1
port=$(pl_free_port)
room=1234

mkdir -p "$dir/conf" "$dir/plugins" "$dir/transports" "$dir/none"
ln -s "$plugin" "$dir/plugins/"
ln -s "$transport" "$dir/transports/"
cat >"$dir/conf/janus.jcfg" <<CONF
general: {
  configs_folder = "$dir/conf"
  plugins_folder = "$dir/plugins"
  transports_folder = "$dir/transports"
  events_folder = "$dir/none"
  loggers_folder = "$dir/none"
  debug_level = 4
  session_timeout = 60
}
certificates: {}
media: { rtp_port_range = "20000-40000" }
nat: { ice_enforce_list = "pj0" ignore_mdns = true }
plugins: {}
transports: {}
loggers: {}
events: { broadcast = false }
CONF
cat >"$dir/conf/janus.plugin.videoroom.jcfg" <<CONF
general: {}
room-$room: { description = "parley test" publishers = 8 audiocodec = "opus" videocodec = "vp8" }
CONF
cat >"$dir/conf/janus.transport.http.jcfg" <<CONF
general: { json = "compact" base_path = "/janus" http = true port = $port ip = "$ip" https = false }
admin: { admin_http = false admin_https = false }
cors: {}
CONF
ip netns exec "$ns" janus -F "$dir/conf" -o >"$dir/janus.log" 2>&1 &
pids="$!"
url=http://$ip:$port/janus
up=
for i in $(seq 100); do
  if ip netns exec "$ns" /usr/bin/python3 -c "import json,sys,urllib.request as u; \
json.load(u.urlopen(sys.argv[1] + '/info', timeout=1))['janus'] == 'server_info' or sys.exit(1)" "$url" \
      2>/dev/null; then up=1; break; fi
  kill -0 $pids 2>/dev/null || break
  sleep 0.1
done
[ -n "$up" ] || { tail -20 "$dir/janus.log"; skip "janus did not start"; }

speech=$src/apps/parley/samples/speech_16k.wav
run_engine() { # NAME, then what it sends
  local name=$1; shift
  mkdir -p "$dir/$name"
  ip netns exec "$ns" "$parley" room --janus "$url" --room $room --display "$name" \
    --record "$dir/$name" --duration 60 --bind $ip:0 --quiet "$@" >"$dir/$name/out" 2>&1 &
  pids="$pids $!"
}
run_engine tone-440 --tone 440 --send-video pattern --video-size 320x240
run_engine tone-1000 --tone 1000 --recv-video
run_engine speech --send "$speech" --loop --recv-video
mkdir -p "$dir/chromium-700"
ip netns exec "$ns" timeout 60 node "$here/janus_room.js" "$url" $room 700 "$dir/chromium-700" 3 6 \
  >"$dir/chromium-700/node.out" 2>&1 || { cat "$dir/chromium-700/node.out"; tail -30 "$dir/janus.log"; exit 1; }
# Chromium has left; once the engines have seen it go, they leave too
# (SIGTERM: leave the room, destroy the session, write feeds.json).
sleep 1.5
fail=0
for p in ${pids#* }; do kill -TERM "$p" 2>/dev/null || fail=1; done
for p in ${pids#* }; do wait "$p" || fail=1; done
pids=${pids%% *}
for n in tone-440 tone-1000 speech; do echo "== $n"; cat "$dir/$n/out"; done
[ $fail = 0 ] || { echo "an engine failed"; tail -30 "$dir/janus.log"; exit 1; }
for f in "$dir"/chromium-700/chromium-feed-*.webm; do
  ffmpeg -loglevel error -y -i "$f" -ac 1 -ar 48000 "${f%.webm}.wav"
done
/usr/bin/python3 "$here/check_janus_room.py" "$dir" "$parley" "$speech" --left chromium-700 \
  tone-440=tone:440+video tone-1000=tone:1000 speech=speech chromium-700=tone:700
echo "ok: three engines and Chromium in one Janus room, every feed heard"

# Janus restarts under three participants: the new Janus does not know
# their sessions (the long poll's 404 / error 458). Without --rejoin the
# room must end with a clear message and exit status 1, not a hang or a
# crash; with --rejoin the other two join the new Janus and hear each
# other again.
mkdir -p "$dir/restart" "$dir/rejoin-300" "$dir/rejoin-500"
ip netns exec "$ns" "$parley" room --janus "$url" --room $room --display restart --tone 700 \
  --duration 20 --bind $ip:0 >"$dir/restart/out" 2>&1 &
rpid=$!
rj=
for hz in 300 500; do
  ip netns exec "$ns" "$parley" room --janus "$url" --room $room --display rejoin-$hz --tone $hz \
    --rejoin 2 --record "$dir/rejoin-$hz" --duration 30 --bind $ip:0 >"$dir/rejoin-$hz/out" 2>&1 &
  rj="$rj $!"
done
for i in $(seq 100); do
  [ "$(cat "$dir"/restart/out "$dir"/rejoin-*/out | grep -c "publishing in room")" -ge 3 ] && break
  sleep 0.1
done
sleep 1
kill -9 ${pids%% *}
wait ${pids%% *} 2>/dev/null || true
ip netns exec "$ns" janus -F "$dir/conf" -o >"$dir/janus2.log" 2>&1 &
pids="$! $rpid$rj"
t0=$(date +%s.%N)
rc=0
wait $rpid || rc=$?
t=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")
cat "$dir/restart/out"
grep -q "no longer knows our session" "$dir/restart/out" && [ $rc = 1 ] ||
  { echo "FAIL: after a Janus restart: exit $rc, no 'no longer knows our session'"; exit 1; }
echo "ok: Janus restarted, the room ended in ${t}s with exit 1 and said why"
# The two with --rejoin: in the new room for 4 s, then leave.
for i in $(seq 100); do
  [ "$(cat "$dir"/rejoin-*/out | grep -c "joining room $room again")" -ge 2 ] && break
  sleep 0.1
done
sleep 4
for p in $rj; do kill -TERM "$p"; done
fail=0
for p in $rj; do wait "$p" || fail=1; done
pids=${pids%% *}
for hz in 300 500; do cat "$dir/rejoin-$hz/out"; done
[ $fail = 0 ] || { echo "FAIL: a rejoining engine failed"; exit 1; }
/usr/bin/python3 - "$dir" "$here" <<'PY2'
import json, sys
sys.path.insert(0, sys.argv[2])
from check_janus_room import tone
d = sys.argv[1]
bad = 0
for me, other in ((300, 500), (500, 300)):
    feeds = json.load(open("%s/rejoin-%d/feeds.json" % (d, me)))["feeds"]
    mine = [f for f in feeds if f["display"] == "rejoin-%d" % other]
    # Two sessions: the feed of the first Janus went with it; the second's
    # must carry the tone.
    ok = len(mine) == 2 and mine[0]["removed"]
    good, msg = tone("%s/rejoin-%d/%s" % (d, me, mine[-1]["file"]), other) if mine else (False, "none")
    print("rejoin-%d <- rejoin-%d after the restart: %s%s" % (me, other, msg, "" if ok and good else "  FAIL"))
    bad += not (ok and good)
sys.exit(1 if bad else 0)
PY2
echo "ok: with --rejoin, both joined the restarted Janus and heard each other again"
