// Browser test of editing on the cityatlas web map. Usage:
//   CITYATLAS_EDITOR_KEY=… CITYATLAS_VIEWER_KEY=… CITYATLAS_OFFICE_KEY=… node edit.test.mjs <server URL> <output folder>
// The keys come in the environment (web/edit_test.go makes them): an
// editor of the stop signs (crew-7), a viewer (auditor), and another
// editor (office) whose writes, made straight to the API, are the
// "someone else" of a conflict. It drives Debian's Chromium headless
// through playwright-core: sign in (the key in session storage only),
// edit an attribute, see a refused value next to its field, drag a sign,
// see the history, meet a 412 and choose a version, add a sign, delete it,
// sign out; after each step it asks the API what the server holds. It
// saves screenshots (edit-*.png) in the output folder and exits non-zero
// on any failure, after a line "N passed, N failed".
import { launchChromium, checks } from './lib.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outdir] = process.argv.slice(2);
const editorKey = process.env.CITYATLAS_EDITOR_KEY;
const viewerKey = process.env.CITYATLAS_VIEWER_KEY;
const officeKey = process.env.CITYATLAS_OFFICE_KEY;
if (!base || !outdir || !editorKey || !viewerKey || !officeKey) {
  console.error('usage: CITYATLAS_EDITOR_KEY=… CITYATLAS_VIEWER_KEY=… CITYATLAS_OFFICE_KEY=… node edit.test.mjs <server URL> <output folder>');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

const { check, end } = checks();

// api asks the server directly: {status, etag, body}.
async function api(path, opts = {}) {
  const r = await fetch(new URL(path, base + '/'), opts);
  const text = await r.text();
  return { status: r.status, etag: r.headers.get('etag'), body: text ? JSON.parse(text) : null };
}
const feature = (id) => api('collections/stop_signs/items/' + id);
const count = async () => (await api('collections/stop_signs/stats')).body.count;
const officePatch = (id, props, etag) => api('collections/stop_signs/items/' + id, {
  method: 'PATCH', body: JSON.stringify({ properties: props }),
  headers: { Authorization: 'Bearer ' + officeKey, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag },
});
const versionOf = (etag) => Number((/^"\d+-(\d+)-/.exec(etag || '') || [])[1]);

const browser = await launchChromium();
const errors = [];
const consoleAll = [];
const urls = [];
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(30000);
  // Chromium reports every 4xx answer as a console error; those the test
  // provokes (a wrong key, a refused value, a conflict) are expected.
  const expected = /the server responded with a status of (401|412|422)/;
  page.on('console', (m) => {
    consoleAll.push(m.text());
    if (m.type() === 'error' && !expected.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('request', (r) => urls.push(r.url()));
  const idle = () => page.evaluate(() => new Promise((resolve) => {
    const m = window.cityatlas.map;
    m.once('idle', resolve);
    m.triggerRepaint();
  }));
  const box = async () => page.locator('#map').boundingBox();
  const pixel = async (lonlat) => {
    const b = await box();
    const p = await page.evaluate((c) => { const q = window.cityatlas.map.project(c); return [q.x, q.y]; }, lonlat);
    return [b.x + p[0], b.y + p[1]];
  };
  const lonlatAt = async (x, y) => {
    const b = await box();
    return page.evaluate(([px, py]) => window.cityatlas.map.unproject([px, py]).toArray(), [x - b.x, y - b.y]);
  };
  const editorMsg = () => page.locator('#editor-msg').textContent();
  const waitMsg = (re) => page.waitForFunction((s) => new RegExp(s).test(document.querySelector('#editor-msg').textContent), re.source);
  const panelCount = () => page.evaluate(() => Number(document.querySelector('#layers li[data-layer="stop_signs"] .total').dataset.count));
  const signIn = async (key) => {
    await page.click('#signin-toggle');
    await page.fill('#signin-key', key);
    await page.click('#signin-submit');
  };
  // clickAsset clicks a stop sign on the map at street zoom.
  const clickAsset = async (f) => {
    await page.evaluate((c) => window.cityatlas.map.jumpTo({ center: c, zoom: 18.5 }), f.geometry.coordinates);
    await idle();
    const [x, y] = await pixel(f.geometry.coordinates);
    await page.mouse.click(x, y);
  };

  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => window.cityatlas && window.cityatlas.map);
  await page.evaluate(() => window.cityatlas.ready);
  await idle();
  check('signed out: a Sign in button and no editing', await page.isVisible('#signin-toggle') && await page.isHidden('#edit-section') && await page.isHidden('#signout'));

  // 1. A wrong key is refused and not kept.
  await signIn('ca_nothing_wrong');
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0);
  const wrong = await page.evaluate(() => ({ err: document.querySelector('#signin-error').textContent, kept: sessionStorage.length, edit: document.querySelector('#edit-section').hidden }));
  check('a wrong key is refused, said so, and not kept', /not valid/.test(wrong.err) && wrong.kept === 0 && wrong.edit, wrong);
  await page.screenshot({ path: join(outdir, 'edit-signin-refused.png') });
  await page.click('#signin-cancel');

  // 2. A viewer signs in but gets no editing: a click opens the popup.
  const sign = (await api('collections/stop_signs/items?limit=1&offset=7')).body.features[0];
  await signIn(viewerKey);
  await page.waitForFunction(() => !document.querySelector('#who').hidden);
  check('a viewer is signed in, without editing', (await page.textContent('#who')) === 'auditor · viewer' && await page.isHidden('#edit-section'), await page.textContent('#who'));
  await clickAsset(sign);
  await page.waitForSelector('.maplibregl-popup');
  check('a viewer\'s click opens the popup, not the editor', await page.isHidden('#editor') && (await page.getAttribute('.maplibregl-popup', 'data-feature-id')) === String(sign.id));
  await page.click('#signout');
  await page.evaluate(() => { const b = document.querySelector('.maplibregl-popup-close-button'); if (b) b.click(); });

  // 3. The editor signs in: the key is in session storage only.
  await signIn(editorKey);
  await page.waitForFunction(() => !document.querySelector('#who').hidden);
  const st = await page.evaluate((k) => ({
    who: document.querySelector('#who').textContent, session: Object.values(sessionStorage).includes(k), local: localStorage.length,
    url: location.href.includes(k), edit: !document.querySelector('#edit-section').hidden, input: document.querySelector('#signin-key').value,
    layers: [...document.querySelectorAll('#add-layer option')].map((o) => o.value),
  }), editorKey);
  check('the editor is signed in; the key is in session storage only', st.who === 'crew-7 · editor' && st.session && st.local === 0 && !st.url && st.input === '', st);
  check('editing appears for the layers the key may write', st.edit && [...st.layers].sort().join(',') === 'parks,stop_signs', st.layers);

  // 4. A click opens the attribute form, built from the schema.
  await clickAsset(sign);
  await page.waitForSelector('#edit-form');
  const kinds = await page.evaluate(() => {
    const k = (n) => { const e = document.querySelector('#edit-form [name="' + n + '"]'); return e ? e.tagName.toLowerCase() + (e.type && e.tagName === 'INPUT' ? ':' + e.type : '') : null; };
    return { condition: k('condition'), size: k('sign_size_in'), retro: k('retroreflectivity'), installed: k('installed'), name: k('name'),
      options: [...document.querySelectorAll('#edit-form [name="condition"] option')].map((o) => o.value), editing: window.cityatlas.editing() };
  });
  const q = (await api('collections/stop_signs/queryables')).body.properties;
  check('the form: drop-downs for coded values, numbers, dates, text', kinds.condition === 'select' && kinds.size === 'input:number' && kinds.retro === 'input:number' &&
    kinds.installed === 'input:date' && kinds.name === 'input:text' && kinds.options.slice(1).join() === q.condition.enum.join() && kinds.editing.id === sign.id, kinds);
  const formValues = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#edit-form [name]')].map((e) => [e.name, e.value])));
  check('the form holds the asset\'s values', Object.entries(sign.properties).every(([k, v]) => formValues[k] === String(v)), { form: formValues, api: sign.properties });
  await idle();
  await page.screenshot({ path: join(outdir, 'edit-form.png') });

  // 5. Edit an attribute: PATCH with If-Match; the server holds it.
  const before = await feature(sign.id);
  const newCond = q.condition.enum.find((v) => v !== sign.properties.condition);
  await page.selectOption('#edit-form [name="condition"]', newCond);
  await page.click('#edit-save');
  await waitMsg(/^Saved/);
  const after = await feature(sign.id);
  check('an attribute edit is saved on the server, one version up', after.body.properties.condition === newCond && versionOf(after.etag) === versionOf(before.etag) + 1 &&
    JSON.stringify(after.body.geometry) === JSON.stringify(before.body.geometry), { cond: after.body.properties.condition, etags: [before.etag, after.etag] });
  check('the form now edits the new version', (await page.evaluate(() => window.cityatlas.editing().etag)) === after.etag);

  // 6. A value the API refuses is shown next to its field; nothing changes.
  await page.fill('#edit-form [name="sign_size_in"]', '30.5');
  await page.click('#edit-save');
  await page.waitForFunction(() => document.querySelector('.erow[data-field="sign_size_in"] .field-error').textContent !== '');
  const fieldErr = await page.textContent('.erow[data-field="sign_size_in"] .field-error');
  const unchanged = await feature(sign.id);
  check('a refused value (422) is shown next to its field, and nothing is saved', /integer/.test(fieldErr) && unchanged.etag === after.etag, { fieldErr, etag: unchanged.etag });
  await page.screenshot({ path: join(outdir, 'edit-invalid.png') });
  await page.fill('#edit-form [name="sign_size_in"]', String(sign.properties.sign_size_in));

  // 7. Drag the sign to a new place.
  await page.click('#edit-move');
  await page.waitForFunction(() => window.cityatlas.editing().moving);
  await idle();
  const [sx, sy] = await pixel(after.body.geometry.coordinates);
  await page.mouse.move(sx, sy);
  await page.mouse.down();
  await page.mouse.move(sx - 40, sy + 30, { steps: 6 });
  await page.mouse.move(sx - 90, sy + 50, { steps: 6 });
  await page.mouse.up();
  await waitMsg(/^Moved/);
  const dropped = await lonlatAt(sx - 90, sy + 50);
  await idle();
  await page.screenshot({ path: join(outdir, 'edit-move.png') });
  await page.click('#edit-save');
  await waitMsg(/^Saved/);
  const moved = await feature(sign.id);
  const c = moved.body.geometry.coordinates;
  const tol = await page.evaluate(() => 360 / (512 * 2 ** window.cityatlas.map.getZoom()) * 3); // 3 px
  check('the dragged sign is where it was dropped, on the server', Math.abs(c[0] - dropped[0]) < tol && Math.abs(c[1] - dropped[1]) < tol &&
    versionOf(moved.etag) === versionOf(after.etag) + 1 && moved.body.properties.condition === newCond, { server: c, dropped, tol });
  await idle();
  const onMap = await page.evaluate((id) => window.cityatlas.map.queryRenderedFeatures({ layers: ['L-stop_signs-point'] }).filter((f) => f.id === id).map((f) => f.geometry.coordinates), sign.id);
  check('the map draws the sign at its new place', onMap.length === 1 && Math.abs(onMap[0][0] - c[0]) < tol && Math.abs(onMap[0][1] - c[1]) < tol, { onMap, c });

  // 8. The history: every version, with the editor's name.
  await page.click('#edit-history');
  await page.waitForSelector('#edit-history-list .history');
  const hist = (await api('collections/stop_signs/items/' + sign.id + '/history')).body.versions;
  const shown = await page.evaluate(() => [...document.querySelectorAll('#edit-history-list li.version')].map((li) => ({ v: Number(li.dataset.version), op: li.dataset.op, text: li.textContent })));
  check('the history shows every version of the API\'s, the editor\'s last', shown.length === hist.length && hist.length >= 3 && shown.every((s, i) => s.v === hist[i].version && s.op === hist[i].op) &&
    shown[shown.length - 1].text.includes('crew-7') && shown[shown.length - 2].text.includes(newCond) && /Geometry changed/.test(shown[shown.length - 1].text), { shown, hist: hist.map((h) => [h.version, h.op, h.actor]) });
  await page.screenshot({ path: join(outdir, 'edit-history.png') });
  await page.click('#history-back');

  // 9. Someone else (the office) changes the sign meanwhile: Save is a 412,
  // both versions are shown, and theirs stays until the user chooses.
  const office = await officePatch(sign.id, { status: 'needs_repair', name: 'Office renamed it' }, moved.etag);
  check('the office\'s concurrent write went in', office.status === 200, office);
  await page.selectOption('#edit-form [name="status"]', 'removed');
  await page.click('#edit-save');
  await page.waitForSelector('#conflict');
  const cf = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#conflict tbody tr[data-field]')].map((tr) => [tr.dataset.field, [tr.querySelector('.theirs').textContent, tr.querySelector('.mine').textContent]])));
  const held = await feature(sign.id);
  check('a 412 shows both versions: theirs and yours', cf.status && cf.status[0] === 'needs_repair' && cf.status[1] === 'removed' && cf.name && cf.name[0] === 'Office renamed it' && cf.name[1] === sign.properties.name, cf);
  check('after the 412 the server holds theirs: nothing overwritten', held.etag === office.etag && held.body.properties.status === 'needs_repair', held.body.properties);
  await page.screenshot({ path: join(outdir, 'edit-conflict.png') });
  await page.click('#conflict-theirs');
  await page.waitForSelector('#edit-form');
  const kept = await page.evaluate(() => ({ status: document.querySelector('#edit-form [name="status"]').value, name: document.querySelector('#edit-form [name="name"]').value, etag: window.cityatlas.editing().etag }));
  check('"Keep theirs" shows their version and writes nothing', kept.status === 'needs_repair' && kept.name === 'Office renamed it' && kept.etag === office.etag && (await feature(sign.id)).etag === office.etag, kept);
  // Again, and this time the user keeps theirs' name but saves their own status.
  const office2 = await officePatch(sign.id, { condition: 'poor' }, office.etag);
  await page.selectOption('#edit-form [name="status"]', 'removed');
  await page.click('#edit-save');
  await page.waitForSelector('#conflict');
  await page.click('#conflict-mine');
  await waitMsg(/^Saved yours over theirs/);
  const mine = await feature(sign.id);
  check('"Save mine over theirs" writes mine, with If-Match on theirs', office2.status === 200 && mine.body.properties.status === 'removed' && mine.body.properties.condition === newCond &&
    mine.body.properties.name === 'Office renamed it' && versionOf(mine.etag) === versionOf(office2.etag) + 1, mine.body.properties);
  await page.click('#edit-close');

  // 10. Add a sign: draw a point, fill in the form, Add.
  const n0 = await count();
  await page.selectOption('#add-layer', 'stop_signs');
  await page.click('#add-draw');
  const b = await box();
  const [ax, ay] = [b.x + b.width * 0.3, b.y + b.height * 0.7];
  const at = await lonlatAt(ax, ay);
  await page.mouse.click(ax, ay);
  await page.waitForSelector('#edit-form');
  check('a drawn point opens an empty form for the new sign', (await page.textContent('#editor-title')) === 'New: Stop signs' && (await page.inputValue('#edit-form [name="name"]')) === '');
  await page.fill('#edit-form [name="name"]', 'Test Ave at Browser St');
  await page.selectOption('#edit-form [name="condition"]', 'good');
  await page.fill('#edit-form [name="installed"]', '2026-06-01');
  await page.fill('#edit-form [name="sign_size_in"]', '36');
  await idle();
  await page.screenshot({ path: join(outdir, 'edit-add.png') });
  await page.click('#edit-save');
  await waitMsg(/^Added as id/);
  const newId = await page.evaluate(() => window.cityatlas.editing().id);
  const added = await feature(newId);
  const ac = added.body && added.body.geometry.coordinates;
  check('the new sign is on the server where it was drawn, with its attributes', added.status === 200 && added.body.properties.name === 'Test Ave at Browser St' &&
    added.body.properties.condition === 'good' && added.body.properties.installed === '2026-06-01' && added.body.properties.sign_size_in === 36 &&
    Math.abs(ac[0] - at[0]) < tol && Math.abs(ac[1] - at[1]) < tol, { body: added.body, at });
  await page.waitForFunction((n) => Number(document.querySelector('#layers li[data-layer="stop_signs"] .total').dataset.count) === n, n0 + 1);
  check('the count follows the addition', (await count()) === n0 + 1 && (await panelCount()) === n0 + 1);

  // 11. Delete it, after a confirmation.
  await page.click('#edit-delete');
  await page.waitForSelector('#delete-confirm');
  check('Delete asks first, and nothing is deleted yet', (await feature(newId)).status === 200 && /Test Ave at Browser St/.test(await page.textContent('#delete-confirm')));
  await page.screenshot({ path: join(outdir, 'edit-delete.png') });
  await page.click('#delete-yes');
  await page.waitForFunction(() => document.querySelector('#editor').hidden);
  const gone = await feature(newId);
  await page.waitForFunction((n) => Number(document.querySelector('#layers li[data-layer="stop_signs"] .total').dataset.count) === n, n0);
  const delHist = (await api('collections/stop_signs/items/' + newId + '/history')).body.versions;
  check('the deleted sign is gone from the server, the count follows, its history stays', gone.status === 404 && (await count()) === n0 && (await panelCount()) === n0 &&
    delHist.map((v) => v.op).join() === 'insert,delete' && delHist.every((v) => v.actor === 'crew-7'), { status: gone.status, hist: delHist.map((v) => [v.op, v.actor]) });

  // 12. A reload keeps the session (the tab's storage); sign out ends it.
  await page.reload({ waitUntil: 'load' });
  await page.evaluate(() => window.cityatlas.ready);
  await page.waitForFunction(() => !document.querySelector('#who').hidden);
  check('a reload of the tab keeps the editor signed in', (await page.textContent('#who')) === 'crew-7 · editor' && await page.isVisible('#edit-section'));
  await page.click('#signout');
  const out = await page.evaluate(() => ({ session: sessionStorage.length, edit: document.querySelector('#edit-section').hidden, who: document.querySelector('#who').hidden, signin: !document.querySelector('#signin-toggle').hidden }));
  check('sign out clears the key and the editing', out.session === 0 && out.edit && out.who && out.signin, out);
  await clickAsset(mine.body);
  await page.waitForSelector('.maplibregl-popup');
  check('signed out, a click opens the popup, not the editor', await page.isHidden('#editor'));
  await idle();
  await page.screenshot({ path: join(outdir, 'edit-signed-out.png') });

  check('the key is in no URL the page asked for', !urls.some((u) => u.includes(editorKey) || u.includes(viewerKey)));
  check('the key is in no console message', !consoleAll.some((m) => m.includes(editorKey) || m.includes(viewerKey)));
  check('no console errors', errors.length === 0, errors);
} catch (e) {
  check('the test ran to the end', false, e.stack || String(e));
} finally {
  await browser.close();
}
end();
