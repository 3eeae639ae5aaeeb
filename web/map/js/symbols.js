// Symbols and colours: each layer keeps one colour and one symbol whatever
// other layers exist (from its keywords, else from a hash of its id), and
// points get a ring whose colour says their condition or status.

const PALETTE = ['#8e24aa', '#ef6c00', '#00897b', '#6d4c41', '#3949ab', '#c0ca33', '#d81b60', '#5e35b1', '#00acc1', '#7cb342', '#f4511e', '#546e7a'];

// Keyword (or id word) → symbol and colour, for layers whose metadata says
// what they are.
const BY_KEYWORD = [
  [/\bstop\b/, { icon: 'stop', color: '#c8102e' }],
  [/\bsignals?\b/, { icon: 'signal', color: '#2b2b2b' }],
  [/\bparks?\b/, { icon: 'fill', color: '#2e8b3d' }],
  [/\bwi-?fi\b|\bwireless\b/, { icon: 'wifi', color: '#1565c0' }],
  [/\blandmarks?\b/, { icon: 'star', color: '#b8860b' }],
];

// Colours of condition and status values (rings around point symbols,
// and the legend that explains them).
export const STATE_COLORS = {
  good: '#2e7d32', operational: '#2e7d32', active: '#2e7d32', open: '#2e7d32',
  fair: '#f9a825', flashing: '#f9a825', maintenance: '#f9a825',
  poor: '#ef6c00', needs_repair: '#ef6c00', under_repair: '#ef6c00', closed_for_renovation: '#ef6c00', under_construction: '#ef6c00',
  damaged: '#c62828', very_poor: '#c62828', offline: '#c62828',
  removed: '#757575', decommissioned: '#757575',
};
export const STATE_FIELDS = ['condition', 'status'];

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// look returns {color, icon, poly, line, point, stateField} for a layer.
export function look(l) {
  const words = [l.id.replace(/_/g, ' '), l.title, ...(l.keywords || [])].join(' ').toLowerCase();
  let known = null;
  for (const [re, v] of BY_KEYWORD) if (re.test(words)) { known = v; break; }
  const poly = /Polygon/.test(l.geometry);
  const line = /LineString/.test(l.geometry);
  const color = (known && known.color) || PALETTE[hash(l.id) % PALETTE.length];
  let icon = poly ? 'fill' : line ? 'line' : 'dot';
  if (known && !poly && !line && known.icon !== 'fill') icon = known.icon;
  const stateField = !poly && !line && STATE_FIELDS.find((f) => l.enums && l.enums[f] && l.enums[f].some((v) => STATE_COLORS[v]));
  return { color, icon, poly, line, point: !poly && !line, stateField };
}

// drawIcon draws a symbol on a canvas, so that nothing is fetched.
export function drawIcon(kind, color, px) {
  const c = document.createElement('canvas');
  c.width = c.height = px;
  const g = c.getContext('2d');
  const m = px / 2;
  const octagon = (r) => {
    g.beginPath();
    for (let i = 0; i < 8; i++) {
      const a = Math.PI / 8 + (i * Math.PI) / 4;
      g.lineTo(m + r * Math.cos(a), m + r * Math.sin(a));
    }
    g.closePath();
  };
  if (kind === 'stop') {
    octagon(m - 1); g.fillStyle = '#fff'; g.fill();
    octagon(m - 1 - px * 0.08); g.fillStyle = color; g.fill();
    g.fillStyle = '#fff';
    g.fillRect(px * 0.25, m - px * 0.06, px * 0.5, px * 0.12);
  } else if (kind === 'signal') {
    const w = px * 0.46;
    g.fillStyle = color; g.strokeStyle = '#fff'; g.lineWidth = px * 0.06;
    g.beginPath();
    if (g.roundRect) g.roundRect(m - w / 2, 1, w, px - 2, px * 0.12); else g.rect(m - w / 2, 1, w, px - 2);
    g.fill(); g.stroke();
    ['#e53935', '#fdd835', '#43a047'].forEach((col, i) => {
      g.beginPath(); g.arc(m, px * (0.22 + 0.28 * i), px * 0.1, 0, 2 * Math.PI); g.fillStyle = col; g.fill();
    });
  } else if (kind === 'wifi') {
    g.beginPath(); g.arc(m, m, m - 1, 0, 2 * Math.PI); g.fillStyle = color; g.fill();
    g.strokeStyle = '#fff'; g.lineWidth = px * 0.08; g.lineCap = 'round';
    for (const r of [0.18, 0.32]) { g.beginPath(); g.arc(m, m + px * 0.16, px * r, Math.PI * 1.25, Math.PI * 1.75); g.stroke(); }
    g.beginPath(); g.arc(m, m + px * 0.16, px * 0.05, 0, 2 * Math.PI); g.fillStyle = '#fff'; g.fill();
  } else if (kind === 'star') {
    g.beginPath();
    for (let i = 0; i < 10; i++) {
      const r = i % 2 ? m * 0.42 : m - 1;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      g.lineTo(m + r * Math.cos(a), m + r * Math.sin(a));
    }
    g.closePath(); g.fillStyle = color; g.fill(); g.strokeStyle = '#fff'; g.lineWidth = px * 0.06; g.stroke();
  } else if (kind === 'fill') {
    g.fillStyle = color; g.globalAlpha = 0.55; g.fillRect(1, 1, px - 2, px - 2); g.globalAlpha = 1;
    g.strokeStyle = color; g.lineWidth = px * 0.1; g.strokeRect(1, 1, px - 2, px - 2);
  } else if (kind === 'line') {
    g.strokeStyle = color; g.lineWidth = px * 0.15; g.beginPath(); g.moveTo(1, px - 1); g.lineTo(px - 1, 1); g.stroke();
  } else if (kind === 'ring') {
    g.beginPath(); g.arc(m, m, m * 0.7, 0, 2 * Math.PI); g.strokeStyle = color; g.lineWidth = px * 0.2; g.stroke();
  } else {
    g.beginPath(); g.arc(m, m, m * 0.7, 0, 2 * Math.PI); g.fillStyle = color; g.fill();
    g.strokeStyle = '#fff'; g.lineWidth = px * 0.1; g.stroke();
  }
  return c;
}

// stateColor is a MapLibre expression: the ring colour of a feature's
// condition or status value.
export function stateColor(field) {
  const expr = ['match', ['get', field]];
  for (const [v, c] of Object.entries(STATE_COLORS)) expr.push(v, c);
  expr.push('rgba(0,0,0,0)');
  return expr;
}
