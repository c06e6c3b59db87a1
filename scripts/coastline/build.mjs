// Builds client/src/views/dashboard/coastline.json, the offline coastline the dashboard's map
// draws: Natural Earth 1:10m land (public domain, via the world-atlas 2.0.2 TopoJSON) cut to the
// Zhejiang–Fujian coast. Run once when the drawing should change, not at build time:
//   npm pack world-atlas@2.0.2 topojson-client@3.1.0   (then unpack both)
//   node scripts/coastline/build.mjs <world-atlas>/land-10m.json <topojson-client>/dist/topojson-client.js
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const [landPath, clientPath] = process.argv.slice(2);
const topojson = await import(pathToFileURL(clientPath).href);
const land = JSON.parse(fs.readFileSync(landPath, 'utf8'));
const bbox = { west: 117.5, east: 123.5, south: 24.5, north: 30.8 };
const inside = ([lon, lat]) => lon >= bbox.west && lon <= bbox.east && lat >= bbox.south && lat <= bbox.north;
const round = (n) => Math.round(n * 1000) / 1000;

// The land outline as rings; keep the runs of points inside the box as lines (the box's land
// borders are all inland, so what is left is coast and islands).
const mesh = topojson.mesh(land, land.objects.land);
const lines = [];
for (const ring of mesh.coordinates) {
  let run = [];
  for (const point of ring) {
    if (inside(point)) {
      const p = [round(point[0]), round(point[1])];
      const last = run[run.length - 1];
      // Drop points within ~1 km of the previous one: the map is a few hundred pixels wide.
      if (!last || Math.abs(last[0] - p[0]) + Math.abs(last[1] - p[1]) >= 0.01) run.push(p);
    } else if (run.length) {
      if (run.length > 1) lines.push(run);
      run = [];
    }
  }
  if (run.length > 1) lines.push(run);
}
const geojson = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { name: 'coast' }, geometry: { type: 'MultiLineString', coordinates: lines } }],
};
const out = new URL('../../client/src/views/dashboard/coastline.json', import.meta.url);
fs.mkdirSync(new URL('.', out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(geojson));
console.log(`${lines.length} lines, ${lines.reduce((n, l) => n + l.length, 0)} points, ${fs.statSync(out).size} bytes`);
