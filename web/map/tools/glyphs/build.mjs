// Builds the glyph PBFs the web map's labels use, for MapLibre's
// "glyphs" URL: one file per range of 256 code points and font, rendered
// as signed distance fields by fontnik (FreeType) from Debian's DejaVu
// Sans (package fonts-dejavu-core). Usage, from this folder:
//   npm ci && node build.mjs
// It writes ../../vendor/glyphs/<dir>/<start>-<end>.pbf and copies the
// font's licence beside them; the web package serves them at
// map/fonts/<font name>/<range>.pbf.
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const fontnik = require('fontnik');
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'vendor', 'glyphs');

const FONTS = [
  { dir: 'DejaVuSans', file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' },
  { dir: 'DejaVuSans-Bold', file: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
];
// Basic Latin and Latin-1, Latin Extended-A and -B, General Punctuation
// (dashes, quotes, the ellipsis).
const RANGES = [0, 256, 8192];

const range = (opts) => new Promise((resolve, reject) => fontnik.range(opts, (err, data) => (err ? reject(err) : resolve(data))));

for (const f of FONTS) {
  const font = readFileSync(f.file);
  const dir = join(out, f.dir);
  mkdirSync(dir, { recursive: true });
  for (const start of RANGES) {
    const data = await range({ font, start, end: start + 255 });
    writeFileSync(join(dir, start + '-' + (start + 255) + '.pbf'), data);
  }
}
copyFileSync('/usr/share/doc/fonts-dejavu-core/copyright', join(out, 'LICENSE-DejaVu.txt'));
console.log('glyphs written to', out);
