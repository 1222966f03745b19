// Headless Chromium calls `parley call --listen --echo-data` from the page
// the engine serves, with audio and two data channels (ordered, unordered)
// made before the offer; the page's dataTest() sends text and binary
// messages of each size, checks every echo byte for byte, and a 50-message
// burst for order. Writes the result as JSON.
//   node chromium_data.js http://127.0.0.1:PORT/ OUT.json
const { chromium } = require('playwright-core');
const fs = require('fs');

(async () => {
  const [url, out] = [process.argv[2], process.argv[3]];
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
    await page.evaluate(() => window.parley.call(undefined, { data: true }));
    const t0 = Date.now();
    result.data = await page.evaluate(
      () => window.parley.dataTest([1, 1024, 65536, 262144]));
    result.dataSeconds = (Date.now() - t0) / 1000;
    result.stats = await page.evaluate(() => window.parley.stats());
    result.log = await page.evaluate(() => document.getElementById('log').textContent);
    await page.evaluate(() => window.parley.hangup());
    result.ok = result.data.ok;
  } catch (e) {
    result.error = String(e);
    try { result.log = await browser.contexts()[0].pages()[0].evaluate(
      () => document.getElementById('log').textContent); } catch (_) {}
  }
  await browser.close();
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result, null, 1));
  process.exit(result.ok ? 0 : 1);
})();
