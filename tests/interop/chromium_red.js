// Headless Chromium and RED (RFC 2198, test_chromium_red.sh): it offers
// audio over WHIP to `parley call --listen --ice-lite --red 1`, with the
// engine's answer candidates rewritten to `parley relay` (a lossy path), and
// samples getStats() once a second: the audio it sends (and with which
// codec), what it receives, its fecPacketsReceived / fecPacketsDiscarded.
//   node chromium_red.js http://127.0.0.1:PORT/ OUT.json SECONDS RELAY_IP:PORT
const { run } = require('./page_run.js');

async function start(o) {
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  // Played out, so that the receiver pulls audio (and decodes the copies).
  pc.ontrack = (e) => {
    const a = new Audio();
    a.srcObject = e.streams[0] || new MediaStream([e.track]);
    a.play().catch(() => {});
    window.redAudio = a;
  };
  pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendrecv', streams: [media] });
  await pc.setLocalDescription(await pc.createOffer());
  const offer = pc.localDescription.sdp;
  const r = await fetch('/whip', { method: 'POST', body: offer,
                                   headers: { 'Content-Type': 'application/sdp' } });
  if (r.status !== 201) throw new Error('WHIP POST answered ' + r.status + ': ' + await r.text());
  const location = new URL(r.headers.get('Location'), r.url).href;
  const i = o.relay.lastIndexOf(':');
  const [ip, port] = [o.relay.slice(0, i), o.relay.slice(i + 1)];
  const answer = await r.text();
  let first = true;
  const sdp = answer.split('\r\n').filter((l) => {
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
  await pc.setRemoteDescription({ type: 'answer', sdp });
  window.red = { pc, media, location };
  return { offer, answer };
}

async function sample() {
  const pc = window.red.pc;
  const stats = await pc.getStats();
  const out = { t: performance.now() / 1000, connectionState: pc.connectionState };
  const mime = (id) => (id && stats.get(id) ? stats.get(id).mimeType : null);
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'audio')
      out.out = { packetsSent: s.packetsSent, bytesSent: s.bytesSent, codec: mime(s.codecId) };
    if (s.type === 'inbound-rtp' && s.kind === 'audio')
      out.in = { packetsReceived: s.packetsReceived, packetsLost: s.packetsLost,
        bytesReceived: s.bytesReceived, fecPacketsReceived: s.fecPacketsReceived,
        fecPacketsDiscarded: s.fecPacketsDiscarded, concealedSamples: s.concealedSamples,
        totalSamplesReceived: s.totalSamplesReceived, codec: mime(s.codecId) };
  });
  return out;
}

async function stop() {
  await fetch(window.red.location, { method: 'DELETE' }).catch(() => {});
  window.red.pc.close();
  window.red.media.getTracks().forEach((t) => t.stop());
}

const [url, out, seconds, relay] = process.argv.slice(2);
run({
  url, out, seconds, start, sample, stop,
  startArg: { relay },
  result: { relay },
  onStarted: (result, started) => Object.assign(result, started),
});
