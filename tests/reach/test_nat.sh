#!/usr/bin/env bash
# NAT traversal between two `parley call` processes, each on a private LAN
# behind its own NAT router, built here from network namespaces:
#
#   A 10.0.1.2 -- 10.0.1.1 natA 198.51.100.10 --+
#                                                +-- br0 198.51.100.1 (pub: coturn)
#   B 10.0.2.2 -- 10.0.2.1 natB 198.51.100.20 --+
#
# The routers masquerade with nftables; natB forwards the listener's WHIP
# port (TCP only), so the signalling reaches B while the media must find
# its own way through both NATs. coturn on the public side answers STUN and
# relays (TURN, long-term credentials). Cases:
#   cone       port-preserving masquerade (endpoint-independent mapping):
#              the direct path through the server-reflexive addresses wins,
#              though both sides also have relayed candidates
#   symmetric  masquerade with random ports on both routers (a new mapping
#              per destination): only a relayed candidate works
#   udp        natA drops all UDP from A: A relays over TCP to coturn
#   udp-noturn the same without --turn: the call fails, saying why
#   ula        cone for IPv4, and IPv6 unique local addresses routed (no
#              NAT66) on both LANs: both ends gather both families and
#              select the IPv6 host pair
#   rebind     cone with the listener's media port forwarded by natB, and
#              3 s into the call natA forgets its mappings and maps anew from
#              other ports: the caller's NAT rebinds; the call must go on,
#              with the gap in the caller's audio < 2 s
#   chromium   cone, and the caller is headless Chromium in A with
#              iceTransportPolicy 'relay' and coturn in its iceServers: it
#              connects through its relayed candidate and carries audio both
#              ways (issue 22: Chromium inside a namespace through coturn)
# Each case checks the selected pair's candidate types (--webrtc-json) and,
# when it connects, each side's tone in the other's recording.
# Exit 77 (skip) where namespaces, nft or coturn are missing.
set -euo pipefail
case_=${1:?usage: test_nat.sh cone|symmetric|udp|udp-noturn|ula|rebind|restart|chromium}
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
for t in ip nft turnserver python3 $(case $case_ in rebind|restart) echo conntrack;; chromium) echo chromium node;; esac); do
  command -v $t >/dev/null || skip "$t missing (scripts/install-deps.sh test)"
done
# Names unique to this run: parallel runs (and leftovers) never collide.
id=plr$$x$((RANDOM % 10000))
pub=${id}pub na=${id}na nb=${id}nb A=${id}a B=${id}b
dir=$(mktemp -d)
pids=()
made=()
cleanup() {
  [ -n "${KEEP:-}" ] && cp -r "$dir" "$KEEP"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
mk() { ip netns add "$1" || skip "cannot create network namespaces here"; made+=("$1");
       ip -n "$1" link set lo up; }
for n in $pub $na $nb $A $B; do mk $n; done

ip -n $pub link add br0 type bridge
ip -n $pub addr add 198.51.100.1/24 dev br0
ip -n $pub link set br0 up
# The rest of the internet: a default route to a gateway whose MAC nobody
# has, where what coturn relays to a private address (a host candidate)
# quietly dies. Without it coturn's send fails with ENETUNREACH and it drops
# the whole allocation, which no server on the real internet would see.
ip -n $pub neigh add 198.51.100.254 lladdr 02:00:00:00:00:fe dev br0 nud permanent
ip -n $pub route add default via 198.51.100.254 dev br0
# router R (natA/natB) with WAN address W, LAN subnet L, host H in it
router() {
  local r=$1 w=$2 l=$3 h=$4 tag=$5
  ip -n $r link add wan type veth peer name v$tag netns $pub
  ip -n $pub link set v$tag master br0 up
  ip -n $r addr add $w/24 dev wan
  ip -n $r link set wan up
  ip -n $r link add lan type veth peer name eth0 netns $h
  ip -n $r addr add $l.1/24 dev lan
  ip -n $r link set lan up
  ip -n $h addr add $l.2/24 dev eth0
  ip -n $h link set eth0 up
  ip -n $h route add default via $l.1
  ip netns exec $r sysctl -qw net.ipv4.ip_forward=1
}
router $na 198.51.100.10 10.0.1 $A a
router $nb 198.51.100.20 10.0.2 $B b
v6hosts=()
if [ "$case_" = ula ]; then
  # IPv6 beside IPv4: ULA prefixes routed end to end, no NAT66 (nodad: the
  # addresses are usable at once, not tentative for a second or two).
  ip -n $pub addr add fd00:99::1/64 dev br0 nodad
  v6() { # router, wan addr, lan prefix, host, other lan prefix, other router wan
    ip netns exec $1 sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n $1 addr add $2/64 dev wan nodad
    ip -n $1 addr add $3::1/64 dev lan nodad
    ip -n $4 addr add $3::2/64 dev eth0 nodad
    ip -n $4 -6 route add default via $3::1
    ip -n $1 -6 route add $5::/64 via $6
  }
  v6 $na fd00:99::10 fd00:1 $A fd00:2 fd00:99::20
  v6 $nb fd00:99::20 fd00:2 $B fd00:1 fd00:99::10
  v6hosts=(fd00:1::2 fd00:2::2)
  # Wait until the IPv6 path answers end to end (neighbour discovery on
  # four links): the test is about which pair ICE prefers, not about how
  # fast a fresh network settles.
  ip netns exec $A python3 - <<'PY' || { echo "FAIL: no IPv6 path between the LANs"; exit 1; }
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(("fd00:2::2", 9))  # B's kernel answers port-unreachable
s.settimeout(0.1)
for _ in range(50):
    try:
        s.send(b"x")
        s.recv(10)
    except ConnectionRefusedError:
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
fi

port=$(pl_free_port)   # WHIP (TCP, forwarded by natB) and the listener's UDP
tport=$(pl_free_port)  # coturn, UDP and TCP
masq="masquerade"
[ "$case_" = symmetric ] && masq="masquerade random"
nat_rules() { # router, extra prerouting rule, extra forward rule
  ip netns exec $1 nft -f - <<NFT
table ip nat {
  chain pre { type nat hook prerouting priority -100; $2 }
  chain post { type nat hook postrouting priority 100; oifname "wan" $masq; }
}
table inet filter {
  chain through { type filter hook forward priority 0; policy accept; $3 }
  # Unsolicited packets to the router itself are dropped before their
  # conntrack entry is confirmed, as a home router's firewall does; kept,
  # such an entry would hold the port the host's answer needs and make
  # the masquerade pick another (the NAT would act symmetric).
  chain in { type filter hook input priority 0; iifname "wan" ct state new drop; }
}
NFT
}
blockudp=""
case $case_ in udp|udp-noturn) blockudp='iifname "lan" meta l4proto udp counter drop;' ;; esac
nat_rules $na "" "$blockudp"
fwd_b="iifname \"wan\" tcp dport $port dnat to 10.0.2.2:$port;"
# rebind: natB forwards the listener's media port too (endpoint-independent
# filtering, a "full cone" for it), as a server behind a port-forward has:
# the caller's checks from its new mapping must reach the listener, which
# cannot know that address before they do.
[ "$case_" = rebind ] && fwd_b="$fwd_b iifname \"wan\" udp dport $port dnat to 10.0.2.2:$port;"
nat_rules $nb "$fwd_b" ""

cat >"$dir/turn.conf" <<CONF
listening-ip=198.51.100.1
listening-port=$tport
relay-ip=198.51.100.1
min-port=49152
max-port=49400
lt-cred-mech
user=alice:s3cret
realm=parley.test
no-tls
no-dtls
no-cli
verbose
simple-log
log-file=$dir/turn.log
pidfile=$dir/turn.pid
CONF
ip netns exec $pub turnserver -c "$dir/turn.conf" >"$dir/turn.out" 2>&1 &
pids+=($!)
ip netns exec $pub python3 - $tport <<'PY' || { echo "coturn did not answer"; cat "$dir/turn.out"; exit 1; }
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
req = struct.pack(">HHI", 1, 0, 0x2112A442) + os.urandom(12)
for _ in range(50):
    s.sendto(req, ("198.51.100.1", int(sys.argv[1])))
    try:
        if s.recv(1500)[8:20] == req[8:20]:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY

stun="--stun-server 198.51.100.1:$tport"
turn_b="--turn turn:alice:s3cret@198.51.100.1:$tport"
turn_a=$turn_b
case $case_ in
  udp) turn_a="--turn turn:alice:s3cret@198.51.100.1:$tport?transport=tcp" ;;
  udp-noturn) turn_a="" ;;
  # The caller's srflx must be learned again after the restart: from a STUN
  # Binding (with --turn it comes from the Allocate, whose mapping is gone).
  restart) turn_a="" ;;
esac
ip netns exec $B "$parley" call --listen 10.0.2.2:$port $stun $turn_b --tone 440 \
  ${v6hosts[1]:+--ice-host ${v6hosts[1]}} \
  --record "$dir/rx_listener.wav" --webrtc-json "$dir/listener.json" --duration 30 \
  --session-timeout 12 >"$dir/listener.out" 2>&1 &
lpid=$!
pids+=($lpid)
for i in $(seq 50); do
  ip netns exec $A bash -c "exec 3<>/dev/tcp/198.51.100.20/$port" 2>/dev/null && break
  sleep 0.1
done
if [ "$case_" = chromium ]; then
  # Chromium behind natA loads the listener's page through natB's forward
  # and calls with relayed candidates only (chromium_relay.js, as in
  # reach/chromium_relay on loopback).
  here=$(cd "$(dirname "$0")" && pwd)
  . "$here/../interop/lib.sh"
  pl_browser_ready "$here/../interop"
  rtc="{\"iceTransportPolicy\":\"relay\",\"iceServers\":[{\"urls\":\"turn:198.51.100.1:$tport\",\"username\":\"alice\",\"credential\":\"s3cret\"}]}"
  ip netns exec $A env NODE_PATH="$here/../interop/node_modules" HOME="$dir" \
    timeout 90 node "$here/chromium_relay.js" "http://198.51.100.20:$port/" "$dir/browser.json" 5 \
    "$rtc" >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; echo "--- listener"; cat "$dir/listener.out"; exit 1; }
  for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
  wait $lpid || { cat "$dir/listener.out"; exit 1; }
  /usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
w = json.load(open(d + "/listener.json"))
assert b["ok"], b
s = b["stats"]
print("chromium in natA's LAN:", {k: s.get(k) for k in ("connectionState", "localCandidateType",
      "remoteCandidateType", "packetsReceived", "totalAudioEnergy")})
print("engine in natB's LAN:", {k: w[k] for k in ("localCandidate", "remoteCandidate",
      "turnAllocations", "packetsReceived")})
assert b["connectionStateAtConnect"] == "connected", b
assert s["localCandidateType"] == "relay", s
assert s["packetsReceived"] > 100 and s["totalAudioEnergy"] > 0.01, s
assert w["remoteCandidateType"] == "relay", w  # Chromium's relayed address on coturn
assert w["srtpAuthFailures"] == 0 and w["packetsReceived"] > 100, w
wf = wave.open(d + "/rx_listener.wav")
x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
x = x.reshape(-1, wf.getnchannels())[:, 0][48000:]
spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
print("engine decoded Chromium's beep at %.1f Hz" % peak)
assert abs(peak - 400) < 5, peak
print("ok: Chromium behind a NAT, relay only through coturn, audio both ways")
PY
  exit 0
fi
t0=$(date +%s.%N)
if [ "$case_" = rebind ] || [ "$case_" = restart ]; then
  # New UDP mappings from 20000-20999, and natA forgets the ones it has.
  ( sleep 3
    ip netns exec $na nft insert rule ip nat post oifname "wan" meta l4proto udp \
      masquerade to :20000-20999
    ip netns exec $na conntrack -F 2>/dev/null
    echo "rebound natA at $(date +%s.%N)" >"$dir/rebind.txt" ) &
  pids+=($!)
fi
set +e
ip netns exec $A "$parley" call --connect 198.51.100.20:$port $stun $turn_a --tone 1000 \
  ${v6hosts[0]:+--ice-host ${v6hosts[0]}} \
  --stats-json "$dir/caller_stats.json" --record "$dir/rx_caller.wav" --duration $(case $case_ in rebind) echo 9;; restart) echo 12;; *) echo 6;; esac) --webrtc-json "$dir/caller.json" \
  >"$dir/caller.out" 2>&1
rc=$?
set -e
t1=$(date +%s.%N)
echo "caller exit $rc after $(python3 -c "print(round($t1 - $t0, 1))") s"
if [ "$case_" = udp-noturn ]; then
  cat "$dir/caller.out"
  [ $rc -ne 0 ] || { echo "FAIL: the call connected with UDP blocked and no TURN"; exit 1; }
  grep -q "no media path to the peer" "$dir/caller.out" ||
    { echo "FAIL: no clear message"; exit 1; }
  grep -q -- "--turn" "$dir/caller.out" || { echo "FAIL: no hint at --turn"; exit 1; }
  # The case must test what it says: the caller tried UDP (its own count of
  # ICE checks) and natA drops UDP from its LAN. natA's counter shows the
  # caller's datagrams; when it reads 0 (seen 3 times in ~25 runs made in
  # parallel with reach/nat_udp, never alone; not understood), a probe sent
  # from A now must be counted instead.
  python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["iceChecksSent"] < 1)' \
    "$dir/caller.json" || { echo "FAIL: the caller sent no ICE check"; exit 1; }
  if ! ip netns exec $na nft list chain inet filter through | grep -q "counter packets [1-9]"; then
    echo "natA's counter read 0 after the call; probing the block from A"
    ip netns exec $A python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3): s.sendto(b"x", ("198.51.100.1", 9))'
    sleep 0.2
    ip netns exec $na nft list chain inet filter through | grep -q "counter packets [1-9]" ||
      { echo "FAIL: natA dropped no UDP: the case did not test what it says"; exit 1; }
  fi
  echo "ok: UDP blocked without TURN fails cleanly ($case_)"
  exit 0
fi
[ $rc -eq 0 ] || { cat "$dir/caller.out"; echo "--- listener"; cat "$dir/listener.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
grep -v '^  ' "$dir/caller.out" | tail -15
/usr/bin/python3 - "$dir" "$case_" <<'PY'
import json, sys, wave
import numpy as np
d, case = sys.argv[1], sys.argv[2]
types = {}
for side, hz_in in (("listener", 1000), ("caller", 440)):
    w = json.load(open("%s/%s.json" % (d, side)))
    print(side, {k: w[k] for k in ("localCandidate", "remoteCandidate", "localCandidates",
                                   "srflxCandidates", "relayCandidates", "remoteCandidates",
                                   "turnAllocations", "turnBytesSent", "turnBytesReceived",
                                   "turnError", "packetsReceived")})
    types[side] = (w["localCandidateType"], w["remoteCandidateType"])
    # "closed" when the peer's hangup (DTLS close_notify) came before the
    # JSON was written; connected it was, as DTLS and the packets show.
    assert w["connectionState"] in ("connected", "closed") and w["dtlsConnectedSeconds"] > 0, w
    assert w["packetsReceived"] > 150, w
    assert w["stunBadIntegrity"] == 0 and w["srtpAuthFailures"] == 0, w
    if case != "restart":  # a path that works is never restarted
        assert w["iceRestarts"] == 0, w
    wf = wave.open("%s/rx_%s.wav" % (d, side))
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000:48000 * 4]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    print("%s decoded %.1f Hz, rms %.3f" % (side, peak, np.sqrt((x ** 2).mean())))
    assert abs(peak - hz_in) < 3, peak
c, l = types["caller"], types["listener"]
print("selected pair types: caller", c, "listener", l)
if case == "cone":
    # Direct through both NATs: our end of the pair is the host socket (the
    # base of its server-reflexive candidate, RFC 8445 6.1.2.2), the far
    # end the peer's NAT address (signalled srflx or learned prflx).
    for t in (c, l):
        assert "relay" not in t and t[0] == "host" and t[1] in ("srflx", "prflx"), t
elif case == "ula":
    for side in ("caller", "listener"):
        w = json.load(open("%s/%s.json" % (d, side)))
        assert w["localCandidate"].startswith("host [fd00:"), w
        assert w["remoteCandidate"].startswith("host [fd00:"), w
        assert w["localCandidates"] >= 3, w  # IPv4 host, IPv6 host, srflx (+ relay)
elif case == "symmetric":
    for t in (c, l):
        assert "relay" in t, t
elif case == "rebind":
    for t in (c, l):
        assert "relay" not in t and t[0] == "host", t
    w = json.load(open("%s/caller.json" % d))
    wl = json.load(open("%s/listener.json" % d))
    port = int(wl["remoteCandidate"].rsplit(":", 1)[1])
    assert 20000 <= port <= 20999, ("the listener moved to the new mapping", wl)
    assert w["iceRebinds"] >= 1, w
    # The gap: what the caller's jitter buffer had to conceal (the link is
    # clean otherwise), and the packets that never came. An RMS envelope
    # of the recording cannot see it: the concealer fills the hole.
    st = json.load(open("%s/caller_stats.json" % d))
    gap = st["concealedSamples"] / 48000.0
    print("rebind: caller concealed %.2f s in %d event(s), %d packets lost; %d rebind(s), "
          "listener now at %s" % (gap, st["concealmentEvents"], st["packetsLost"],
                                  w["iceRebinds"], wl["remoteCandidate"]))
    assert gap < 2.0, gap
elif case == "restart":
    # natB forwards only the WHIP port: the listener cannot hear the caller's
    # new mapping until an ICE restart through WHIP tells it where to send.
    w = json.load(open("%s/caller.json" % d))
    wl = json.load(open("%s/listener.json" % d))
    rs, rsl = w.get("iceRestarts", 0), wl.get("iceRestarts", 0)
    st = json.load(open("%s/caller_stats.json" % d))
    gap = st["concealedSamples"] / 48000.0
    # The call resumed: the listener's tone is back in the caller's last seconds.
    wf = wave.open("%s/rx_caller.wav" % d)
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000 * 8:48000 * 11]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    rms = np.sqrt((x ** 2).mean())
    print("restart: caller concealed %.2f s in %d event(s), %d packets lost; %d restart(s) "
          "(listener %d), after it %.1f Hz rms %.3f, pair %s -> %s"
          % (gap, st["concealmentEvents"], st["packetsLost"], rs,
             rsl, peak, rms, w["localCandidate"], w["remoteCandidate"]))
    assert abs(peak - 440) < 3 and rms > 0.02, (peak, rms)
    assert gap < 5.0, gap
    assert rs >= 1 and rsl >= 1, (rs, rsl)
    # The same DTLS association goes on over the new path: one handshake each.
    for side in ("caller", "listener"):
        n = open("%s/%s.out" % (d, side)).read().count("DTLS connected")
        assert n == 1, (side, "DTLS connected %d times" % n)
elif case == "udp":
    assert c[0] == "relay" and l[1] == "relay", (c, l)
    w = json.load(open("%s/caller.json" % d))
    assert w["turnAllocations"] == 1 and w["turnBytesReceived"] > 10000, w
print("ok: %s NAT case connects with the expected path, audio both ways" % case)
PY
