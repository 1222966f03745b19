// Headless Chromium calls `parley call --listen` over loopback: the page the
// engine serves (GET /) sends Chromium's fake microphone over WHIP, plays
// what the engine sends, and reports getStats(). Writes the browser's view
// as JSON for test_chromium.sh to check together with the engine's.
//   node chromium_call.js http://127.0.0.1:PORT/ OUT.json SECONDS [video [VP8|VP9]]
// With "video" the page sends Chromium's fake camera too.
const { chromium } = require('playwright-core');
const fs = require('fs');

(async () => {
  const [url, out, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4] || 6)];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
           '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
           '--autoplay-policy=no-user-gesture-required'],
  });
  const result = { ok: false };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log('page:', m.text()));
    await page.goto(url);
    const opts = { video: process.argv[5] === 'video', codec: process.argv[6] };
    await page.evaluate((o) => window.parley.call(undefined, o), opts);
    const t0 = Date.now();
    let s;
    for (;;) {
      s = await page.evaluate(() => window.parley.stats());
      if (s.connectionState === 'connected' || s.connectionState === 'failed' ||
          Date.now() - t0 > 15000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    result.connectSeconds = (Date.now() - t0) / 1000;
    result.connectionStateAtConnect = s.connectionState;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    result.stats = await page.evaluate(() => window.parley.stats());
    result.log = await page.evaluate(() => document.getElementById('log').textContent);
    await page.evaluate(() => window.parley.hangup());
    result.ok = true;
  } catch (e) {
    result.error = String(e);
  }
  await browser.close();
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result, null, 1));
})();
