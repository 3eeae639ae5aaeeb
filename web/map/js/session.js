// Signing in with an API key. The key is kept in the tab's session storage
// only (never local storage, a cookie or a URL, never logged), checked
// against GET /whoami, and sent as Authorization: Bearer by api.send.
// Signing out forgets it. canWrite says whether the key may edit a layer:
// an editor or admin granted its collection.
import { $, announce } from './state.js';
import * as api from './api.js';

const STORE = 'cityatlas.apiKey';
let who = null; // {name, role, collections} of the signed-in key
let listeners = [];

export const current = () => who;

// onChange registers fn(who) to run after each sign-in and sign-out.
export function onChange(fn) { listeners.push(fn); }

export function canWrite(layerId) {
  if (!who || (who.role !== 'editor' && who.role !== 'admin')) return false;
  return !who.collections.length || who.collections.includes(layerId);
}

function render() {
  $('#signin-toggle').hidden = !!who;
  $('#signout').hidden = !who;
  const w = $('#who');
  w.hidden = !who;
  w.textContent = who ? who.name + ' · ' + who.role : '';
  w.title = who ? (who.collections.length ? 'May use: ' + who.collections.join(', ') : 'All collections') : '';
  if (who) openBox(false);
}

function openBox(open) {
  $('#signin-box').hidden = !open;
  $('#signin-toggle').setAttribute('aria-expanded', String(open));
  if (open) { $('#signin-error').textContent = ''; $('#signin-key').focus(); }
}

// signIn checks key with /whoami; on success it keeps it for the tab. It
// answers an error message, or '' when signed in.
export async function signIn(key) {
  key = key.trim();
  if (!key) return 'Paste your API key.';
  api.setKey(key);
  let r;
  try { r = await api.whoami(); } catch (e) { r = { ok: false, status: 0, body: { detail: e.message } }; }
  if (!r.ok) {
    api.setKey(null);
    if (r.status === 401) return 'This key is not valid (unknown, revoked or expired).';
    if (r.status === 429) return 'Too many failed attempts from here: try again in a minute.';
    return 'Could not sign in: ' + ((r.body && r.body.detail) || 'status ' + r.status);
  }
  sessionStorage.setItem(STORE, key);
  who = { name: r.body.name, role: r.body.role, collections: r.body.collections || [] };
  render();
  announce('Signed in as ' + who.name + ' (' + who.role + ').');
  listeners.forEach((fn) => fn(who));
  return '';
}

export function signOut(reason) {
  sessionStorage.removeItem(STORE);
  api.setKey(null);
  const was = who;
  who = null;
  render();
  if (was) announce(reason || 'Signed out.');
  listeners.forEach((fn) => fn(null));
}

// install wires the sign-in box and signs in again with the tab's key,
// if it has one (a reload keeps the session; a revoked key ends it).
export async function install() {
  $('#signin-toggle').addEventListener('click', () => openBox($('#signin-box').hidden));
  $('#signin-cancel').addEventListener('click', () => openBox(false));
  $('#signin-box').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#signin-key');
    const msg = await signIn(input.value);
    $('#signin-error').textContent = msg;
    if (!msg) input.value = '';
  });
  $('#signout').addEventListener('click', () => signOut());
  render();
  const kept = sessionStorage.getItem(STORE);
  if (kept && (await signIn(kept))) signOut('Your key is no longer valid: signed out.');
}
