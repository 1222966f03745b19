#!/usr/bin/env bash
# The WHIP client of `parley call --connect`, seen from the server's side
# through a logging HTTP proxy in front of a real listener:
#  - it ends its session with DELETE on the Location (RFC 9725 4.2);
#  - it PATCHes only when it has something to trickle, not every 100 ms
#    (it once sent 79 empty PATCHes in 8 s);
#  - against a server without trickle (405 to PATCH) it asks once at most;
#  - a busy server (503) is reported as busy, not as "buffer or queue full";
#  - a POST answered 429 (too many requests from this address just now) is
#    sent again after Retry-After, and the call goes through.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
sample=$PL_SOURCE_DIR/apps/parley/samples/speech_16k.wav
dir=$(mktemp -d)
trap 'kill $lpid $ppid 2>/dev/null || true; rm -rf "$dir"' EXIT
lport=$(pl_free_port)
pport=$((lport + 1))

wait_port() {
  for i in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# proxy MODE: forwards everything to the listener and logs "METHOD PATH
# STATUS"; with MODE=no-trickle it answers PATCH itself with 405, with
# MODE=throttle the first POST with 429 and Retry-After: 1.
cat >"$dir/proxy.py" <<'PY'
import http.client, http.server, sys
lport, mode, log = int(sys.argv[2]), sys.argv[3], open(sys.argv[4], "a", buffering=1)
throttled = []
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if mode == "no-trickle" and self.command == "PATCH":
            status, hdrs, data = 405, [("Allow", "POST, DELETE")], b""
        elif mode == "throttle" and self.command == "POST" and not throttled:
            throttled.append(1)
            status, hdrs, data = 429, [("Retry-After", "1")], b"slow down\n"
        else:
            # The one-call listener may be gone already (the caller's RTCP
            # BYE outruns its DELETE): what the client sent is what counts.
            try:
                c = http.client.HTTPConnection("127.0.0.1", lport, timeout=10)
                fwd = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                c.request(self.command, self.path, body=body, headers=fwd)
                r = c.getresponse()
                status, hdrs, data = r.status, r.getheaders(), r.read()
            except OSError:
                status, hdrs, data = 502, [], b""
        log.write("%s %s %d\n" % (self.command, self.path, status))
        self.send_response(status)
        for k, v in hdrs:
            if k.lower() not in ("content-length", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_POST = do_PATCH = do_DELETE = do_GET = do_OPTIONS = relay
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

for mode in trickle no-trickle throttle; do
  : >"$dir/log"
  "$parley" call --listen 127.0.0.1:$lport --quiet --duration 30 >"$dir/listener.out" 2>&1 &
  lpid=$!
  /usr/bin/python3 "$dir/proxy.py" $pport $lport $mode "$dir/log" &
  ppid=$!
  wait_port $lport && wait_port $pport
  "$parley" call --connect 127.0.0.1:$pport --bind 127.0.0.1:$((lport + 2)) --send "$sample" \
    --duration 4 --quiet --stats-json "$dir/caller.json" >"$dir/caller.out" 2>&1
  wait $lpid || { cat "$dir/listener.out"; exit 1; }
  sleep 0.3
  kill $ppid; wait $ppid 2>/dev/null || true
  echo "== $mode"; cat "$dir/log"
  grep -q "^POST /whip 201$" "$dir/log"
  if [ $mode = throttle ]; then
    [ "$(grep -c '^POST /whip ' "$dir/log")" -eq 2 ] && grep -q "^POST /whip 429$" "$dir/log" ||
      { echo "expected a 429, then the same offer again"; exit 1; }
  fi
  deletes=$(grep -c "^DELETE /whip/[0-9a-f]\{32\} " "$dir/log" || true)
  patches=$(grep -c "^PATCH " "$dir/log" || true)
  [ "$deletes" -eq 1 ] || { echo "expected one DELETE, saw $deletes"; exit 1; }
  if [ $mode = trickle ]; then
    [ "$patches" -le 4 ] || { echo "$patches PATCHes: a trickle storm"; exit 1; }
  else
    [ "$patches" -le 1 ] || { echo "$patches PATCHes to a server that answered 405"; exit 1; }
  fi
  if grep -q "PATCH" "$dir/caller.out"; then
    echo "the client warned about PATCH:"; cat "$dir/caller.out"; exit 1
  fi
done

# A listener busy with a call answers 503: the second caller says so.
"$parley" call --listen 127.0.0.1:$lport --quiet --duration 20 >"$dir/listener.out" 2>&1 &
lpid=$!
wait_port $lport
"$parley" call --connect 127.0.0.1:$lport --send "$sample" --duration 4 --quiet \
  >"$dir/first.out" 2>&1 &
first=$!
sleep 1
set +e
"$parley" call --connect 127.0.0.1:$lport --bind 127.0.0.1:$((lport + 3)) --duration 2 --quiet \
  >"$dir/second.out" 2>&1
rc=$?
set -e
cat "$dir/second.out"
[ $rc -eq 1 ] || { echo "second caller exited $rc"; exit 1; }
grep -q "is busy with another call (HTTP 503)" "$dir/second.out"
if grep -q "buffer or queue full" "$dir/second.out"; then exit 1; fi
wait $first
wait $lpid
echo "whip client: one DELETE per call, no PATCH storm, 429 retried, busy said as busy"
