/**
 * The density image against a brute-force reference: every sample of every
 * pixel checked against every point's square, sums clamped per sample byte,
 * pixels the rounded mean of their samples; and the saturating word add
 * against byte-by-byte arithmetic.
 */
import { FLAG_IN_FILTER, FLAG_SELECTED } from '../flags';
import {
  addSaturated,
  ISplatPoints,
  ISplatStyle,
  ISplatView,
  splatDensity
} from '../densitySplat';

/** Sample k of a pixel: x offset per the standard 4x pattern, y (2k+1)/8. */
const SAMPLES: [number, number][] = [
  [0.375, 0.125],
  [0.875, 0.375],
  [0.125, 0.625],
  [0.625, 0.875]
];

function reference(
  pts: ISplatPoints,
  view: ISplatView,
  style: ISplatStyle
): Uint8Array {
  const { width, height } = view;
  const samples = new Float64Array(width * height * 4 * 4);
  for (let i = 0; i < pts.count; i++) {
    const inFilter = (pts.flags[i] & FLAG_IN_FILTER) !== 0;
    if (!inFilter && !style.dim) {
      continue;
    }
    const wx = width / 2 + (pts.positions[2 * i] - view.centerX) * view.scale;
    const wy =
      height / 2 + (pts.positions[2 * i + 1] - view.centerY) * view.scale;
    if (wx < 0 || wx > width || wy < 0 || wy > height) {
      continue;
    }
    let a = (pts.colors[4 * i + 3] / 255) * 0.25;
    let side = style.pointSize;
    a *= inFilter ? 1 : 0.15;
    if (style.hasSelection) {
      if (pts.flags[i] & FLAG_SELECTED) {
        side += 2;
      } else {
        a *= 0.3;
      }
    }
    const add = [0, 1, 2].map(c => Math.round(pts.colors[4 * i + c] * a));
    add.push(Math.round(255 * a));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        SAMPLES.forEach(([sx, sy], k) => {
          const px = x + sx;
          const py = y + sy;
          if (
            px >= wx - side / 2 &&
            px < wx + side / 2 &&
            py >= wy - side / 2 &&
            py < wy + side / 2
          ) {
            for (let c = 0; c < 4; c++) {
              const j = ((y * width + x) * 4 + k) * 4 + c;
              samples[j] = Math.min(255, samples[j] + add[c]);
            }
          }
        });
      }
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        sum += samples[(p * 4 + k) * 4 + c];
      }
      out[p * 4 + c] = (sum + 2) >> 2;
    }
  }
  return out;
}

function randomPoints(n: number, seed: number): ISplatPoints {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const positions = new Float32Array(2 * n);
  const colors = new Uint8Array(4 * n);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Clustered, so that sums saturate, and some outside the view.
    positions[2 * i] = (rand() - 0.5) * (i % 4 === 0 ? 30 : 3);
    positions[2 * i + 1] = (rand() - 0.5) * (i % 4 === 0 ? 30 : 3);
    for (let c = 0; c < 4; c++) {
      colors[4 * i + c] =
        c === 3 ? 155 + Math.floor(rand() * 100) : rand() * 255;
    }
    flags[i] =
      (rand() < 0.7 ? FLAG_IN_FILTER : 0) | (rand() < 0.2 ? FLAG_SELECTED : 0);
  }
  return { count: n, positions, colors, flags };
}

describe('density splat', () => {
  it('adds every point per sample as an 8-bit multisampled framebuffer does', () => {
    const view = {
      centerX: 0.3,
      centerY: -0.2,
      scale: 2.7,
      width: 37,
      height: 29
    };
    const pts = randomPoints(400, 11);
    for (const style of [
      { pointSize: 2, dim: false, hasSelection: false },
      { pointSize: 2, dim: true, hasSelection: true },
      { pointSize: 3, dim: true, hasSelection: false }
    ]) {
      const want = reference(pts, view, style);
      const { rgba } = splatDensity(pts, view, style);
      expect(Array.from(rgba)).toEqual(Array.from(want));
      // Something is drawn, and the alpha of the cluster's core saturates.
      expect(want.filter(v => v > 0).length).toBeGreaterThan(100);
      expect(want.some((v, j) => j % 4 === 3 && v === 255)).toBe(true);
    }
  });

  it('reuses its sample buffer and starts each frame from zero', () => {
    const view = { centerX: 0, centerY: 0, scale: 3, width: 20, height: 16 };
    const style = { pointSize: 2, dim: false, hasSelection: false };
    const first = splatDensity(randomPoints(200, 3), view, style);
    const pts = randomPoints(100, 5);
    const again = splatDensity(pts, view, style, first.samples);
    expect(again.samples).toBe(first.samples);
    expect(Array.from(again.rgba)).toEqual(
      Array.from(reference(pts, view, style))
    );
  });

  it('adds words byte by byte, saturating each byte at 255', () => {
    let s = 9;
    const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const byte = () => Math.floor(rand() * 256);
    for (let t = 0; t < 2000; t++) {
      const x = [byte(), byte(), byte(), t % 7 === 0 ? 255 : byte()];
      const y = [byte(), byte(), byte(), byte()];
      const word = (b: number[]) =>
        b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
      const got = addSaturated(word(x), word(y));
      for (let c = 0; c < 4; c++) {
        expect((got >>> (8 * c)) & 0xff).toBe(Math.min(255, x[c] + y[c]));
      }
    }
  });
});
