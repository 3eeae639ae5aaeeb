// Filters: a panel built from each layer's queryables (a drop-down for a
// field with a few values, a range for numbers and dates, a text box for
// names; several per layer), written as CQL2 text, and sent to the server
// as the parameters it takes: PROPERTY=VALUE for equality, datetime for a
// range on the layer's time property, and CQL2 (filter=) for the rest once
// the server conforms to OGC API - Features Part 3 Filter.
import { state, esc } from './state.js';
import * as api from './api.js';

const FEW = 15; // a string field with at most this many values gets a drop-down

const quote = (s) => "'" + String(s).replace(/'/g, "''") + "'";

// cql2 returns the CQL2 text of a layer's filters ('' when none).
export function cql2(l) {
  const parts = [];
  for (const [name, f] of Object.entries(state.filters[l.id] || {})) {
    const fd = l.fields.find((x) => x.name === name);
    if (!fd) continue;
    const lit = (v) => (fd.type === 'integer' || fd.type === 'number' ? String(Number(v)) : fd.type === 'boolean' ? (v === 'true' ? 'TRUE' : 'FALSE')
      : fd.format === 'date' ? 'DATE(' + quote(v) + ')' : fd.format === 'date-time' ? 'TIMESTAMP(' + quote(v) + ')' : quote(v));
    if (f.kind === 'eq') parts.push(name + ' = ' + lit(f.value));
    if (f.kind === 'text') parts.push('CASEI(' + name + ') LIKE CASEI(' + quote('%' + f.value.replace(/[%_\\]/g, '\\$&') + '%') + ')');
    if (f.kind === 'range') {
      const [lo, hi] = rangeBounds(fd, f);
      if (lo !== null) parts.push(name + ' >= ' + lit(lo));
      if (hi !== null) parts.push(name + ' <= ' + lit(hi));
    }
  }
  return parts.join(' AND ');
}

// rangeBounds turns a range's inputs into values of the field: years for a
// date field (2000..2010 is 2000-01-01 to 2010-12-31).
function rangeBounds(fd, f) {
  const isDate = fd.format === 'date' || fd.format === 'date-time';
  const t = fd.format === 'date-time';
  const lo = f.min === '' || f.min === undefined ? null : isDate ? f.min + '-01-01' + (t ? 'T00:00:00Z' : '') : f.min;
  const hi = f.max === '' || f.max === undefined ? null : isDate ? f.max + '-12-31' + (t ? 'T23:59:59Z' : '') : f.max;
  return [lo, hi];
}

// supported reports whether the server can apply filter f on field fd.
export function supported(l, fd, kind) {
  if (state.caps.cql2) return true;
  if (kind === 'eq') return true;
  return kind === 'range' && fd.name === l.timeField;
}

// params returns the query parameters of a layer's filters for items,
// stats and tiles.
export function params(l) {
  const out = {};
  const fs = state.filters[l.id] || {};
  if (state.caps.cql2 && Object.keys(fs).length) {
    out.filter = cql2(l);
    out['filter-lang'] = 'cql2-text';
    return out;
  }
  for (const [name, f] of Object.entries(fs)) {
    const fd = l.fields.find((x) => x.name === name);
    if (!fd) continue;
    if (f.kind === 'eq') out[name] = f.value;
    if (f.kind === 'range' && name === l.timeField) {
      const [lo, hi] = rangeBounds(fd, f);
      out.datetime = (lo || '..') + '/' + (hi || '..');
    }
  }
  return out;
}

// countParams returns the COLLECTION.PARAM filters /count takes.
export function countParams(layers) {
  const out = {};
  for (const l of layers) {
    for (const [k, v] of Object.entries(params(l))) out[l.id + '.' + k] = v;
  }
  return out;
}

// describe is a short text of a layer's filters, for the panel and print.
export function describe(l) {
  const parts = [];
  for (const [name, f] of Object.entries(state.filters[l.id] || {})) {
    const fd = l.fields.find((x) => x.name === name) || { title: name };
    const t = fd.title || name;
    if (f.kind === 'eq') parts.push(t + ' ' + String(f.value).replace(/_/g, ' '));
    if (f.kind === 'text') parts.push(t + ' has “' + f.value + '”');
    if (f.kind === 'range') parts.push(t + ' ' + (f.min || '…') + '–' + (f.max || '…'));
  }
  return parts.join(', ');
}

// choices decides the control of each filterable field of a layer:
// fields with a list of values, or few values in the data, get a
// drop-down; numbers and dates a range; other strings a text box.
export async function choices(l) {
  if (l.choices) return l.choices;
  const out = [];
  for (const fd of l.fields) {
    if (fd.enum) out.push({ fd, kind: 'eq', values: fd.enum });
    else if (fd.type === 'integer' || fd.type === 'number' || fd.format === 'date' || fd.format === 'date-time') out.push({ fd, kind: 'range' });
    else if (fd.type === 'boolean') out.push({ fd, kind: 'eq', values: ['true', 'false'] });
    else if (fd.type === 'string') {
      const st = await api.stats(l.id, { groupby: fd.name }).catch(() => null);
      const vals = st ? st.groups.map((g) => g.value).filter((v) => v !== '') : [];
      if (vals.length && vals.length <= FEW && st.groups.length < l.count) out.push({ fd, kind: 'eq', values: vals.sort() });
      else out.push({ fd, kind: 'text' });
    }
  }
  l.choices = out;
  return out;
}

// buildPanel fills el with the filter controls of layer l; onChange is
// called after every change.
export async function buildPanel(el, l, onChange) {
  el.innerHTML = '<p class="hint">Loading the fields…</p>';
  const cs = await choices(l);
  el.innerHTML = '';
  const fs = () => (state.filters[l.id] = state.filters[l.id] || {});
  const set = (name, f) => {
    if (f) fs()[name] = f; else delete fs()[name];
    if (!Object.keys(fs()).length) delete state.filters[l.id];
    onChange(l);
  };
  for (const c of cs) {
    const ok = supported(l, c.fd, c.kind);
    const row = document.createElement('div');
    row.className = 'frow';
    row.dataset.field = c.fd.name;
    row.dataset.kind = c.kind;
    const id = 'f-' + l.id + '-' + c.fd.name;
    const cur = (state.filters[l.id] || {})[c.fd.name];
    const title = esc(c.fd.title || c.fd.name);
    if (c.kind === 'eq') {
      row.innerHTML = '<label for="' + id + '">' + title + '</label><select id="' + id + '"><option value="">all</option>' +
        c.values.map((v) => '<option value="' + esc(v) + '">' + esc(String(v).replace(/_/g, ' ')) + '</option>').join('') + '</select>';
      const sel = row.querySelector('select');
      sel.value = cur ? cur.value : '';
      sel.addEventListener('change', () => set(c.fd.name, sel.value ? { kind: 'eq', value: sel.value } : null));
    } else if (c.kind === 'range') {
      const isDate = c.fd.format === 'date' || c.fd.format === 'date-time';
      const unit = isDate ? ' (year)' : '';
      row.innerHTML = '<span class="flabel">' + title + unit + '</span><label class="sr-only" for="' + id + '-min">' + title + ' from</label>' +
        '<input type="number" id="' + id + '-min" placeholder="from" inputmode="numeric"> – <label class="sr-only" for="' + id + '-max">' + title + ' to</label>' +
        '<input type="number" id="' + id + '-max" placeholder="to" inputmode="numeric">';
      const [a, b] = row.querySelectorAll('input');
      if (cur) { a.value = cur.min || ''; b.value = cur.max || ''; }
      const upd = () => set(c.fd.name, a.value || b.value ? { kind: 'range', min: a.value, max: b.value } : null);
      a.addEventListener('change', upd);
      b.addEventListener('change', upd);
    } else {
      row.innerHTML = '<label for="' + id + '">' + title + '</label><input type="search" id="' + id + '" placeholder="contains…">';
      const inp = row.querySelector('input');
      if (cur) inp.value = cur.value;
      inp.addEventListener('change', () => set(c.fd.name, inp.value ? { kind: 'text', value: inp.value } : null));
    }
    if (!ok) {
      row.classList.add('unsupported');
      row.title = 'This server does not take CQL2 filters yet: only lists of values and the date range of ' + (l.timeField || 'the time property') + ' apply.';
      for (const i of row.querySelectorAll('input,select')) i.disabled = true;
    }
    el.append(row);
  }
  const q = document.createElement('p');
  q.className = 'cql2 hint';
  q.textContent = cql2(l) ? 'CQL2: ' + cql2(l) : '';
  el.append(q);
}
