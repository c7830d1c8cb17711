// Draws the plugin icon (.claude-plugin/icon.png, 512×512): a database cylinder whose checkpoint
// forks into three branches, each ending in a measured verdict (green, amber, red). Pure Node:
// shapes as signed distances, 4×4 supersampling, PNG written with zlib. Run: node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SS = 4; // samples per pixel side

const hex = (h) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
const BG_TOP = hex('#23345e');
const BG_BOTTOM = hex('#111a33');
const DB = hex('#e9eef8');
const DB_TOP = hex('#ffffff');
const BAND = hex('#9fb0d0');
const LINE = hex('#8fa6d6');
const VERDICTS = [hex('#3fb950'), hex('#e3a72f'), hex('#f0524a')];

const roundedRect = (x, y, x0, y0, x1, y1, r) => {
  const qx = Math.max(x0 + r - x, x - (x1 - r), 0);
  const qy = Math.max(y0 + r - y, y - (y1 - r), 0);
  return Math.hypot(qx, qy) - r;
};
const inEllipse = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const segmentDistance = (x, y, ax, ay, bx, by) => {
  const t = Math.max(
    0,
    Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
  );
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
};

// The cylinder: x 70..270, top at y 150, bottom at y 362, ellipses of radius 34 vertically.
const CYL = { x0: 70, x1: 270, top: 150, bottom: 362, ry: 34 };
const cx = (CYL.x0 + CYL.x1) / 2;
const rx = (CYL.x1 - CYL.x0) / 2;
const JUNCTION = [322, 256];
const LEAVES = [
  [420, 138],
  [420, 256],
  [420, 374],
];
const LEAF_R = 36;

/** The colour of one sample point, or null for transparent. */
function sample(x, y) {
  if (roundedRect(x, y, 0, 0, SIZE, SIZE, 104) > 0) return null;
  for (let i = 0; i < LEAVES.length; i++) {
    const [lx, ly] = LEAVES[i];
    if (Math.hypot(x - lx, y - ly) <= LEAF_R) return VERDICTS[i];
  }
  const onLine =
    segmentDistance(x, y, CYL.x1 - 10, 256, ...JUNCTION) <= 8 ||
    LEAVES.some(([lx, ly]) => segmentDistance(x, y, ...JUNCTION, lx, ly) <= 8);
  if (onLine && x > CYL.x1 - 10) return LINE;
  if (inEllipse(x, y, cx, CYL.top, rx, CYL.ry)) {
    return inEllipse(x, y, cx, CYL.top, rx - 10, CYL.ry - 7) ? DB_TOP : BAND;
  }
  const inBody = x >= CYL.x0 && x <= CYL.x1 && y >= CYL.top && y <= CYL.bottom;
  if (inBody || inEllipse(x, y, cx, CYL.bottom, rx, CYL.ry)) {
    // Two bands: lower halves of ellipses a third and two thirds of the way down.
    for (const by of [CYL.top + 71, CYL.top + 142]) {
      const d = Math.sqrt(((x - cx) / rx) ** 2 + ((y - by) / CYL.ry) ** 2);
      if (y > by && Math.abs(d - 1) * CYL.ry < 4.5) return BAND;
    }
    return DB;
  }
  const t = y / SIZE;
  return BG_TOP.map((c, i) => c + (BG_BOTTOM[i] - c) * t);
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    const acc = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        if (!c) continue;
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += 1;
      }
    }
    const o = row + 1 + px * 4;
    const n = acc[3];
    raw[o] = n ? Math.round(acc[0] / n) : 0;
    raw[o + 1] = n ? Math.round(acc[1] / n) : 0;
    raw[o + 2] = n ? Math.round(acc[2] / n) : 0;
    raw[o + 3] = Math.round((255 * n) / (SS * SS));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = new URL('../.claude-plugin/icon.png', import.meta.url);
writeFileSync(out, png);
console.error(`wrote ${out.pathname} (${SIZE}×${SIZE}, ${png.length} bytes)`);
