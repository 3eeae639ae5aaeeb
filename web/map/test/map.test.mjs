// Browser test of the cityatlas web map. Usage:
//   node map.test.mjs <server URL> <output folder>
// It drives Debian's Chromium (/usr/bin/chromium) headless through
// playwright-core and checks, against the server's own API: the map loads
// with no console error, every layer is rendered, the counts shown equal
// the API's, a filter changes map and counts, a drawn area shows the
// counts /count gives, a click opens the right popup, and search finds an
// asset. It saves screenshots in the output folder and exits non-zero on
// any failure, after a line "N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outdir] = process.argv.slice(2);
if (!base || !outdir) {
  console.error('usage: node map.test.mjs <server URL> <output folder>');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log('ok   ' + name);
  } else {
    failed++;
    console.log('FAIL ' + name + (detail === undefined ? '' : ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))));
  }
}

async function api(path, opts) {
  const r = await fetch(new URL(path, base + '/'), opts);
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await r.text()));
  return r.json();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  page.setDefaultTimeout(30000);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => errors.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));

  const idle = () => page.evaluate(() => new Promise((resolve) => {
    const m = window.cityatlas.map;
    m.once('idle', resolve);
    m.triggerRepaint();
  }));
  // countsFor waits until the panel's counts are those of the current view.
  const settledCounts = async () => {
    await page.waitForFunction(() => window.cityatlas.lastCountsBBox === window.cityatlas.viewBBox());
    return page.evaluate(() => [...document.querySelectorAll('#layers li')].map((li) => ({
      id: li.dataset.layer,
      text: li.querySelector('.total').textContent,
      total: Number(li.querySelector('.total').dataset.count),
      inView: Number(li.querySelector('.inview').dataset.count),
    })));
  };

  // 1. A browser at / lands on the map.
  const res = await page.goto(base + '/', { waitUntil: 'load' });
  check('GET / in a browser answers the map page', res.ok() && (await page.title()).includes('map'), await page.title());
  await page.waitForFunction(() => window.cityatlas && window.cityatlas.map);
  await page.evaluate(() => window.cityatlas.ready);
  await idle();
  const layers = await page.evaluate(() => window.cityatlas.state.layers.map((l) => ({ id: l.id, title: l.title, mapLayers: l.mapLayers, filterField: l.filterField, filterValues: l.filterValues })));
  check('the panel lists every collection', layers.length === (await api('collections')).collections.length, layers.map((l) => l.id));

  // 2. Every layer is rendered.
  for (const l of layers) {
    const n = await page.evaluate((ids) => window.cityatlas.map.queryRenderedFeatures({ layers: ids }).length, l.mapLayers);
    check('layer ' + l.id + ' is rendered', n > 0, n + ' features rendered');
  }

  // 3. The counts shown equal the API's.
  let counts = await settledCounts();
  const bbox = await page.evaluate(() => window.cityatlas.viewBBox());
  for (const c of counts) {
    const all = await api('collections/' + c.id + '/stats');
    const inView = await api('collections/' + c.id + '/stats?bbox=' + bbox);
    check('total count of ' + c.id + ' equals the API\'s', c.total === all.count && c.text.endsWith(': ' + all.count.toLocaleString('en-US')), { shown: c.text, api: all.count });
    check('count in view of ' + c.id + ' equals the API\'s', c.inView === inView.count, { shown: c.inView, api: inView.count });
  }
  await page.screenshot({ path: join(outdir, 'map.png') });

  // 4. A filter updates the map and the counts.
  const sig = layers.find((l) => l.id === 'traffic_signals') || layers.find((l) => l.filterField);
  const stats = await api('collections/' + sig.id + '/stats?groupby=' + sig.filterField);
  const value = stats.groups.filter((g) => g.count > 0).sort((a, b) => a.count - b.count)[0].value;
  await page.selectOption('#filter-' + sig.id, value);
  await page.waitForFunction(([id, v]) => document.querySelector('#layers li[data-layer="' + id + '"] .total').textContent.includes('(' + v.replace(/_/g, ' ') + ')'), [sig.id, value]);
  await idle();
  counts = await settledCounts();
  const filtered = await api('collections/' + sig.id + '/stats?' + sig.filterField + '=' + encodeURIComponent(value));
  const shown = counts.find((c) => c.id === sig.id);
  check('filtered count of ' + sig.id + ' (' + sig.filterField + '=' + value + ') equals the API\'s', shown.total === filtered.count, { shown: shown.total, api: filtered.count });
  const rendered = await page.evaluate((ids) => window.cityatlas.map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties), sig.mapLayers);
  const singles = rendered.filter((p) => !p.cluster);
  check('the map shows only ' + sig.id + ' with ' + sig.filterField + '=' + value, singles.every((p) => p[sig.filterField] === value) && rendered.length > 0,
    { rendered: rendered.length, wrong: singles.filter((p) => p[sig.filterField] !== value).length });
  check('the URL keeps the filter', (await page.evaluate(() => location.hash)).includes('filter=' + sig.id + ':'), await page.evaluate(() => location.hash));
  await page.selectOption('#filter-' + sig.id, '');
  await idle();

  // 5. A drawn rectangle shows the counts /count gives.
  const box = await page.locator('#map canvas').boundingBox();
  await page.click('#draw-rect');
  const x0 = box.x + box.width * 0.3, y0 = box.y + box.height * 0.3;
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + box.width * 0.2, y0 + box.height * 0.15, { steps: 5 });
  await page.mouse.move(x0 + box.width * 0.4, y0 + box.height * 0.4, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#area-result table');
  const area = await page.evaluate(() => window.cityatlas.state.area);
  const want = await api('count', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(area) });
  const areaShown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#area-result tbody tr')].map((tr) => [tr.dataset.layer, Number(tr.querySelector('td.n').dataset.count)])));
  check('a drawn area has some assets', want.total > 0, want.total);
  for (const c of want.collections) {
    check('area count of ' + c.id + ' equals /count', areaShown[c.id] === c.count, { shown: areaShown[c.id], api: c.count });
  }
  const point = want.collections.find((c) => c.count > 0 && c.id !== 'parks');
  if (point) {
    const link = page.locator('#area-result tr[data-layer="' + point.id + '"] a[download]');
    await link.waitFor();
    check('the GeoJSON download of ' + point.id + ' holds the counted features', Number(await link.getAttribute('data-features')) === point.count, await link.getAttribute('data-features'));
  }
  // The drawn area's counts follow a layer's attribute filter.
  const fl = layers.find((l) => l.id === 'stop_signs' && l.filterField && (want.collections.find((c) => c.id === l.id) || {}).count > 0);
  check('a layer to filter the drawn area by', !!fl, layers.map((l) => l.id));
  if (fl) {
    const st = await api('collections/' + fl.id + '/stats?groupby=' + fl.filterField);
    const fv = st.groups[0].value; // the commonest value: it narrows the count without emptying it
    const before = await page.evaluate(() => window.cityatlas.areaVersion);
    await page.selectOption('#filter-' + fl.id, fv);
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v, before);
    const q = encodeURIComponent(fl.id + '.' + fl.filterField) + '=' + encodeURIComponent(fv);
    const wantF = await api('count?' + q, { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(area) });
    const shownF = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#area-result tbody tr')].map((tr) => [tr.dataset.layer, Number(tr.querySelector('td.n').dataset.count)])));
    const c = wantF.collections.find((x) => x.id === fl.id);
    const unfiltered = want.collections.find((x) => x.id === fl.id).count;
    check('area count of ' + fl.id + ' with ' + fl.filterField + '=' + fv + ' equals /count with the filter', shownF[fl.id] === c.count && c.count > 0 && c.count < unfiltered,
      { shown: shownF[fl.id], api: c.count, unfiltered });
    await page.selectOption('#filter-' + fl.id, '');
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v + 1, before);
  }
  await idle();
  await page.screenshot({ path: join(outdir, 'map-area.png') });
  await page.click('#draw-clear');

  // 6. A click on an asset opens its popup.
  const fc = await api('collections/traffic_signals/items?limit=1&offset=3');
  const target = fc.features[0];
  await page.evaluate((c) => window.cityatlas.map.jumpTo({ center: c, zoom: 18 }), target.geometry.coordinates);
  await idle();
  const px = await page.evaluate((c) => { const p = window.cityatlas.map.project(c); return [p.x, p.y]; }, target.geometry.coordinates);
  await page.mouse.click(box.x + px[0], box.y + px[1]);
  const pop = page.locator('.maplibregl-popup');
  await pop.waitFor();
  await page.waitForFunction(() => document.querySelector('.maplibregl-popup') && document.querySelector('.maplibregl-popup').dataset.featureId);
  const popId = await pop.getAttribute('data-feature-id');
  const popText = await pop.textContent();
  check('a click opens the popup of the asset under it', popId === String(target.id) && popText.includes(target.properties.name), { popup: popId, want: target.id });
  await idle();
  await page.screenshot({ path: join(outdir, 'map-popup.png') });

  // 7. Search finds an asset by name and flies to it.
  const sfc = await api('collections/stop_signs/items?limit=1&offset=10');
  const sign = sfc.features[0];
  await page.fill('#search-input', sign.properties.name);
  await page.press('#search-input', 'Enter');
  // Several signs share an intersection's name: pick ours from the list.
  await page.waitForFunction(() => document.querySelector('.search-hits') || (document.querySelector('.maplibregl-popup') && document.querySelector('.maplibregl-popup').dataset.collection === 'stop_signs'));
  if (await page.locator('.search-hits').count()) {
    const n = await page.locator('.search-hits button').count();
    let found = false;
    for (let i = 0; i < n && !found; i++) {
      await page.locator('.search-hits button').nth(i).click();
      await page.waitForFunction(() => document.querySelector('.maplibregl-popup') && document.querySelector('.maplibregl-popup').dataset.collection === 'stop_signs');
      found = (await page.locator('.maplibregl-popup').getAttribute('data-feature-id')) === String(sign.id);
      if (!found && i + 1 < n) { await page.fill('#search-input', sign.properties.name); await page.press('#search-input', 'Enter'); await page.waitForSelector('.search-hits'); }
    }
    check('search by name finds the stop sign', found, sign.properties.name);
  } else {
    check('search by name finds the stop sign', (await page.locator('.maplibregl-popup').getAttribute('data-feature-id')) === String(sign.id), sign.properties.name);
  }
  const center = await page.evaluate(() => window.cityatlas.map.getCenter().toArray());
  check('search flies to the asset', Math.abs(center[0] - sign.geometry.coordinates[0]) < 1e-3 && Math.abs(center[1] - sign.geometry.coordinates[1]) < 1e-3, { center, want: sign.geometry.coordinates });

  // 8. The URL reproduces the view.
  const hash = await page.evaluate(() => location.hash);
  const page2 = await browser.newPage({ viewport: { width: 800, height: 600 } });
  page2.on('console', (m) => { if (m.type() === 'error') errors.push('(reload) ' + m.text()); });
  const hp = new URLSearchParams(hash.slice(1));
  hp.set('layers', 'stop_signs,parks');
  await page2.goto(base + '/#' + hp.toString().replace(/%2F/g, '/').replace(/%2C/g, ','));
  await page2.waitForFunction(() => window.cityatlas && window.cityatlas.map);
  await page2.evaluate(() => window.cityatlas.ready);
  const view2 = await page2.evaluate(() => ({ z: window.cityatlas.map.getZoom(), c: window.cityatlas.map.getCenter().toArray(), vis: window.cityatlas.state.visible }));
  check('a link reproduces the view and the layers', Math.abs(view2.c[0] - center[0]) < 1e-4 && view2.z > 15 && view2.vis.traffic_signals === false && view2.vis.stop_signs === true, view2);

  // 9. Phone-sized screen: the panel can be opened and read.
  await page2.setViewportSize({ width: 390, height: 780 });
  await page2.reload();
  await page2.waitForFunction(() => window.cityatlas && window.cityatlas.map);
  await page2.evaluate(() => window.cityatlas.ready);
  await page2.click('#panel-toggle');
  check('on a phone the layer panel opens', await page2.locator('#layers').isVisible());
  await page2.screenshot({ path: join(outdir, 'map-phone.png') });

  check('no console errors', errors.length === 0, errors);
} catch (e) {
  check('the test ran to the end', false, e.stack || String(e));
} finally {
  await browser.close();
}
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
