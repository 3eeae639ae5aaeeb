// Browser test of the API's HTML pages for people: the dataset page (a
// collection's page), the items page and the feature page. Usage:
//   node pages.test.mjs <city URL> <output folder>
// It drives Debian's Chromium headless through playwright-core and checks,
// against the server's own API: each page loads with no console error or
// blocked script (the pages' Content-Security-Policy allows no inline
// script), its small map draws the layer (rendered features), the dataset
// page shows the count, licence and last update, a download button for
// every format the collection document links (and a download through one
// of them holds the whole layer), the API links, an attribute table whose
// column links sort it as /items?sortby= does and whose pager pages it,
// and the field list with types; the items page maps the page's features;
// the feature page maps the feature and lists its attributes. Screenshots
// go to the output folder; it exits non-zero on any failure, after a line
// "N passed, N failed".
import { launchChromium, apiClient, checks, testArgs } from './lib.mjs';
import { join } from 'node:path';

const [base, outdir] = testArgs('node pages.test.mjs <server URL> <output folder>');

const { check, end } = checks();

const api = apiClient(base);

const browser = await launchChromium();
const errors = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });

  // mapReady waits for the small map to have drawn and returns how many
  // features of the layer it renders.
  const mapReady = async () => {
    await page.waitForFunction(() => document.getElementById('minimap')?.dataset.ready, null, { timeout: 30000 });
    return page.evaluate(() => {
      const m = window.caMiniMap;
      if (!m || document.getElementById('minimap').dataset.ready !== 'true') return -1;
      const layers = ['d-fill', 'd-line', 'd-cluster', 'd-point'].filter((l) => m.getLayer(l));
      return m.queryRenderedFeatures({ layers }).length;
    });
  };
  const noErrors = (name) => {
    check(name + ': no console errors', errors.length === 0, errors.slice());
    errors.length = 0;
  };

  const colls = (await api('collections')).collections.filter((c) => !c.role);
  const coll = colls.find((c) => c.id === 'stop_signs') || colls[0];
  const doc = await api('collections/' + coll.id);

  // --- the dataset page.
  await page.goto(base + '/collections/' + coll.id + '?f=html');
  const drawn = await mapReady();
  check('dataset page: the small map draws the layer', drawn > 0, drawn);
  const text = await page.textContent('article.dataset');
  check('dataset page: title and count', text.includes(doc.title) && text.includes(String(doc.numberOfFeatures)), doc.title);
  if (doc.license) check('dataset page: licence', text.includes(doc.license), doc.license);
  check('dataset page: last updated', (await page.locator('dl.metadata time').count()) === 1);
  const enclosures = doc.links.filter((l) => l.rel === 'enclosure').map((l) => l.href);
  const buttons = await page.$$eval('ul.downloads a.button', (as) => as.map((a) => a.href));
  check('dataset page: a download button for every enclosure link', enclosures.length >= 8 && enclosures.every((h) => buttons.includes(h)), { enclosures, buttons });
  const apiLinks = await page.$$eval('ul.api-links a', (as) => as.map((a) => a.href));
  check('dataset page: API links (items, queryables, tiles)', ['/items', '/queryables', '/tiles/WebMercatorQuad'].every((p) => apiLinks.some((h) => h.endsWith(coll.id + p))), apiLinks);
  const fieldRows = await page.$$eval('table.fields tbody tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
  const q = await api('collections/' + coll.id + '/queryables');
  const qNames = Object.keys(q.properties).filter((k) => k !== 'geometry');
  check('dataset page: every field with its type', qNames.every((n) => fieldRows.some(([name, type]) => name === n && type)), { qNames, fieldRows });
  await page.screenshot({ path: join(outdir, 'dataset-page.png'), fullPage: true });
  await page.screenshot({ path: join(outdir, 'dataset-page-top.png') });
  noErrors('dataset page');

  // The attribute table: sorting by a column equals the API's sortby.
  const col = (await page.$$eval('table.attributes thead th a', (as) => as.map((a) => a.textContent)))[0];
  const field = doc.links && (await page.$$eval('table.attributes thead th a', (as) => as.map((a) => new URL(a.href).searchParams.get('sortby'))))[0];
  await page.click('table.attributes thead th a >> nth=0');
  await page.waitForLoadState('load');
  const ids1 = await page.$$eval('table.attributes tbody tr td:first-child', (tds) => tds.map((t) => Number(t.textContent)));
  const want1 = (await api('collections/' + coll.id + '/items?limit=10&sortby=' + encodeURIComponent(field))).features.map((f) => f.id);
  check('attribute table: a column sorts as sortby=' + field, JSON.stringify(ids1) === JSON.stringify(want1), { ids1, want1 });
  check('attribute table: the sorted column is marked', (await page.getAttribute('table.attributes thead th[aria-sort]', 'aria-sort')) === 'ascending', col);
  await page.click('table.attributes thead th a >> nth=0');
  await page.waitForLoadState('load');
  const ids2 = await page.$$eval('table.attributes tbody tr td:first-child', (tds) => tds.map((t) => Number(t.textContent)));
  const want2 = (await api('collections/' + coll.id + '/items?limit=10&sortby=-' + encodeURIComponent(field))).features.map((f) => f.id);
  check('attribute table: a second click sorts descending', JSON.stringify(ids2) === JSON.stringify(want2), { ids2, want2 });
  await page.click('nav.pager a[rel=next]');
  await page.waitForLoadState('load');
  const ids3 = await page.$$eval('table.attributes tbody tr td:first-child', (tds) => tds.map((t) => Number(t.textContent)));
  const want3 = (await api('collections/' + coll.id + '/items?limit=10&offset=10&sortby=-' + encodeURIComponent(field))).features.map((f) => f.id);
  check('attribute table: Next pages on in the same order', JSON.stringify(ids3) === JSON.stringify(want3), { ids3, want3 });
  noErrors('attribute table');

  // A download button gives the whole layer; the page then shows its size.
  await page.goto(base + '/collections/' + coll.id + '?f=html');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('ul.downloads a[href$="f=geojson"]')]);
  const file = await dl.path();
  const { readFileSync } = await import('node:fs');
  const fc = JSON.parse(readFileSync(file, 'utf8'));
  check('download button: the GeoJSON holds every feature', fc.features.length === doc.numberOfFeatures, [fc.features.length, doc.numberOfFeatures]);
  check('download button: a sensible file name', dl.suggestedFilename() === coll.id + '.geojson', dl.suggestedFilename());
  await page.reload();
  const size = await page.textContent('ul.downloads a[href$="f=geojson"] + .size').catch(() => '');
  check('dataset page: the size of a downloaded file is shown', /\d( k| M)?B/.test(size || ''), size);
  noErrors('download');

  // --- the items page.
  await page.goto(base + '/collections/' + coll.id + '/items?f=html&limit=25');
  const onPage = await mapReady();
  const rows = await page.locator('table.attributes tbody tr').count();
  check('items page: 25 rows and a map of them', rows === 25 && onPage > 0, { rows, onPage });
  await page.screenshot({ path: join(outdir, 'items-page.png'), fullPage: true });
  noErrors('items page');

  // --- the feature page, reached from the table.
  await page.click('table.attributes tbody tr:first-child td:first-child a');
  await page.waitForLoadState('load');
  const one = await mapReady();
  const attrs = await page.$$eval('table.feature th', (ths) => ths.map((t) => t.textContent));
  const fid = Number(page.url().match(/items\/(\d+)/)[1]);
  const feat = await api('collections/' + coll.id + '/items/' + fid);
  const bodyText = await page.textContent('main');
  check('feature page: the map draws the feature', one >= 1, one);
  check('feature page: attributes, not raw geometry', attrs.length >= Object.keys(feat.properties).length && !bodyText.includes('coordinates'), attrs);
  const v = Object.values(feat.properties).find((x) => typeof x === 'string' && x.length > 2);
  if (v) check('feature page: shows the values', bodyText.includes(v), v);
  await page.screenshot({ path: join(outdir, 'feature-page.png'), fullPage: true });
  noErrors('feature page');

  // --- a bad parameter is the API's problem, not a page.
  const bad = await fetch(base + '/collections/' + coll.id + '?f=html&sortby=nosuchfield');
  const prob = await bad.json().catch(() => ({}));
  check('dataset page: a bad sortby is a 400 problem naming it', bad.status === 400 && /nosuchfield/.test(prob.detail || ''), [bad.status, prob]);
} catch (e) {
  check('pages test ran to the end', false, e.stack);
} finally {
  await browser.close();
}
end();
