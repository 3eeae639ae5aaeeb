// The map's one Terra Draw instance (terra-draw and its MapLibre adapter,
// vendored under map/vendor/terra-draw as UMD globals). The area tools
// draw through it (rectangle, polygon, circle), and so does editing (a new
// point, line or polygon; dragging an asset's geometry in select mode).
// One mode is active at a time: start() hands the drawing to one owner
// with the callback of its finished feature, stop() takes it back.
import { ca } from './state.js';

let td = null;
let owner = null; // {mode, onFinish, onChange}

const BLUE = '#0b6bcb';
const ORANGE = '#d9480f';

function modes() {
  const T = window.terraDraw;
  const area = { fillColor: BLUE, outlineColor: BLUE, fillOpacity: 0.12, outlineWidth: 2.5 };
  const asset = { fillColor: ORANGE, outlineColor: ORANGE, fillOpacity: 0.2, outlineWidth: 3 };
  const editable = { feature: { draggable: true, coordinates: { draggable: true, midpoints: true, deletable: false } } };
  return [
    new T.TerraDrawRectangleMode({ drawInteraction: 'click-drag', styles: area }),
    new T.TerraDrawPolygonMode({ styles: { ...area, closingPointColor: BLUE, closingPointOutlineColor: '#ffffff' } }),
    new T.TerraDrawCircleMode({ drawInteraction: 'click-drag', projection: 'globe', styles: area }),
    new T.TerraDrawPointMode({ modeName: 'new-point', styles: { pointColor: ORANGE, pointWidth: 8, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
    new T.TerraDrawLineStringMode({ modeName: 'new-line', styles: { lineStringColor: ORANGE, lineStringWidth: 3 } }),
    new T.TerraDrawPolygonMode({ modeName: 'new-polygon', styles: asset }),
    new T.TerraDrawSelectMode({
      allowManualSelection: false,
      allowManualDeselection: false,
      flags: { 'new-point': { feature: { draggable: true } }, 'new-line': editable, 'new-polygon': editable },
      styles: { selectedPointColor: ORANGE, selectedPointWidth: 10, selectedPointOutlineColor: '#ffffff', selectedPointOutlineWidth: 3,
        selectedLineStringColor: ORANGE, selectedPolygonColor: ORANGE, selectedPolygonOutlineColor: ORANGE, selectedPolygonFillOpacity: 0.2 },
    }),
  ];
}

// install makes the instance; it starts in the inert static mode.
export function install(map) {
  const A = window.terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter;
  td = new window.terraDraw.TerraDraw({ adapter: new A({ map, coordinatePrecision: 7 }), modes: modes() });
  td.start();
  td.on('finish', (id, ctx) => {
    if (!owner) return;
    const f = td.getSnapshotFeature(id);
    if (f) owner.onFinish(f, ctx);
  });
  td.on('change', (ids, type) => { if (owner && owner.onChange) owner.onChange(ids, type); });
  ca.sketch = td;
}

// start gives the drawing to mode (a Terra Draw mode name); onFinish gets
// each finished feature (GeoJSON) and the finish context, onChange the
// store's changes.
export function start(mode, onFinish, onChange) {
  stop();
  owner = { mode, onFinish, onChange };
  td.setMode(mode);
}

// stop clears what was drawn and goes back to the static mode.
export function stop() {
  owner = null;
  if (!td) return;
  td.setMode('static');
  td.clear();
}

// mode is the owner's mode, or null when nothing is drawn.
export const mode = () => (owner ? owner.mode : null);

// edit puts a geometry (Point, LineString or Polygon) in the store under
// mode's name and selects it so that it can be dragged; it returns the
// Terra Draw id, or null when Terra Draw cannot hold the geometry (multi
// geometries).
export function edit(geometry, onFinish) {
  const kind = { Point: 'new-point', LineString: 'new-line', Polygon: 'new-polygon' }[geometry && geometry.type];
  if (!kind) return null;
  start('select', onFinish);
  const [r] = td.addFeatures([{ type: 'Feature', geometry, properties: { mode: kind } }]);
  if (!r || !r.valid) { stop(); return null; }
  td.selectFeature(r.id);
  return r.id;
}

// geometry is the current geometry of a feature in the store.
export function geometry(id) {
  const f = td.getSnapshotFeature(id);
  return f ? f.geometry : null;
}

// remove drops one feature from the store.
export function remove(id) {
  if (td.hasFeature(id)) td.removeFeatures([id]);
}
