// Draws the app and tray icons as PNG files with no dependency beyond Node: each icon is a few
// shapes tested per sub-pixel (4x4 samples for anti-aliasing), written with zlib.
// Run: node assets/generate-icons.mjs   (the PNGs are committed; re-run after changing a shape)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

// ---- PNG encoding ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- shapes, in a unit square (0..1), y down ----
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r1, r2) => (x, y) => {
  const d = (x - cx) ** 2 + (y - cy) ** 2;
  return d <= r2 * r2 && d >= r1 * r1;
};
/** Part of a ring between two angles (radians, 0 = right, clockwise since y is down). */
const arc = (cx, cy, r1, r2, from, to) => (x, y) => {
  if (!ring(cx, cy, r1, r2)(x, y)) return false;
  let a = Math.atan2(y - cy, x - cx);
  if (a < from) a += 2 * Math.PI;
  return a >= from && a <= to;
};
/** A thick line with round ends. */
const segment = (x1, y1, x2, y2, w) => (x, y) => {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= (w / 2) ** 2;
};
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const union =
  (...shapes) =>
  (x, y) =>
    shapes.some((s) => s(x, y));

function hex(color, alpha = 1) {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha];
}

/** Layers are [shape, colour] painted in order; a colour may depend on y (gradient). */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          let cr = 0,
            cg = 0,
            cb = 0,
            ca = 0; // premultiplied
          for (const [shape, colour] of layers) {
            if (!shape(x, y)) continue;
            const [lr, lg, lb, la] = typeof colour === 'function' ? colour(x, y) : colour;
            cr = lr * la + cr * (1 - la);
            cg = lg * la + cg * (1 - la);
            cb = lb * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const n = S * S;
      const i = (py * size + px) * 4;
      out[i + 3] = Math.round((a / n) * 255);
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
      }
    }
  }
  return out;
}

// ---- the bridge motif: an arch over a deck ----
function bridge(scale, cx, cy, stroke) {
  const s = (v) => v * scale;
  return union(
    arc(cx, cy + s(0.12), s(0.3) - stroke / 2, s(0.3) + stroke / 2, Math.PI, 2 * Math.PI),
    segment(cx - s(0.36), cy + s(0.12), cx + s(0.36), cy + s(0.12), stroke),
    segment(cx - s(0.15), cy - s(0.14), cx - s(0.15), cy + s(0.12), stroke * 0.7),
    segment(cx, cy - s(0.18), cx, cy + s(0.12), stroke * 0.7),
    segment(cx + s(0.15), cy - s(0.14), cx + s(0.15), cy + s(0.12), stroke * 0.7),
  );
}

function appIcon(size) {
  const bg = roundRect(0.04, 0.04, 0.96, 0.96, 0.2);
  const top = hex('#2f6bff');
  const bottom = hex('#1a3fb0');
  const gradient = (_x, y) => top.map((v, i) => v + (bottom[i] - v) * y);
  return render(size, [
    [bg, gradient],
    [bridge(1, 0.5, 0.5, size <= 32 ? 0.09 : 0.065), hex('#ffffff')],
  ]);
}

const TRAY_COLOURS = {
  disconnected: '#8b929c',
  connecting: '#f0a020',
  connected: '#2eb35f',
  error: '#e5484d',
};

function trayIcon(state, size) {
  const colour = hex(TRAY_COLOURS[state]);
  const white = hex('#ffffff');
  const w = size <= 16 ? 0.13 : 0.1;
  switch (state) {
    case 'disconnected':
      return render(size, [
        [ring(0.5, 0.5, 0.44 - w, 0.44), colour],
        [segment(0.32, 0.5, 0.68, 0.5, w), colour],
      ]);
    case 'connecting':
      return render(size, [
        [ring(0.5, 0.5, 0.44 - w, 0.44), hex(TRAY_COLOURS.connecting, 0.35)],
        [arc(0.5, 0.5, 0.44 - w, 0.44, -Math.PI / 2, Math.PI), colour],
        [circle(0.5, 0.5, 0.12), colour],
      ]);
    case 'connected':
      return render(size, [
        [circle(0.5, 0.5, 0.46), colour],
        [union(segment(0.28, 0.52, 0.43, 0.67, w), segment(0.43, 0.67, 0.72, 0.36, w)), white],
      ]);
    case 'error':
      return render(size, [
        [circle(0.5, 0.5, 0.46), colour],
        [union(segment(0.5, 0.25, 0.5, 0.55, w), circle(0.5, 0.72, w * 0.6)), white],
      ]);
  }
  throw new Error(state);
}

function write(relative, data) {
  const file = join(here, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
}

for (const state of Object.keys(TRAY_COLOURS)) {
  write(`tray/${state}.png`, png(16, trayIcon(state, 16)));
  write(`tray/${state}@2x.png`, png(32, trayIcon(state, 32)));
}
for (const size of [16, 32, 48, 64, 128, 256, 512]) {
  write(`icons/${size}x${size}.png`, png(size, appIcon(size)));
}
write('icon.png', png(512, appIcon(512)));
console.log('icons written under', here);
