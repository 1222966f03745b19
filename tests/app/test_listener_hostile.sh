#!/usr/bin/env bash
# Issue 13's reproductions against a real `parley call --listen`, as a
# stranger on the network would send them, then a real caller: the listener
# must stay up through all of it, and still carry the caller's audio.
#
#  1. bad POSTs (plain text, empty, JSON, a NUL, a corrupted offer): 4xx each,
#     the listener goes on;
#  2. an abandoned offer (ICE never completes): the only slot is busy (503)
#     until the session is reaped (--session-timeout 3), then free again;
#  3. guessed session URLs (/whip/1), a PATCH with new ICE credentials, a
#     DELETE, a pre-flight from a foreign origin, requests without the
#     --token: refused, nothing changes;
#  then a legitimate caller with the token connects, its audio is recorded,
#  and the listener exits 0 when that caller ends the session.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
sample=$PL_SOURCE_DIR/apps/parley/samples/speech_16k.wav
dir=$(mktemp -d)
trap 'kill $lpid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
port=$(pl_free_port)
token=k7Rq2-test-token
"$parley" call --listen 127.0.0.1:$port --token $token --session-timeout 3 \
  --record "$dir/rx.wav" --quiet --stats-json "$dir/listener.json" --duration 60 \
  >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done

/usr/bin/python3 - "$port" "$token" "$lpid" "$PL_SOURCE_DIR/tests/fixtures/sdp/chromium_audio.sdp" <<'PY'
import http.client, os, sys, time
port, token, lpid, fixture = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
auth = {"Authorization": "Bearer " + token}

def alive():
    try:
        os.kill(lpid, 0)
        return True
    except OSError:
        return False

def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out

sdp = "application/sdp"
offer = open(fixture, "rb").read()
# An offer whose only candidate answers nothing, with end-of-candidates:
# ICE can never complete (the case that once ended the listener after 39 s).
dead = offer.replace(b"a=candidate:2377626578", b"a=candidate:9 1 udp 2113937151 127.0.0.1 9 typ host\r\na=x-old:")
dead = dead.replace(b"a=candidate:1188131378", b"a=end-of-candidates\r\na=x-old:")
corrupt = bytearray(offer)
for i in range(0, len(corrupt), 37):
    corrupt[i] ^= 0x5A

# 1. One bad POST used to stop the listener.
for name, body in [("text", b"hello"), ("empty", b""), ("json", b'{"sdp": "v=0"}'),
                   ("nul", offer[:200] + b"\0" + offer[200:]), ("corrupt", bytes(corrupt))]:
    st, _, text = req("POST", "/whip", body, {"Content-Type": sdp, **auth})
    assert 400 <= st < 500, (name, st, text)
    time.sleep(0.2)
    assert alive(), "listener died after a bad POST (%s)" % name
print("bad POSTs: 4xx each, listener alive")

# 3. Without the token, or with a wrong one: 401, even for a good offer.
st, hdr, _ = req("POST", "/whip", offer, {"Content-Type": sdp})
assert st == 401 and "Bearer" in hdr.get("WWW-Authenticate", ""), (st, hdr)
st, _, _ = req("POST", "/whip", offer, {"Content-Type": sdp, "Authorization": "Bearer nope"})
assert st == 401, st
# A page on another origin: its pre-flight and its POST are refused.
evil = {"Origin": "http://evil.example", "Host": "127.0.0.1:%d" % port}
st, hdr, _ = req("OPTIONS", "/whip", None, {**evil, "Access-Control-Request-Method": "POST"})
assert st == 403 and "Access-Control-Allow-Origin" not in hdr, (st, hdr)
st, _, _ = req("POST", "/whip", offer, {"Content-Type": sdp, **auth, **evil})
assert st == 403, st

# 2. An abandoned offer holds the slot only until it is reaped.
t0 = time.time()
st, hdr, _ = req("POST", "/whip", dead, {"Content-Type": sdp, **auth})
assert st == 201, st
loc = hdr["Location"]
assert loc.startswith("/whip/") and len(loc) == 6 + 32, loc
st, _, text = req("POST", "/whip", offer, {"Content-Type": sdp, **auth})
assert st == 503 and b"busy" in text, (st, text)
# Guessing the session: sequential ids, a neighbour of the real one.
for guess in ["/whip/1", "/whip/0", loc[:-1] + ("0" if loc[-1] != "0" else "1")]:
    st, _, _ = req("DELETE", guess, None, auth)
    assert st == 404, (guess, st)
    st, _, _ = req("PATCH", guess, b"a=ice-ufrag:EVIL\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n",
                   {"Content-Type": "application/trickle-ice-sdpfrag", **auth})
    assert st == 404, (guess, st)
# The real URL without the token is not enough either.
st, _, _ = req("DELETE", loc, None, {})
assert st == 401, st
assert alive()
# Reaped within --session-timeout (3 s) plus a tick: the slot is free.
# Probe without touching it: a PATCH whose If-Match cannot match is 412
# while the session exists, 404 once it is gone.
while True:
    st, _, _ = req("PATCH", loc, b"a=end-of-candidates\r\n",
                   {"Content-Type": "application/trickle-ice-sdpfrag", "If-Match": '"999"', **auth})
    if st == 404:
        break
    assert st == 412, st
    assert time.time() - t0 < 6, "abandoned session still held after %.1f s" % (time.time() - t0)
    time.sleep(0.25)
print("abandoned session reaped after %.1f s" % (time.time() - t0))
assert alive()
PY

# Then a real caller (with the token) connects, talks, and hangs up.
"$parley" call --connect 127.0.0.1:$port --token $token --send "$sample" --duration 5 --quiet \
  --stats-json "$dir/caller.json" >"$dir/caller.out" 2>&1
set +e
wait $lpid
rc=$?
set -e
cat "$dir/listener.out" "$dir/caller.out"
[ $rc -eq 0 ] || { echo "listener exited $rc"; exit 1; }
grep -q "caller dropped (never connected)" "$dir/listener.out" || { echo "no reaping reported"; exit 1; }
/usr/bin/python3 - "$dir/listener.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
assert l["packetsReceived"] > 150, l["packetsReceived"]   # ~5 s of 20 ms packets
print("listener received", l["packetsReceived"], "packets from the real caller")
PY
