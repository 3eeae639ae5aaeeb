// What the browser tests share: Debian's Chromium launched headless through
// playwright-core (which downloads no browser), and a JSON client of the
// server under test.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
  });
}

// apiClient returns api(path, fetch options): the JSON of base/path, or
// an error naming the status and the body.
export function apiClient(base) {
  return async (path, opts) => {
    const r = await fetch(new URL(path, base + '/'), opts);
    if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await r.text()));
    return r.json();
  };
}

// checks returns check(name, ok, detail), which prints "ok" or "FAIL" with
// the seconds since the start, and end(), which prints "N passed, N
// failed" and exits non-zero after any failure.
export function checks() {
  const t0 = Date.now();
  let passed = 0;
  let failed = 0;
  const check = (name, ok, detail) => {
    if (ok) {
      passed++;
      console.log('ok   ' + name + ' (' + ((Date.now() - t0) / 1000).toFixed(0) + ' s)');
    } else {
      failed++;
      console.log('FAIL ' + name + (detail === undefined ? '' : ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))));
    }
  };
  const end = () => {
    console.log(passed + ' passed, ' + failed + ' failed');
    process.exit(failed ? 1 : 0);
  };
  return { check, end };
}

// testArgs returns a test script's arguments (the server URL and the
// screenshots' folder first, then any others), with the folder made; it
// exits with usage when the first two are missing.
export function testArgs(usage) {
  const args = process.argv.slice(2);
  if (!args[0] || !args[1]) {
    console.error('usage: ' + usage);
    process.exit(2);
  }
  mkdirSync(args[1], { recursive: true });
  return args;
}
