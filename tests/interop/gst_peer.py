#!/usr/bin/env python3
"""GStreamer's webrtcbin (Debian's gstreamer1.0-plugins-bad, libnice through
gstreamer1.0-nice) as the other end of a Parley call.

  gst_peer.py offer URL --eoc yes|no --seconds S --tone HZ --out DIR
      WHIP client: POST our offer to URL (the listener's /whip), apply the
      201 answer, talk for S seconds, DELETE the Location exactly as given.
  gst_peer.py answer PORT --eoc yes|no --seconds S --tone HZ --out DIR
      A minimal WHIP server on 127.0.0.1:PORT in front of a webrtcbin
      answerer, for `parley call --connect`.

Both send audiotestsrc's sine of --tone Hz through opusenc, record what they
receive to DIR/peer-rx.wav (48 kHz mono) and write DIR/peer.json. Our SDP
carries every candidate (we wait for gathering to complete) and, with
--eoc yes, a=end-of-candidates. Exit 77 when GStreamer's Python bindings,
webrtcbin or the elements used cannot be loaded.
"""
import argparse
import json
import os
import re
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
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC
    Gst.init(None)
    for e in ("webrtcbin", "nicesrc", "audiotestsrc", "opusenc", "rtpopuspay",
              "rtpopusdepay", "opusdec", "appsink"):
        if not Gst.ElementFactory.find(e):
            raise ImportError("GStreamer element %s missing" % e)
except (ImportError, ValueError) as e:
    print("SKIP: GStreamer webrtcbin not usable: %s" % e)
    sys.exit(77)
try:  # to keep libnice on 127.0.0.1 (it skips loopback on its own)
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice
except (ImportError, ValueError):
    Nice = None

RATE = 48000


class Peer:
    def __init__(self, args, opus_pt=111):
        self.args = args
        self.t0 = time.monotonic()
        self.log = {"states": [], "ice_states": []}
        self.pcm = []
        self.cands = []
        self.gathered = threading.Event()
        self.negotiate = threading.Event()
        self.pipe = Gst.parse_launch(
            "webrtcbin name=w bundle-policy=max-bundle "
            "audiotestsrc is-live=true wave=sine freq=%g volume=0.3 ! audioconvert ! "
            "audioresample ! opusenc ! rtpopuspay pt=%d ! "
            "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
            "encoding-params=(string)2,payload=%d ! w."
            % (args.tone, opus_pt, opus_pt))
        self.w = self.pipe.get_by_name("w")
        # Kept for the whole call: with GStreamer 1.22 and PyGObject 3.42,
        # letting the wrapper go destroys webrtcbin's agent (GST_IS_WEBRTC_ICE
        # assertions, no ICE at all).
        self.ice = self.w.get_property("ice-agent")
        if Nice is not None:
            a = Nice.Address.new()
            a.set_from_string("127.0.0.1")
            self.ice.get_property("agent").add_local_address(a)
        self.w.connect("on-ice-candidate", self.on_candidate)
        self.w.connect("notify::ice-gathering-state", self.on_gathering)
        self.w.connect("notify::connection-state", self.on_state, "states", "connection-state")
        self.w.connect("notify::ice-connection-state", self.on_state, "ice_states",
                       "ice-connection-state")
        self.w.connect("pad-added", self.on_pad)
        self.w.connect("on-negotiation-needed", lambda _w: self.negotiate.set())

    def on_state(self, w, _spec, key, prop):
        v = w.get_property(prop).value_nick
        self.log[key].append([round(time.monotonic() - self.t0, 3), v])

    def on_candidate(self, _w, _mline, cand):
        self.cands.append(cand)

    def on_gathering(self, w, _spec):
        if w.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.gathered.set()

    def on_pad(self, _w, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        tail = Gst.parse_bin_from_description(
            "rtpopusdepay ! opusdec ! audioconvert ! audioresample ! "
            "audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
            "appsink name=sink emit-signals=true sync=false", True)
        self.pipe.add(tail)
        tail.get_by_name("sink").connect("new-sample", self.on_sample)
        tail.sync_state_with_parent()
        pad.link(tail.get_static_pad("sink"))

    def on_sample(self, sink):
        buf = sink.emit("pull-sample").get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            self.pcm.append(np.frombuffer(m.data, np.int16).copy())
            buf.unmap(m)
        return Gst.FlowReturn.OK

    def call(self, signal, *args):
        """Emit a promise-returning webrtcbin action; the reply structure."""
        p = Gst.Promise.new()
        self.w.emit(signal, *args, p)
        p.wait()
        return p.get_reply()

    def set_remote(self, text, kind):
        ok, msg = GstSdp.SDPMessage.new_from_text(text)
        assert ok == GstSdp.SDPResult.OK, "bad SDP"
        self.call("set-remote-description", GstWebRTC.WebRTCSessionDescription.new(kind, msg))

    def set_local(self, what):
        reply = self.call("create-" + what, None)
        desc = reply.get_value(what)
        self.call("set-local-description", desc)
        return desc.sdp.as_text()

    def sdp_out(self, sdp):
        """Our description with every gathered candidate in its one m-section."""
        assert self.gathered.wait(10), "gathering never completed"
        sdp = sdp.replace("a=end-of-candidates\r\n", "")
        sdp = re.sub(r"a=candidate:[^\r\n]*\r\n", "", sdp)
        lines = "".join("a=%s\r\n" % c for c in self.cands if c.startswith("candidate:"))
        if self.args.eoc == "yes":
            lines += "a=end-of-candidates\r\n"
        return sdp + lines

    def rtp_counts(self):
        recv = sent = 0
        reply = self.call("get-stats", None)
        for i in range(reply.n_fields()):
            s = reply.get_value(reply.nth_field_name(i))
            if not isinstance(s, Gst.Structure):
                continue
            t = s.get_value("type")
            if t == GstWebRTC.WebRTCStatsType.INBOUND_RTP:
                recv += s.get_value("packets-received") or 0
            elif t == GstWebRTC.WebRTCStatsType.OUTBOUND_RTP:
                sent += s.get_value("packets-sent") or 0
        return recv, sent

    def talk(self, seconds):
        """Lets the call run, sampling RTP counters: a peer's BYE makes
        webrtcbin drop the source's statistics, so the last look may be 0."""
        end = time.monotonic() + seconds
        recv = sent = 0
        while time.monotonic() < end:
            time.sleep(min(0.25, max(0, end - time.monotonic())))
            r, s = self.rtp_counts()
            recv, sent = max(recv, r), max(sent, s)
        self.log["packetsReceived"], self.log["packetsSent"] = recv, sent

    def finish(self):
        self.log["connected"] = any(v == "connected" for _, v in self.log["states"])
        self.log["candidates"] = self.cands
        self.pipe.set_state(Gst.State.NULL)
        x = np.concatenate(self.pcm) if self.pcm else np.zeros(0, np.int16)
        with wave.open(os.path.join(self.args.out, "peer-rx.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(x.tobytes())
        with open(os.path.join(self.args.out, "peer.json"), "w") as f:
            json.dump(self.log, f, indent=1)
        print("gstreamer:", json.dumps({k: v for k, v in self.log.items() if k != "candidates"}))


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


def run_offer(args):
    peer = Peer(args)
    peer.pipe.set_state(Gst.State.PLAYING)
    # An offer made before the payloader's caps arrived says "OPUS/48000"
    # with no channel count (RFC 7587 wants /2), and no a=ssrc.
    assert peer.negotiate.wait(10), "webrtcbin never asked to negotiate"
    offer = peer.sdp_out(peer.set_local("offer"))
    keep(args, "offer.sdp", offer)
    status, hdrs, answer = http("POST", args.target, offer.encode(), "application/sdp")
    keep(args, "answer.sdp", answer)
    assert status == 201, status
    location = urllib.parse.urljoin(args.target, hdrs["Location"])  # as given
    peer.log["location"] = hdrs["Location"]
    peer.set_remote(answer, GstWebRTC.WebRTCSDPType.ANSWER)
    peer.talk(args.seconds)
    peer.finish()
    try:
        http("DELETE", location)
    except OSError as e:  # the listener may already be gone
        print("DELETE %s: %s" % (location, e))


def run_answer(args):
    state = {"peer": None}
    got_offer = threading.Event()

    def on_offer(sdp):
        keep(args, "offer.sdp", sdp)
        m = re.search(r"a=rtpmap:(\d+) opus/48000", sdp, re.I)
        peer = Peer(args, int(m.group(1)) if m else 111)
        state["peer"] = peer
        peer.pipe.set_state(Gst.State.PLAYING)
        peer.set_remote(sdp, GstWebRTC.WebRTCSDPType.OFFER)
        answer = peer.sdp_out(peer.set_local("answer"))
        keep(args, "answer.sdp", answer)
        got_offer.set()
        return answer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def body(self):
            return self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()

        def do_POST(self):
            if self.path != "/whip" or got_offer.is_set():
                self.send_error(404 if self.path != "/whip" else 409)
                return
            data = on_offer(self.body()).encode()
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

    srv = ThreadingHTTPServer(("127.0.0.1", int(args.target)), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("webrtcbin WHIP answerer on 127.0.0.1:%s" % args.target, flush=True)
    if not got_offer.wait(30):
        sys.exit("no offer within 30 s")
    state["peer"].talk(args.seconds)
    state["peer"].finish()
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
    # webrtcbin's signals run on its own threads; a main loop serves GLib's
    # default context (bus watches, idle callbacks) meanwhile.
    loop = GLib.MainLoop()
    threading.Thread(target=loop.run, daemon=True).start()
    (run_answer if args.mode == "answer" else run_offer)(args)
    loop.quit()


if __name__ == "__main__":
    main()
