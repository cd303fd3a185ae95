import {
  decodeRuns,
  encodeRuns,
  maskRuns,
  rasterizeRuns,
  runsFromString,
  runsToString
} from '../rle';

/** A mask as a predicate over (x, y), and its size. */
interface IMaskCase {
  height: number;
  width: number;
  at: (x: number, y: number) => boolean;
  /** COCO compressed counts of this mask, written once by pycocotools 2.0
   * (`mask.encode(np.asfortranarray(bitmap))`) from the same formula in numpy. */
  coco: string;
}

const CASES: { [name: string]: IMaskCase } = {
  ellipse: {
    height: 7,
    width: 9,
    at: (x, y) => ((x - 4) / 3.5) ** 2 + ((y - 3) / 2.5) ** 2 <= 1,
    coco: '9332O00000001N6'
  },
  stripes: {
    height: 5,
    width: 6,
    at: (x, y) => (x + y) % 3 === 0,
    coco: '01201000O10O1000O0'
  },
  full: { height: 4, width: 3, at: () => true, coco: '0<' },
  empty: { height: 3, width: 5, at: () => false, coco: '?' },
  big: {
    height: 300,
    width: 200,
    at: (x, y) =>
      (y >= 20 && y < 260 && x >= 37 && x < 181) ||
      (y >= 280 && y < 290 && x >= 5 && x < 9),
    coco: 'dg1:R900000\\n7V7^jG000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000`a5'
  }
};

/** The column-major bitmap (COCO's layout) of a case. */
function bitmapOf(c: IMaskCase): Uint8Array {
  const out = new Uint8Array(c.height * c.width);
  for (let x = 0; x < c.width; x++) {
    for (let y = 0; y < c.height; y++) {
      out[x * c.height + y] = c.at(x, y) ? 1 : 0;
    }
  }
  return out;
}

/** The first index where two bitmaps differ, -1 if none (jest's deep
 * equality is slow on large typed arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) {
    return Math.min(a.length, b.length);
  }
  return a.findIndex((v, i) => v !== b[i]);
}

/** Run lengths of a column-major bitmap, zeros first (COCO's rleEncode): the plain reference. */
function plainRuns(bitmap: Uint8Array): number[] {
  const runs: number[] = [];
  let value = 0;
  let n = 0;
  for (const v of bitmap) {
    if (v !== value) {
      runs.push(n);
      value = v;
      n = 0;
    }
    n++;
  }
  runs.push(n);
  return runs;
}

/** COCO's rleToString, written from its C source: the plain reference. */
function plainString(runs: readonly number[]): string {
  let out = '';
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i];
    if (i > 2) {
      x -= runs[i - 2];
    }
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) {
        c |= 0x20;
      }
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** A reproducible pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('COCO RLE decoding', () => {
  it.each(Object.keys(CASES))(
    'decodes the counts pycocotools wrote for the %s mask',
    name => {
      const c = CASES[name];
      const runs = runsFromString(c.coco);
      expect(runs).not.toBeNull();
      expect(runs!.reduce((a, b) => a + b, 0)).toBe(c.height * c.width);
      expect(
        firstDifference(decodeRuns(runs!, c.height, c.width), bitmapOf(c))
      ).toBe(-1);
      // The test's encoder writes what pycocotools wrote, and so does the product's.
      expect(plainString(plainRuns(bitmapOf(c)))).toBe(c.coco);
      expect(runsToString(encodeRuns(bitmapOf(c)))).toBe(c.coco);
    }
  );

  it('round-trips random masks, compressed and as run lengths', () => {
    const rnd = random(7);
    for (let k = 0; k < 200; k++) {
      const height = 1 + Math.floor(rnd() * 40);
      const width = 1 + Math.floor(rnd() * 40);
      const density = rnd();
      const bitmap = new Uint8Array(height * width);
      // Blocks of random length: long runs (multi-character counts) and short ones.
      for (let i = 0; i < bitmap.length;) {
        const len = 1 + Math.floor(rnd() ** 3 * 300);
        bitmap.fill(rnd() < density ? 1 : 0, i, i + len);
        i += len;
      }
      const runs = plainRuns(bitmap);
      expect(encodeRuns(bitmap)).toEqual(runs);
      expect(runsToString(runs)).toBe(plainString(runs));
      const mask = { kind: 'rle' as const, height, width };
      const fromString = maskRuns({ ...mask, counts: runsToString(runs) });
      expect(fromString).toEqual(runs);
      expect(
        firstDifference(decodeRuns(fromString!, height, width), bitmap)
      ).toBe(-1);
      expect(maskRuns({ ...mask, counts: runs })).toEqual(runs);
    }
  });

  it('refuses counts that are not COCO counts', () => {
    expect(runsFromString('0 ')).toBeNull(); // a character below the offset
    expect(runsFromString('0\u00ff')).toBeNull(); // above it
    expect(runsFromString('0h')).toBeNull(); // a value cut off ("more" bit set)
    expect(runsFromString('')).toEqual([]);
  });

  it('cuts runs past the image', () => {
    expect(Array.from(decodeRuns([1, 10], 2, 2))).toEqual([0, 1, 1, 1]);
  });
});

describe('rasterizing a mask for the canvas', () => {
  const c = CASES.big;
  const runs = runsFromString(c.coco)!;

  it('at full size: the row-major crop of the set pixels', () => {
    const r = rasterizeRuns(runs, c.height, c.width);
    expect([r.left, r.top, r.width, r.height]).toEqual([5, 20, 176, 270]);
    for (let j = 0; j < r.height; j++) {
      for (let i = 0; i < r.width; i++) {
        const set = c.at(i + r.left, j + r.top) ? 1 : 0;
        if (r.data[j * r.width + i] !== set) {
          throw new Error(`pixel (${i + r.left}, ${j + r.top}) is wrong`);
        }
      }
    }
  });

  it.each([2, 3, 7])('sampled every %i pixels', step => {
    const r = rasterizeRuns(runs, c.height, c.width, step);
    expect(r.step).toBe(step);
    const cols = Math.ceil(c.width / step);
    const rows = Math.ceil(c.height / step);
    let set = 0;
    const wrong: string[] = [];
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < cols; i++) {
        const want = c.at(i * step, j * step) ? 1 : 0;
        const inCrop =
          i >= r.left &&
          i < r.left + r.width &&
          j >= r.top &&
          j < r.top + r.height;
        const got = inCrop ? r.data[(j - r.top) * r.width + i - r.left] : 0;
        if (got !== want) {
          wrong.push(`(${i}, ${j})`);
        }
        set += want;
      }
    }
    expect(wrong).toEqual([]);
    expect(set).toBeGreaterThan(0);
  });

  it('an empty mask has an empty crop', () => {
    const e = CASES.empty;
    const r = rasterizeRuns(runsFromString(e.coco)!, e.height, e.width);
    expect([r.width, r.height, r.data.length]).toEqual([0, 0, 0]);
  });
});
