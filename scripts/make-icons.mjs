#!/usr/bin/env node
// Draws Hearth's app icon (a flame on a dark rounded square) and writes it as PNGs:
// resources/icon.png (512x512, electron-builder's source for the macOS, Windows and Linux icons)
// and resources/icons/<N>x<N>.png (the Linux icon set). Pure Node: the PNG encoder is the
// few lines below (signature, IHDR, one zlib-deflated IDAT, IEND). Run: node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const resources = new URL('../resources/', import.meta.url).pathname;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
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

/** Encodes RGBA pixels (size*size*4 bytes) as a PNG. */
function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Signed distance to a rounded square of half-size h and corner radius r, centred at 0. */
function roundedSquare(x, y, h, r) {
  const qx = Math.abs(x) - h + r;
  const qy = Math.abs(y) - h + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Inside a flame: a circle at the bottom drawn up into a point (a teardrop). */
function inFlame(x, y, cx, cy, radius) {
  const dx = x - cx;
  const dy = y - cy;
  if (dy >= 0) return Math.hypot(dx, dy) <= radius;
  const height = radius * 2.1; // how far above the centre the tip is
  const t = -dy / height;
  if (t > 1) return false;
  const halfWidth = radius * Math.sqrt(1 - t) * (1 - t * 0.35);
  return Math.abs(dx + radius * 0.18 * Math.sin(t * Math.PI)) <= halfWidth;
}

/** The colour at a point of the unit icon (coordinates in [0,1]), or null for transparent. */
function colourAt(u, v) {
  if (roundedSquare(u - 0.5, v - 0.5, 0.45, 0.1) > 0) return null;
  if (inFlame(u, v, 0.5, 0.69, 0.1)) return [255, 236, 170];
  if (inFlame(u, v, 0.5, 0.66, 0.165)) return [255, 166, 48];
  if (inFlame(u, v, 0.5, 0.63, 0.225)) return [214, 74, 28];
  const shade = Math.round(40 - 14 * v);
  return [shade, shade - 3, shade - 8];
}

function drawIcon(size) {
  const samples = 4; // 4x4 supersampling for smooth edges
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = colourAt((x + (sx + 0.5) / samples) / size, (y + (sy + 0.5) / samples) / size);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; a += 1;
        }
      }
      const i = (y * size + x) * 4;
      if (a > 0) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
      }
      rgba[i + 3] = Math.round((255 * a) / (samples * samples));
    }
  }
  return encodePng(size, rgba);
}

mkdirSync(join(resources, 'icons'), { recursive: true });
writeFileSync(join(resources, 'icon.png'), drawIcon(512));
console.log('resources/icon.png');
for (const size of [16, 32, 48, 64, 128, 256, 512]) {
  writeFileSync(join(resources, 'icons', `${size}x${size}.png`), drawIcon(size));
  console.log(`resources/icons/${size}x${size}.png`);
}
