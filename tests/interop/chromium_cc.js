// Headless Chromium in a congestion-control run (scripts/cc-chromium.sh,
// test_chromium_cc.sh): it calls `parley call --listen --ice-lite` over WHIP
// with its own RTCPeerConnection, so the media can go through `parley relay`:
// the engine's answer candidates are rewritten to the relay's address, and
// Chromium's own candidates are never sent (an ICE-lite engine does not
// need them), so the only path either side knows is the relay. Samples
// getStats() every second and writes the series as JSON.
//   node chromium_cc.js http://127.0.0.1:PORT/ OUT.json SECONDS RELAY_IP:PORT send|recv [CAMERA.y4m]
// send: Chromium sends its fake camera at 1280x720 (+ microphone) and only
// receives audio; recv: it sends the microphone and receives the engine's
// video (its video transceiver is recvonly). CAMERA.y4m replaces the fake
// camera's picture (Chromium loops the file): its own is so easy to code
// that the encoder undershoots any target, and the run would measure that.
const { run } = require('./page_run.js');

// Runs in the page. Returns once the answer is applied; the page keeps the
// connection in window.cc.
async function start(o) {
  const media = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: o.mode === 'send' ? { width: 1280, height: 720, frameRate: 30 } : false,
  });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendrecv', streams: [media] });
  if (o.mode === 'send') {
    const t = pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly', streams: [media] });
    // Keep 720p: on a busy machine Chromium would otherwise scale down for
    // CPU, and the run would measure the encoder rather than the path.
    const p = t.sender.getParameters();
    p.degradationPreference = 'maintain-resolution';
    await t.sender.setParameters(p);
  } else {
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch('/whip', { method: 'POST', body: pc.localDescription.sdp,
                                   headers: { 'Content-Type': 'application/sdp' } });
  if (r.status !== 201) throw new Error('WHIP POST answered ' + r.status + ': ' + await r.text());
  const location = new URL(r.headers.get('Location'), r.url).href;
  const [ip, port] = [o.relay.slice(0, o.relay.lastIndexOf(':')), o.relay.slice(o.relay.lastIndexOf(':') + 1)];
  // Every UDP candidate of the engine becomes the relay's address (one is
  // enough; duplicates are dropped); anything else (TCP) goes.
  let first = true;
  let sdp = (await r.text()).split('\r\n').filter((l) => {
    if (!l.startsWith('a=candidate:')) return true;
    const f = l.split(' ');
    if (f[2].toLowerCase() !== 'udp' || !first) return false;
    first = false;
    return true;
  }).map((l) => {
    if (!l.startsWith('a=candidate:')) return l;
    const f = l.split(' ');
    f[4] = ip; f[5] = port;
    return f.join(' ');
  }).join('\r\n');
  if (first) throw new Error('the answer had no UDP candidate');
  if (o.noTwcc) // PL_CC_NO_TWCC=1: as if the engine offered no feedback (shows what the tests miss without it)
    sdp = sdp.split('\r\n').filter((l) => !/transport-cc|transport-wide-cc/.test(l)).join('\r\n');
  await pc.setRemoteDescription({ type: 'answer', sdp });
  window.cc = { pc, media, location };
  return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
}

async function sample() {
  const pc = window.cc.pc;
  const out = { t: performance.now() / 1000, connectionState: pc.connectionState };
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.out = { bytesSent: s.bytesSent, headerBytesSent: s.headerBytesSent,
        retransmittedBytesSent: s.retransmittedBytesSent, targetBitrate: s.targetBitrate,
        packetsSent: s.packetsSent, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
        framesPerSecond: s.framesPerSecond, framesEncoded: s.framesEncoded,
        qualityLimitationReason: s.qualityLimitationReason, nackCount: s.nackCount, pliCount: s.pliCount };
    }
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.audioBytesSent = s.bytesSent;
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.in = { bytesReceived: s.bytesReceived, headerBytesReceived: s.headerBytesReceived,
        packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded,
        frameWidth: s.frameWidth, frameHeight: s.frameHeight, framesPerSecond: s.framesPerSecond,
        freezeCount: s.freezeCount, totalFreezesDuration: s.totalFreezesDuration,
        nackCount: s.nackCount, pliCount: s.pliCount };
    }
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      out.pair = { availableOutgoingBitrate: s.availableOutgoingBitrate,
        currentRoundTripTime: s.currentRoundTripTime, bytesSent: s.bytesSent,
        bytesReceived: s.bytesReceived, remoteCandidateId: s.remoteCandidateId };
    }
  });
  return out;
}

async function stop() {
  await fetch(window.cc.location, { method: 'DELETE' }).catch(() => {});
  window.cc.pc.close();
  window.cc.media.getTracks().forEach((t) => t.stop());
}

const [url, out, seconds, relay, mode, camera] = process.argv.slice(2);
run({
  url, out, seconds, start, sample, stop,
  startArg: { relay, mode, noTwcc: process.env.PL_CC_NO_TWCC === '1' },
  extraArgs: camera ? ['--use-file-for-fake-video-capture=' + camera] : [],
  result: { mode, relay },
  onStarted: (result, candidates) => { result.remoteCandidates = candidates; },
});
