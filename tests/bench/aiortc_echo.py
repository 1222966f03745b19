#!/usr/bin/python3
"""An aiortc WHIP echo server: the peer column of scripts/serve-bench.sh.

  aiortc_echo.py PORT

Each POST to /whip is a new RTCPeerConnection whose answer sends back the
audio track it receives (aiortc decodes it and encodes it again, as
`parley serve --echo` does); DELETE on the session URL closes it. Debian's
python3-aiortc, no other dependency. Only what the benchmark needs: no
trickle (the engine's offer carries its host candidates), no token.
"""
import asyncio
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay


async def main(port):
    loop = asyncio.get_running_loop()
    relay = MediaRelay()
    pcs = {}

    async def answer(sdp):
        pc = RTCPeerConnection()

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                pc.addTrack(relay.subscribe(track))

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                await pc.close()

        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        sid = secrets.token_hex(16)
        pcs[sid] = pc
        return sid, pc.localDescription.sdp

    async def close(sid):
        pc = pcs.pop(sid, None)
        if pc:
            await pc.close()
        return pc is not None

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path != "/whip":
                self.send_error(404)
                return
            sid, sdp = asyncio.run_coroutine_threadsafe(answer(body), loop).result(30)
            data = sdp.encode()
            self.send_response(201)
            self.send_header("Location", "/whip/" + sid)
            self.send_header("Content-Type", "application/sdp")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PATCH(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def do_DELETE(self):
            sid = self.path.rsplit("/", 1)[-1]
            ok = asyncio.run_coroutine_threadsafe(close(sid), loop).result(10)
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("aiortc echo on 127.0.0.1:%d" % port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
