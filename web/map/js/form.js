// The attribute form of an asset, built from its layer's schema (the
// queryables): a drop-down for a field with coded values, number inputs
// for integers and numbers, date inputs for dates, yes/no for booleans,
// a list as its JSON text, text for the rest. The browser does not validate: the API does, and its
// problem (422 with the field at fault) is shown next to that field.
import { esc } from './state.js';

function input(f, v) {
  const id = 'ef-' + f.name;
  const attrs = 'id="' + id + '" name="' + esc(f.name) + '" data-type="' + esc(f.type || 'string') + '"';
  const has = v !== undefined && v !== null;
  if (f.enum || f.type === 'boolean') {
    const vals = f.enum ? [...f.enum] : ['true', 'false'];
    if (has && !vals.includes(String(v))) vals.push(String(v));
    const label = (x) => (f.type === 'boolean' ? (x === 'true' ? 'yes' : 'no') : x.replace(/_/g, ' '));
    return '<select ' + attrs + '><option value="">—</option>' +
      vals.map((x) => '<option value="' + esc(x) + '"' + (has && String(v) === x ? ' selected' : '') + '>' + esc(label(x)) + '</option>').join('') + '</select>';
  }
  const val = has ? ' value="' + esc(f.type === 'array' ? JSON.stringify(v) : v) + '"' : '';
  if (f.type === 'array') return '<input type="text" placeholder=\'["a", "b"]\' ' + attrs + val + '>'; // the API reads the JSON text
  if (f.type === 'integer') return '<input type="number" step="1" ' + attrs + val + '>';
  if (f.type === 'number') return '<input type="number" step="any" ' + attrs + val + '>';
  if (f.format === 'date') return '<input type="date" ' + attrs + val + '>';
  if (f.format === 'date-time') return '<input type="text" placeholder="2026-06-01T08:00:00Z" ' + attrs + val + '>';
  return '<input type="text" ' + attrs + val + '>';
}

// ordered is l's fields, its names and titles first.
const named = (f) => /name|title|label/.test(f.name);
export const ordered = (l) => [...l.fields.filter(named), ...l.fields.filter((f) => !named(f))];

// html is the form's fields for layer l with the values of props.
export function html(l, props) {
  return ordered(l).map((f) => '<div class="erow" data-field="' + esc(f.name) + '"><label for="ef-' + esc(f.name) + '">' + esc(f.title || f.name) + '</label>' +
    input(f, props[f.name]) + '<span class="field-error" role="alert"></span></div>').join('');
}

// value reads one control: null when empty, a number for number inputs
// (as typed: the API says when an integer is not one), a boolean for yes/no.
function value(el) {
  const v = el.value.trim();
  if (v === '') return null;
  const t = el.dataset.type;
  if (t === 'integer' || t === 'number') return Number.isFinite(Number(v)) ? Number(v) : v;
  if (t === 'boolean') return v === 'true';
  return v;
}

// values reads the form: field name → value (null when empty).
export function values(form, l) {
  const out = {};
  for (const f of l.fields) {
    const el = form.elements.namedItem(f.name);
    if (el) out[f.name] = value(el);
  }
  return out;
}

const same = (a, b) => (a === undefined || a === null ? b === undefined || b === null : String(a) === String(b));

// changes is the merge patch of properties from before to after: the
// fields that differ, null for those emptied.
export function changes(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (!same(before[k], v)) out[k] = v;
  return out;
}

export const sameValue = same;

// showProblem puts an API problem next to the field it names, or in the
// form's general message when it names none; it answers whether a field
// took it.
export function showProblem(form, problem, general) {
  clearProblems(form);
  const row = problem.field && form.querySelector('.erow[data-field="' + CSS.escape(problem.field) + '"]');
  if (row) {
    row.classList.add('invalid');
    row.querySelector('.field-error').textContent = problem.detail || problem.title;
    const el = row.querySelector('input, select');
    el.setAttribute('aria-invalid', 'true');
    el.focus();
    return true;
  }
  general.textContent = (problem.field ? problem.field + ': ' : '') + (problem.detail || problem.title || 'the server refused the change');
  return false;
}

export function clearProblems(form) {
  for (const row of form.querySelectorAll('.erow.invalid')) {
    row.classList.remove('invalid');
    row.querySelector('.field-error').textContent = '';
    row.querySelector('input, select').removeAttribute('aria-invalid');
  }
}
