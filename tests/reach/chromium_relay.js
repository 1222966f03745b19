// Headless Chromium calls `parley call --listen` from the page the engine
// serves, with an RTCConfiguration given as JSON (iceServers, and
// iceTransportPolicy 'relay' for the relay-only case), and reports the
// page's getStats() view, selected candidate types included.
//   node chromium_relay.js http://127.0.0.1:PORT/ OUT.json SECONDS RTC_JSON
const { chromium } = require('playwright-core');
const fs = require('fs');

(async () => {
  const [url, out, seconds, rtc] = [process.argv[2], process.argv[3], Number(process.argv[4]),
                                    JSON.parse(process.argv[5])];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
           '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
           '--autoplay-policy=no-user-gesture-required',
           // A page on a non-loopback http origin (the NAT test's public
           // address) is no secure context: no getUserMedia without this.
           '--unsafely-treat-insecure-origin-as-secure=' + new URL(url).origin],
  });
  const result = { ok: false };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log('page:', m.text()));
    await page.goto(url);
    await page.evaluate((o) => window.parley.call(undefined, o), { rtc });
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
    await page.evaluate(() => window.parley.hangup());
    result.ok = true;
  } catch (e) {
    result.error = String(e);
  }
  await browser.close();
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result, null, 1));
})();
