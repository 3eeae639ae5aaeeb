// Share and print: the URL already holds the view, the layers and the
// filters, so sharing copies it; the print view puts the title, the map,
// the legend, the counts and the date on one page.
import { state, ca, $, esc, fmt, announce } from './state.js';
import { describe } from './filters.js';

export async function share() {
  const link = location.href;
  let copied = false;
  try {
    await navigator.clipboard.writeText(link);
    copied = true;
  } catch (e) { /* no clipboard: show the link to copy by hand */ }
  const box = $('#share-box');
  box.hidden = false;
  box.querySelector('input').value = link;
  box.querySelector('input').select();
  box.querySelector('.msg').textContent = copied ? 'Link copied. Anyone who opens it sees this view.' : 'Copy this link to share this view.';
  ca.sharedLink = link;
  announce(copied ? 'Link copied' : 'Link shown');
}

// preparePrint fills the print-only parts and puts a picture of the map
// in place of the live canvas (a WebGL canvas does not always print).
export function preparePrint() {
  const img = $('#print-map');
  img.src = ca.map.getCanvas().toDataURL('image/png');
  const rows = state.layers.filter((l) => state.visible[l.id]).map((l) => {
    const c = state.counts[l.id] || {};
    const d = describe(l);
    return '<tr><th scope="row">' + esc(l.title) + (d ? ' <span class="fdesc">(' + esc(d) + ')</span>' : '') + '</th><td class="n">' + fmt(c.total) + '</td><td class="n">' + fmt(c.inView) + '</td></tr>';
  }).join('');
  $('#print-counts').innerHTML = '<table><thead><tr><th>Layer</th><th class="n">All</th><th class="n">In the map</th></tr></thead><tbody>' + rows + '</tbody></table>';
  $('#print-date').textContent = 'Printed ' + new Date().toISOString().slice(0, 10) + ' from ' + location.href.split('#')[0];
}

export function print() {
  preparePrint();
  window.print();
}

export function install() {
  $('#share').addEventListener('click', () => share());
  $('#print').addEventListener('click', () => print());
  $('#share-close').addEventListener('click', () => { $('#share-box').hidden = true; });
  window.addEventListener('beforeprint', preparePrint);
}
