// Browser test of the cityatlas web map. Usage:
//   node map.test.mjs <city URL> <output folder> [<empty store URL> <San Francisco URL>]
// It drives Debian's Chromium (/usr/bin/chromium) headless through
// playwright-core and checks, against the server's own API: the map loads
// with no console error, every layer is rendered, the counts shown equal
// the API's, a filter changes map and counts, a drawn area shows the
// counts /count gives, a click opens the right popup, and search finds an
// asset. It saves screenshots in the output folder and exits non-zero on
// any failure, after a line "N passed, N failed".
import { launchChromium, apiClient, checks, testArgs } from './lib.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, outdir, emptyBase, sfBase] = testArgs('node map.test.mjs <server URL> <output folder> [<empty store URL> <San Francisco URL>]');

const { check, end } = checks();

const api = apiClient(base);

const browser = await launchChromium();
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  page.setDefaultTimeout(30000);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => errors.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  const glyphs = [];
  page.on('response', (r) => { if (r.url().includes('/map/fonts/')) glyphs.push({ url: r.url(), status: r.status() }); });

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
  const layers = await page.evaluate(() => window.cityatlas.state.layers.map((l) => ({ id: l.id, title: l.title, mapLayers: l.mapLayers, fields: l.fields })));
  const colls = (await api('collections')).collections;
  check('the panel lists every asset layer, not the base layers', layers.length === colls.filter((c) => !c.role).length && !layers.some((l) => l.id === 'streets'), layers.map((l) => l.id));
  const view0 = await page.evaluate(() => window.cityatlas.map.getBounds().toArray());
  const limits = colls.find((c) => c.role === 'boundary');
  const lb = limits.extent.spatial.bbox[0];
  check('the first view fits the city limits, not the US', view0[0][0] <= lb[0] && view0[1][0] >= lb[2] && view0[1][0] - view0[0][0] < (lb[2] - lb[0]) * 3, { view: view0, limits: lb });
  const boundaryDrawn = await page.evaluate((id) => window.cityatlas.map.queryRenderedFeatures({ layers: ['boundary-' + id + '-line'] }).length, limits.id);
  check('the city limits are drawn from the ' + limits.id + ' collection', boundaryDrawn > 0, boundaryDrawn);

  // 2. Every layer in view is rendered.
  for (const l of layers) {
    if (l.id === 'landmarks') continue; // in Chicago
    const n = await page.evaluate((ids) => window.cityatlas.map.queryRenderedFeatures({ layers: ids }).length, l.mapLayers);
    check('layer ' + l.id + ' is rendered', n > 0, n + ' features rendered');
  }
  // Clusters show their count in text.
  const clusterText = await page.evaluate(() => window.cityatlas.map.queryRenderedFeatures({ layers: ['L-stop_signs-count'] }).map((f) => [f.properties.point_count, f.layer.layout && f.layer.layout['text-field']]));
  check('cluster circles carry their number (a text layer of point_count is rendered)', clusterText.length > 0 && clusterText.every((c) => Number(c[0]) > 1), clusterText.slice(0, 3));

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

  // 4. A filter updates the map and the counts: a drop-down, then a range
  // on the install year.
  const sig = layers.find((l) => l.id === 'traffic_signals');
  await page.click('li[data-layer="traffic_signals"] .filter-toggle');
  await page.waitForSelector('#f-traffic_signals-status');
  const stats = await api('collections/traffic_signals/stats?groupby=status');
  const value = stats.groups.filter((g) => g.count > 0).sort((a, b) => a.count - b.count)[0].value;
  await page.selectOption('#f-traffic_signals-status', value);
  await page.waitForFunction((v) => location.hash.includes('f.traffic_signals.status=' + v), value);
  await idle();
  counts = await settledCounts();
  const filtered = await api('collections/traffic_signals/stats?status=' + encodeURIComponent(value));
  let shown = counts.find((c) => c.id === 'traffic_signals');
  check('filtered count of traffic_signals (status=' + value + ') equals the API\'s', shown.total === filtered.count, { shown: shown.total, api: filtered.count });
  const rendered = await page.evaluate((ids) => window.cityatlas.map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties), sig.mapLayers);
  const singles = rendered.filter((p) => !p.cluster);
  check('the map shows only traffic_signals with status=' + value, singles.every((p) => p.status === value) && rendered.length > 0,
    { rendered: rendered.length, wrong: singles.filter((p) => p.status !== value).length });
  await page.selectOption('#f-traffic_signals-status', '');
  await page.waitForFunction(() => !location.hash.includes('f.traffic_signals.status'));
  await page.click('li[data-layer="stop_signs"] .filter-toggle');
  await page.waitForSelector('#f-stop_signs-installed-min');
  const before = (await settledCounts()).find((c) => c.id === 'stop_signs').total;
  const v0 = await page.evaluate(() => window.cityatlas.countsVersion);
  await page.fill('#f-stop_signs-installed-min', '2000');
  await page.fill('#f-stop_signs-installed-max', '2010');
  await page.press('#f-stop_signs-installed-max', 'Tab');
  await page.waitForFunction((v) => window.cityatlas.countsVersion > v && location.hash.includes('f.stop_signs.installed=2000..2010'), v0);
  counts = await settledCounts();
  shown = counts.find((c) => c.id === 'stop_signs');
  const ranged = await api('collections/stop_signs/stats?datetime=2000-01-01/2010-12-31');
  check('a range filter on the install year (2000–2010) changes the stop sign count to the API\'s', shown.total === ranged.count && ranged.count < before && ranged.count > 0, { shown: shown.total, api: ranged.count, before });
  const cql = await page.textContent('#filters-stop_signs .cql2');
  check('the filter panel writes the range as CQL2', cql.includes("installed >= DATE('2000-01-01') AND installed <= DATE('2010-12-31')"), cql);
  // A range on a number, with the year range: several filters on one layer, sent as CQL2.
  const cqlOn = await page.evaluate(() => window.cityatlas.state.caps.cql2);
  check('the server takes CQL2 filters, and the map uses them', cqlOn);
  const v1 = await page.evaluate(() => window.cityatlas.countsVersion);
  await page.fill('#f-stop_signs-sign_size_in-min', '36');
  await page.press('#f-stop_signs-sign_size_in-min', 'Tab');
  await page.waitForFunction((v) => window.cityatlas.countsVersion > v && location.hash.includes('f.stop_signs.sign_size_in=36..'), v1);
  counts = await settledCounts();
  shown = counts.find((c) => c.id === 'stop_signs');
  const both = await api('collections/stop_signs/stats?filter=' + encodeURIComponent("installed >= DATE('2000-01-01') AND installed <= DATE('2010-12-31') AND sign_size_in >= 36"));
  check('a number range and the year range together give the API\'s count', shown.total === both.count && both.count < ranged.count, { shown: shown.total, api: both.count, yearsOnly: ranged.count });
  await page.fill('#f-stop_signs-sign_size_in-min', '');
  await page.press('#f-stop_signs-sign_size_in-min', 'Tab');
  await page.screenshot({ path: join(outdir, 'map-filters.png') });
  await page.fill('#f-stop_signs-installed-min', '');
  await page.fill('#f-stop_signs-installed-max', '');
  await page.press('#f-stop_signs-installed-max', 'Tab');
  await page.waitForFunction(() => !location.hash.includes('f.stop_signs'));
  await page.click('li[data-layer="stop_signs"] .filter-toggle');
  await page.click('li[data-layer="traffic_signals"] .filter-toggle');

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
  const want = await api('count?collections=' + layers.map((l) => l.id).join(','), { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(area) });
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
  {
    const st = await api('collections/stop_signs/stats?groupby=condition');
    const fv = st.groups[0].value; // the commonest value: it narrows the count without emptying it
    const before = await page.evaluate(() => window.cityatlas.areaVersion);
    await page.click('li[data-layer="stop_signs"] .filter-toggle');
    await page.waitForSelector('#f-stop_signs-condition');
    await page.selectOption('#f-stop_signs-condition', fv);
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v, before);
    const wantF = await api('count?collections=' + want.collections.map((c) => c.id).join(',') + '&stop_signs.condition=' + encodeURIComponent(fv), { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(area) });
    const shownF = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#area-result tbody tr')].map((tr) => [tr.dataset.layer, Number(tr.querySelector('td.n').dataset.count)])));
    const c = wantF.collections.find((x) => x.id === 'stop_signs');
    const unfiltered = want.collections.find((x) => x.id === 'stop_signs').count;
    check('area count of stop_signs with condition=' + fv + ' equals /count with the filter', shownF.stop_signs === c.count && c.count > 0 && c.count < unfiltered,
      { shown: shownF.stop_signs, api: c.count, unfiltered });
    await page.selectOption('#f-stop_signs-condition', '');
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v + 1, before);
    await page.click('li[data-layer="stop_signs"] .filter-toggle');
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

  // Street names at street zoom: text rendered, glyphs from the service.
  const names = await page.evaluate(() => window.cityatlas.map.queryRenderedFeatures({ layers: ['B-streets-linelabel'] }).map((f) => f.properties.name));
  check('street names are drawn along the streets at zoom 18', names.length > 0 && names.includes(target.properties.street), { names: [...new Set(names)], want: target.properties.street });
  check('glyph requests are answered by the service', glyphs.length > 0 && glyphs.every((g) => g.status === 200 && g.url.startsWith(base)), glyphs);
  await page.evaluate(() => { document.querySelector('.maplibregl-popup-close-button').click(); });
  await page.evaluate(() => window.cityatlas.map.jumpTo({ zoom: 16.5 }));
  await idle();
  await page.screenshot({ path: join(outdir, 'map-streets.png') });

  // A click on a cluster zooms in.
  await page.evaluate(() => window.cityatlas.map.jumpTo({ zoom: 12.5 }));
  await idle();
  const cl = await page.evaluate(() => { const f = window.cityatlas.map.queryRenderedFeatures({ layers: ['L-stop_signs-cluster'] })[0]; const p = window.cityatlas.map.project(f.geometry.coordinates); return { x: p.x, y: p.y, z: window.cityatlas.map.getZoom() }; });
  await page.screenshot({ path: join(outdir, 'map-clusters.png') });
  await page.mouse.click(box.x + cl.x, box.y + cl.y);
  await page.waitForFunction((z) => window.cityatlas.map.getZoom() > z + 1 && !window.cityatlas.map.isMoving(), cl.z);
  check('a click on a cluster zooms in', true);

  // 7. Search: the server's /search, one result per place.
  const searchFor = async (q) => {
    const v = await page.evaluate(() => window.cityatlas.lastSearch);
    await page.fill('#search-input', q);
    await page.press('#search-input', 'Enter');
    await page.waitForFunction((old) => window.cityatlas.lastSearch !== old && document.querySelector('.search-hits'), v);
    return page.evaluate(() => window.cityatlas.lastSearch.results);
  };
  let hits = await searchFor('Imperial Ave & Barioni Blvd');
  check('"Imperial Ave & Barioni Blvd" finds the intersection first', hits[0] && hits[0].kind === 'intersection', hits.slice(0, 3));
  const places = hits.map((h) => h.collection + '|' + h.title + '|' + h.point.map((x) => x.toFixed(4)).join(','));
  check('search results are one per place', new Set(places).size === places.length, places);
  await page.screenshot({ path: join(outdir, 'map-search.png') });
  await page.locator('.search-hits button').first().click();
  let center = await page.evaluate(() => window.cityatlas.map.getCenter().toArray());
  check('choosing the intersection goes there', Math.abs(center[0] - hits[0].point[0]) < 1e-4 && Math.abs(center[1] - hits[0].point[1]) < 1e-4, { center, want: hits[0].point });
  hits = await searchFor('traffic light');
  check('"traffic light" finds the traffic signals layer', hits.some((h) => h.kind === 'layer' && h.collection === 'traffic_signals'), hits.slice(0, 3));
  hits = await searchFor('Wrigley');
  check('"Wrigley" finds the imported Chicago landmark', hits.length > 0 && hits[0].collection === 'landmarks' && /wrigley/i.test(hits[0].title), hits.slice(0, 3));
  const sign = (await api('collections/stop_signs/items?limit=1&offset=10')).features[0];
  hits = await searchFor(sign.properties.name);
  const grp = hits.find((h) => h.collection === 'stop_signs' && (h.ids || [h.id]).includes(sign.id));
  check('search by name finds the stop sign, grouped with its intersection and told apart', !!grp && grp.description.length > 0, hits.slice(0, 3));
  await page.keyboard.press('Escape');

  // Clicking a park offers "count assets inside", equal to /count.
  const park = (await api('collections/parks/items?limit=1&offset=2')).features[0];
  await page.evaluate((b) => window.cityatlas.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 120, duration: 0 }), (() => { const cs = park.geometry.coordinates.flat(2); return [Math.min(...cs.map((c) => c[0])), Math.min(...cs.map((c) => c[1])), Math.max(...cs.map((c) => c[0])), Math.max(...cs.map((c) => c[1]))]; })());
  await idle();
  const inside = await page.evaluate((id) => {
    const m = window.cityatlas.map;
    const fs = m.queryRenderedFeatures({ layers: ['L-parks-fill'] }).filter((f) => f.id === id);
    if (!fs.length) return null;
    // a point of the park with no point symbol on it, from a grid over its box
    const cs = fs[0].geometry.type === 'Polygon' ? fs[0].geometry.coordinates[0] : fs[0].geometry.coordinates[0][0];
    const xs = cs.map((c) => c[0]), ys = cs.map((c) => c[1]);
    for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
      const ll = [Math.min(...xs) + ((Math.max(...xs) - Math.min(...xs)) * i) / 10, Math.min(...ys) + ((Math.max(...ys) - Math.min(...ys)) * j) / 10];
      const p = m.project(ll);
      const hs = m.queryRenderedFeatures([p.x, p.y]);
      if (hs.length && hs.some((h) => h.layer.id === 'L-parks-fill' && h.id === id) && !hs.some((h) => h.geometry.type === 'Point' || h.layer.id.startsWith('L-') && h.layer.id !== 'L-parks-fill' && h.layer.id !== 'L-parks-outline')) return [p.x, p.y];
    }
    return null;
  }, park.id);
  check('the park is on screen', !!inside, park.id);
  if (inside) {
    await page.mouse.click(box.x + inside[0], box.y + inside[1]);
    await page.waitForSelector('.maplibregl-popup .count-inside');
    const av = await page.evaluate(() => window.cityatlas.areaVersion);
    await page.click('.maplibregl-popup .count-inside');
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v, av);
    const wantPark = await api('count?collections=' + layers.map((l) => l.id).join(','), { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(park.geometry) });
    const shownPark = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#area-result tbody tr')].map((tr) => [tr.dataset.layer, Number(tr.querySelector('td.n').dataset.count)])));
    check('a click on a park counts what is inside it, as /count does', wantPark.collections.every((c) => shownPark[c.id] === c.count) && wantPark.total > 0, { shown: shownPark, api: wantPark.collections.map((c) => [c.id, c.count]) });
    const label = await page.textContent('#area-result .area-label');
    check('the count names the park', label.includes(park.properties.name), label);
    await page.selectOption('#groupby', 'condition');
    await page.waitForFunction(() => document.querySelector('#area-result .groups'));
    check('the park count can be grouped', (await page.textContent('#area-result')).includes('by condition'));
    await page.locator('#area-result').scrollIntoViewIfNeeded();
    await idle();
    await page.screenshot({ path: join(outdir, 'map-park-count.png') });
    await page.selectOption('#groupby', '');
  }

  // The circle tool counts with /count's radius.
  {
    const av = await page.evaluate(() => window.cityatlas.areaVersion);
    await page.click('#draw-circle');
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 80, cy, { steps: 4 });
    await page.mouse.move(cx + 160, cy, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction((v) => window.cityatlas.areaVersion > v, av);
    // The park's regrouping above may be what moved areaVersion: wait for
    // the circle's own result.
    await page.waitForFunction(() => /circle of/.test(document.querySelector('#area-result .area-label')?.textContent || ''));
    const lab = await page.textContent('#area-result .area-label');
    const m = lab.match(/circle of ([\d,]+) m/);
    const ctr = await page.evaluate(([x, y]) => window.cityatlas.map.unproject([x, y]).toArray(), [box.width / 2, box.height / 2]);
    const wantC = m && await api('count?collections=' + layers.map((l) => l.id).join(',') + '&lon=' + ctr[0].toFixed(7) + '&lat=' + ctr[1].toFixed(7) + '&radius=' + m[1].replace(/,/g, ''));
    const shownC = await page.evaluate(() => Number(document.querySelector('#area-result tfoot td.total').dataset.count));
    check('the circle tool shows /count for its centre and radius', !!m && wantC.total === shownC, { label: lab, shown: shownC, api: wantC && wantC.total });
    await page.locator('#area-result').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(outdir, 'map-circle.png') });
    await page.click('#draw-clear');
  }

  // Share copies the URL; print makes a one-page PDF.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await page.click('#share');
  await page.waitForSelector('#share-box:not([hidden])');
  const shared = await page.inputValue('#share-link');
  const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  check('share copies the URL that holds the view', shared === (await page.evaluate(() => location.href)) && shared.includes('#map=') && clip === shared, { shared, clip });
  await page.click('#share-close');
  await page.evaluate(() => window.cityatlas.preparePrint());
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(outdir, 'map-print.png') });
  const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true, preferCSSPageSize: true });
  writeFileSync(join(outdir, 'map-print.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  check('print to PDF gives one page', pages === 1, pages + ' pages');
  await page.emulateMedia({ media: 'screen' });
  center = await page.evaluate(() => window.cityatlas.map.getCenter().toArray());

  // 8. The URL reproduces the view, on a phone-sized screen, where the
  // panel can be opened and read.
  const hash = await page.evaluate(() => location.hash);
  const page2 = await browser.newPage({ viewport: { width: 390, height: 780 } });
  page2.on('console', (m) => { if (m.type() === 'error') errors.push('(reload) ' + m.text()); });
  const hp = new URLSearchParams(hash.slice(1));
  hp.set('layers', 'stop_signs,parks');
  await page2.goto(base + '/#' + hp.toString().replace(/%2F/g, '/').replace(/%2C/g, ','));
  await page2.waitForFunction(() => window.cityatlas && window.cityatlas.map);
  await page2.evaluate(() => window.cityatlas.ready);
  const view2 = await page2.evaluate(() => ({ z: window.cityatlas.map.getZoom(), c: window.cityatlas.map.getCenter().toArray(), vis: window.cityatlas.state.visible }));
  check('a link reproduces the view and the layers', Math.abs(view2.c[0] - center[0]) < 1e-4 && view2.z > 12 && view2.vis.traffic_signals === false && view2.vis.stop_signs === true, view2);
  await page2.click('#panel-toggle');
  check('on a phone the layer panel opens', await page2.locator('#layers').isVisible());
  await page2.screenshot({ path: join(outdir, 'map-phone.png') });
  await page2.close();

  // An empty store draws no boundary; the OSM San Francisco points open on
  // San Francisco.
  if (emptyBase) {
    const p3 = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    p3.on('console', (m) => { if (m.type() === 'error') errors.push('(empty) ' + m.text()); });
    await p3.goto(emptyBase + '/');
    await p3.waitForFunction(() => window.cityatlas && window.cityatlas.map);
    await p3.evaluate(() => window.cityatlas.ready);
    const e = await p3.evaluate(() => ({ layers: window.cityatlas.map.getStyle().layers.map((l) => l.id), title: document.querySelector('h1').textContent }));
    check('an empty store draws no boundary', !e.layers.some((id) => id.startsWith('boundary-')) && e.title === 'Empty atlas', e);
    await p3.screenshot({ path: join(outdir, 'map-empty.png') });
    await p3.close();
  }
  if (sfBase) {
    const p4 = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    p4.on('console', (m) => { if (m.type() === 'error') errors.push('(sf) ' + m.text()); });
    await p4.goto(sfBase + '/');
    await p4.waitForFunction(() => window.cityatlas && window.cityatlas.map);
    await p4.evaluate(() => window.cityatlas.ready);
    await p4.evaluate(() => new Promise((r) => { window.cityatlas.map.once('idle', r); window.cityatlas.map.triggerRepaint(); }));
    const v = await p4.evaluate(() => ({ c: window.cityatlas.map.getCenter().toArray(), b: window.cityatlas.map.getBounds().toArray(), boundary: window.cityatlas.map.getStyle().layers.filter((l) => l.id.startsWith('boundary-')).length }));
    const inBay = v.c[0] > -123 && v.c[0] < -121.5 && v.c[1] > 37 && v.c[1] < 38.5 && v.b[1][0] - v.b[0][0] < 3;
    check('the OSM San Francisco points open on San Francisco, with no boundary', inBay && v.boundary === 0, v);
    await p4.screenshot({ path: join(outdir, 'map-sf.png') });
    await p4.close();
  }

  check('no console errors', errors.length === 0, errors);
} catch (e) {
  check('the test ran to the end', false, e.stack || String(e));
} finally {
  await browser.close();
}
end();
