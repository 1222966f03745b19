// Headless Chromium as a Janus VideoRoom participant, for test_janus_room.sh.
// The page (on Janus's origin, served by Playwright itself) speaks Janus's
// HTTP long-poll API with fetch, publishes a WebAudio sine (no microphone:
// getUserMedia needs a secure origin), subscribes to every other publisher
// with one RTCPeerConnection per feed (audio, and video where a feed has
// it), records each feed's audio with MediaRecorder (Opus in WebM), and
// hands the recordings back to be written as files.
//   node janus_room.js JANUS_URL ROOM TONE_HZ OUT_DIR FEEDS SECONDS
// Waits (up to 20 s) until FEEDS feeds are connected, records SECONDS, leaves;
// writes OUT_DIR/chromium.json and OUT_DIR/chromium-feed-<id>.webm.
const { chromium } = require('playwright-core');
const fs = require('fs');

const [url, room, hz, outDir, want, seconds] = process.argv.slice(2);

// Runs in the page.
async function start(o) {
  const st = { feeds: {}, log: [], published: false, pcState: 'new' };
  window.st = st;
  const log = (m) => { st.log.push(m); console.log(m); };
  const post = async (path, body) => {
    body.transaction = Math.random().toString(36).slice(2);
    // text/plain keeps it a simple CORS request: no pre-flight.
    const r = await fetch(o.url + path, { method: 'POST', body: JSON.stringify(body),
                                         headers: { 'Content-Type': 'text/plain' } });
    const j = await r.json();
    if (j.janus === 'error') throw new Error(JSON.stringify(j.error));
    return j;
  };
  const session = (await post('', { janus: 'create' })).data.id;
  st.session = session;
  const waiters = {}; // handle -> resolve(event)
  const attach = async () => (await post('/' + session, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  const next = (h) => new Promise((res) => { waiters[h] = res; });
  const gathered = (pc) => new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && res());
    setTimeout(res, 3000);
  });
  const pubHandle = await attach();
  st.closed = false;
  const subscribe = async (feed, display) => {
    if (st.feeds[feed] || feed === st.myId) return;
    const f = st.feeds[feed] = { display, state: 'new', chunks: [] };
    const h = await attach();
    const ev = next(h);
    await post('/' + session + '/' + h, { janus: 'message', body: { request: 'join', ptype: 'subscriber',
      room: o.room, streams: [{ feed }], private_id: st.privateId } });
    const e = await ev;
    const pc = new RTCPeerConnection();
    f.pc = pc;
    pc.onconnectionstatechange = () => { f.state = pc.connectionState; };
    pc.ontrack = (t) => {
      if (t.track.kind !== 'audio') return;
      const ms = new MediaStream([t.track]);
      const a = new Audio(); a.srcObject = ms; a.muted = true; a.play().catch(() => {});
      f.rec = new MediaRecorder(ms, { mimeType: 'audio/webm;codecs=opus' });
      f.rec.ondataavailable = (d) => d.data.size && f.chunks.push(d.data);
    };
    await pc.setRemoteDescription(e.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await post('/' + session + '/' + h, { janus: 'message', body: { request: 'start' },
      jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
    log('subscribed to ' + feed + ' (' + display + ')');
  };
  const onPublishers = (list) => { for (const p of list || []) subscribe(p.id, p.display).catch((x) => log('subscribe ' + p.id + ': ' + x)); };
  // The long poll.
  (async () => {
    while (!st.closed) {
      let evs;
      try {
        evs = await (await fetch(o.url + '/' + session + '?maxev=10')).json();
      } catch (x) { if (!st.closed) log('poll: ' + x); break; }
      for (const e of Array.isArray(evs) ? evs : [evs]) {
        const d = e.plugindata && e.plugindata.data;
        if (e.janus !== 'event' || !d) continue;
        if (e.sender === pubHandle && d.publishers && d.videoroom !== 'joined') onPublishers(d.publishers);
        if (e.sender === pubHandle && (d.unpublished || d.leaving)) log('feed gone: ' + (d.unpublished || d.leaving));
        if (waiters[e.sender]) { const w = waiters[e.sender]; delete waiters[e.sender]; w(e); }
      }
    }
  })();
  // Join as a publisher of a sine.
  let ev = next(pubHandle);
  await post('/' + session + '/' + pubHandle, { janus: 'message', body: { request: 'join', ptype: 'publisher',
    room: o.room, display: o.display } });
  let e = await ev;
  st.myId = e.plugindata.data.id;
  st.privateId = e.plugindata.data.private_id;
  const already = e.plugindata.data.publishers;
  const ac = new AudioContext();
  const osc = ac.createOscillator();
  osc.frequency.value = o.hz;
  const g = ac.createGain(); g.gain.value = 0.3;
  const dst = ac.createMediaStreamDestination();
  osc.connect(g).connect(dst);
  osc.start();
  const pc = new RTCPeerConnection();
  st.pub = pc;
  pc.onconnectionstatechange = () => { st.pcState = pc.connectionState; };
  pc.addTrack(dst.stream.getAudioTracks()[0], dst.stream);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  ev = next(pubHandle);
  await post('/' + session + '/' + pubHandle, { janus: 'message', body: { request: 'configure', audio: true, video: false },
    jsep: { type: 'offer', sdp: pc.localDescription.sdp } });
  e = await ev;
  await pc.setRemoteDescription(e.jsep);
  st.published = true;
  log('published ' + o.display);
  onPublishers(already);
  return true;
}

(async () => {
  const result = { ok: false, feeds: {} };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
           '--autoplay-policy=no-user-gesture-required',
           '--disable-features=WebRtcHideLocalIpsWithMdns,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks'],
  });
  result.version = browser.version();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log('page:', m.text()));
    // The page gets Janus's own origin (served here, never asked of Janus):
    // fetches to the API are then same-origin, which neither CORS nor
    // Chromium's Private Network Access checks stand in the way of.
    const pageUrl = url.replace(/\/janus$/, '') + '/parley-room-test.html';
    await page.route(pageUrl, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>room</title>' }));
    await page.goto(pageUrl);
    await page.evaluate(`window.start = ${start};`);
    await page.evaluate((o) => window.start(o),
      { url, room: Number(room), hz: Number(hz), display: 'chromium-' + hz });
    const t0 = Date.now();
    let s;
    for (;;) {
      s = await page.evaluate(() => ({ pcState: window.st.pcState,
        feeds: Object.fromEntries(Object.entries(window.st.feeds).map(([k, f]) => [k, f.state])) }));
      const up = Object.values(s.feeds).filter((x) => x === 'connected').length;
      if ((up >= Number(want) && s.pcState === 'connected') || Date.now() - t0 > 20000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    result.connectSeconds = (Date.now() - t0) / 1000;
    result.atConnect = s;
    await page.evaluate(() => { for (const f of Object.values(window.st.feeds)) if (f.rec) f.rec.start(250); });
    await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
    const feeds = await page.evaluate(async () => {
      const out = {};
      for (const [id, f] of Object.entries(window.st.feeds)) {
        if (f.rec && f.rec.state === 'recording') {
          await new Promise((r) => { f.rec.onstop = r; f.rec.stop(); });
        }
        const stats = {};
        if (f.pc) (await f.pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'audio')
            Object.assign(stats, { packetsReceived: r.packetsReceived, packetsLost: r.packetsLost,
                                   concealedSamples: r.concealedSamples, totalSamplesReceived: r.totalSamplesReceived });
          if (r.type === 'inbound-rtp' && r.kind === 'video')
            Object.assign(stats, { framesDecoded: r.framesDecoded, frameWidth: r.frameWidth,
                                   frameHeight: r.frameHeight });
        });
        const buf = new Uint8Array(await new Blob(f.chunks).arrayBuffer());
        let bin = '';
        for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
        out[id] = { display: f.display, state: f.state, stats, webm: btoa(bin) };
      }
      window.st.closed = true;
      return out;
    });
    await page.evaluate(async (u) => {
      await fetch(u + '/' + window.st.session, { method: 'POST', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ janus: 'destroy', transaction: 'bye' }) }).catch(() => {});
    }, url);
    for (const [id, f] of Object.entries(feeds)) {
      fs.writeFileSync(`${outDir}/chromium-feed-${id}.webm`, Buffer.from(f.webm, 'base64'));
      result.feeds[id] = { display: f.display, state: f.state, stats: f.stats, file: `chromium-feed-${id}.webm` };
    }
    result.log = await page.evaluate(() => window.st.log);
    result.ok = true;
  } catch (e) {
    result.error = String(e);
  }
  await browser.close();
  fs.writeFileSync(`${outDir}/chromium.json`, JSON.stringify(result, null, 1));
  console.log(result.ok ? 'ok: ' + Object.keys(result.feeds).length + ' feeds' : 'failed: ' + result.error);
  process.exit(result.ok ? 0 : 1);
})();
