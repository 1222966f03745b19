#!/usr/bin/env python3
"""aiortc (Debian's python3-aiortc) as the other end of a Parley call.

  aiortc_peer.py offer URL --eoc yes|no --seconds S --tone HZ --out DIR
      WHIP client: POST our offer to URL (the listener's /whip), apply the
      201 answer, talk for S seconds, DELETE the Location exactly as given.
  aiortc_peer.py answer PORT --eoc yes|no --seconds S --tone HZ --out DIR
      A minimal WHIP server on 127.0.0.1:PORT in front of an aiortc answerer,
      for `parley call --connect`: POST /whip -> 201 + Location + answer.

Both send a sine of --tone Hz, record what they receive to DIR/peer-rx.wav
(48 kHz mono) and write DIR/peer.json (connection states, RTP counters).
--eoc no strips a=end-of-candidates from our SDP (aiortc writes it in every
SDP it makes); --eoc yes keeps it. Exit 77 when aiortc cannot be imported.
"""
import argparse
import asyncio
import fractions
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import numpy as np
    import aioice.ice
    from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError
    from av import AudioFrame
except ImportError as e:  # the only reason to skip
    print("SKIP: aiortc not importable: %s" % e)
    sys.exit(77)

RATE = 48000

# aioice gathers every interface except loopback; the tests run on 127.0.0.1
# only (and CI machines may have nothing else).
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class Sine(MediaStreamTrack):
    """20 ms frames of a sine, paced in real time."""
    kind = "audio"

    def __init__(self, hz):
        super().__init__()
        self.hz, self.pts, self.t0 = hz, 0, None

    async def recv(self):
        if self.t0 is None:
            self.t0 = time.monotonic()
        wait = self.t0 + self.pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        n = RATE // 50
        t = (np.arange(n) + self.pts) / RATE
        pcm = (0.3 * 32767 * np.sin(2 * np.pi * self.hz * t)).astype(np.int16)
        f = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        f.sample_rate, f.pts, f.time_base = RATE, self.pts, fractions.Fraction(1, RATE)
        self.pts += n
        return f


class Peer:
    def __init__(self, args):
        self.args = args
        self.pc = RTCPeerConnection()
        self.pcm = []
        self.log = {"states": [], "ice_states": []}
        self.t0 = time.monotonic()
        self.pc.addTrack(Sine(args.tone))

        @self.pc.on("connectionstatechange")
        def _():
            self.log["states"].append([round(time.monotonic() - self.t0, 3),
                                       self.pc.connectionState])

        @self.pc.on("iceconnectionstatechange")
        def _():
            self.log["ice_states"].append([round(time.monotonic() - self.t0, 3),
                                           self.pc.iceConnectionState])

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                asyncio.ensure_future(self.sink(track))

    async def sink(self, track):
        while True:
            try:
                f = await track.recv()
            except MediaStreamError:
                return
            a = f.to_ndarray().reshape(-1, len(f.layout.channels))[:, 0]
            if f.sample_rate != RATE:  # aiortc decodes Opus at 48 kHz
                continue
            self.pcm.append(a.astype(np.int16))

    def sdp_out(self):
        sdp = self.pc.localDescription.sdp
        if self.args.eoc == "no":
            sdp = sdp.replace("a=end-of-candidates\r\n", "")
        elif "a=end-of-candidates" not in sdp:
            sdp = sdp.replace("a=ice-ufrag", "a=end-of-candidates\r\na=ice-ufrag", 1)
        return sdp

    async def talk(self, seconds):
        """Lets the call run, sampling RTP counters (the last look, after
        the other side hung up, may no longer list its stream)."""
        end = time.monotonic() + seconds
        recv = sent = 0
        while time.monotonic() < end:
            await asyncio.sleep(min(0.25, max(0, end - time.monotonic())))
            stats = (await self.pc.getStats()).values()
            recv = max(recv, sum(s.packetsReceived for s in stats if s.type == "inbound-rtp"))
            sent = max(sent, sum(s.packetsSent for s in stats if s.type == "outbound-rtp"))
        self.log["packetsReceived"], self.log["packetsSent"] = recv, sent

    async def finish(self):
        self.log["connected"] = any(s == "connected" for _, s in self.log["states"])
        await self.pc.close()
        x = np.concatenate(self.pcm) if self.pcm else np.zeros(0, np.int16)
        with wave.open(os.path.join(self.args.out, "peer-rx.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(x.tobytes())
        with open(os.path.join(self.args.out, "peer.json"), "w") as f:
            json.dump(self.log, f, indent=1)
        print("aiortc:", json.dumps(self.log))


def http(method, url, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit("%s %s: %d %s" % (method, url, e.code, e.read().decode(errors="replace")))


def keep(args, name, text):
    """The SDP exchanged, next to the results, for when a variant fails."""
    with open(os.path.join(args.out, name), "w") as f:
        f.write(text)


async def run_offer(args):
    peer = Peer(args)
    await peer.pc.setLocalDescription(await peer.pc.createOffer())  # gathers
    loop = asyncio.get_running_loop()
    offer = peer.sdp_out()
    keep(args, "offer.sdp", offer)
    status, hdrs, answer = await loop.run_in_executor(
        None, lambda: http("POST", args.target, offer.encode(), "application/sdp"))
    keep(args, "answer.sdp", answer)
    assert status == 201, status
    location = urllib.parse.urljoin(args.target, hdrs["Location"])  # as given
    peer.log["location"] = hdrs["Location"]
    await peer.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    await peer.talk(args.seconds)
    await peer.finish()
    try:
        await loop.run_in_executor(None, lambda: http("DELETE", location))
    except OSError as e:  # the listener may already be gone
        print("DELETE %s: %s" % (location, e))


async def run_answer(args):
    loop = asyncio.get_running_loop()
    peer = Peer(args)
    got_offer = asyncio.Event()

    async def on_offer(sdp):
        keep(args, "offer.sdp", sdp)
        await peer.pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await peer.pc.setLocalDescription(await peer.pc.createAnswer())  # gathers
        loop.call_soon(got_offer.set)
        answer = peer.sdp_out()
        keep(args, "answer.sdp", answer)
        return answer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def body(self):
            return self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()

        def do_POST(self):
            if self.path != "/whip":
                self.send_error(404)
                return
            sdp = self.body()
            answer = asyncio.run_coroutine_threadsafe(on_offer(sdp), loop).result(15)
            data = answer.encode()
            self.send_response(201)
            self.send_header("Location", "/whip/" + secrets.token_hex(8))
            self.send_header("Content-Type", "application/sdp")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PATCH(self):  # trickle from the engine: its offer had them all
            self.body()
            self.send_response(204)
            self.end_headers()

        def do_DELETE(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", args.target_port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("aiortc WHIP answerer on 127.0.0.1:%d" % args.target_port, flush=True)
    await asyncio.wait_for(got_offer.wait(), 30)
    await peer.talk(args.seconds)
    await peer.finish()
    srv.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["offer", "answer"])
    ap.add_argument("target", help="offer: the WHIP URL; answer: the port to serve")
    ap.add_argument("--eoc", choices=["yes", "no"], default="yes")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--tone", type=float, default=660)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.mode == "answer":
        args.target_port = int(args.target)
        asyncio.run(run_answer(args))
    else:
        asyncio.run(run_offer(args))


if __name__ == "__main__":
    main()
