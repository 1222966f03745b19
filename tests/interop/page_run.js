// Shared by chromium_cc.js and chromium_red.js: launches headless Chromium,
// loads the engine's page, installs the run's start/sample/stop functions
// in it, starts the call, waits (up to 15 s) for the connection, samples
// getStats() once a second on the second for `seconds`, stops, and writes
// the result as JSON to `out`; exits 0 when it got that far.
//   run({ url, out, seconds, start, sample, stop, startArg, extraArgs,
//         result, onStarted(result, startReturn) })
const { chromium } = require('playwright-core');
const fs = require('fs');

async function run(o) {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
                '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
                '--autoplay-policy=no-user-gesture-required', ...(o.extraArgs || [])];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
  const result = Object.assign({ ok: false, version: browser.version(), samples: [] }, o.result);
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log('page:', m.text()));
    await page.goto(o.url);
    await page.evaluate(`window.start = ${o.start}; window.sample = ${o.sample}; window.stop = ${o.stop};`);
    o.onStarted(result, await page.evaluate((a) => window.start(a), o.startArg));
    const t0 = Date.now();
    let s;
    for (;;) {
      s = await page.evaluate(() => window.sample());
      if (s.connectionState === 'connected' || s.connectionState === 'failed' ||
          Date.now() - t0 > 15000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    result.connectSeconds = (Date.now() - t0) / 1000;
    if (s.connectionState !== 'connected') throw new Error('not connected: ' + s.connectionState);
    const t1 = Date.now();
    for (let k = 1; k <= Number(o.seconds); k++) {
      await new Promise((r) => setTimeout(r, Math.max(0, t1 + k * 1000 - Date.now())));
      result.samples.push(await page.evaluate(() => window.sample()));
    }
    await page.evaluate(() => window.stop());
    result.ok = true;
  } catch (e) {
    result.error = String(e);
  }
  await browser.close();
  fs.writeFileSync(o.out, JSON.stringify(result, null, 1));
  console.log(result.ok ? 'ok: ' + result.samples.length + ' samples' : 'failed: ' + result.error);
  process.exit(result.ok ? 0 : 1);
}

module.exports = { run };
