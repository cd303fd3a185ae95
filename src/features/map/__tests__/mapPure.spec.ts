/**
 * The map's pure parts: frame decoding errors, colour scales (class colours
 * equal to the grid's), lasso bookkeeping, the spatial index against brute
 * force, the flags byte and the reproducible code.
 */
import { classColor } from '../../../base/colors';
import {
  colorPoints,
  cssToRgb,
  hslToRgb,
  NO_VALUE,
  rampColor
} from '../colorScale';
import {
  buildFlags,
  FLAG_IN_FILTER,
  FLAG_SELECTED,
  selectedPoints
} from '../flags';
import {
  combineSelection,
  LassoPath,
  modeFromModifiers,
  polygonArea,
  rectFromCorners,
  thin,
  toData
} from '../lasso';
import { pyLiteral, pythonCode } from '../reproduce';
import { SpatialIndex } from '../spatialIndex';
import {
  decodeFrame,
  decodeIds,
  idsFromRanges,
  pointIndices
} from '../../../api/mapWire';

function frame(
  magic: string,
  header: object,
  arrays: ArrayBufferView[]
): ArrayBuffer {
  let text = JSON.stringify(header);
  text += ' '.repeat((4 - (text.length % 4)) % 4);
  const parts: Uint8Array[] = [new TextEncoder().encode(magic)];
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, text.length, true);
  parts.push(len, new TextEncoder().encode(text));
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    parts.push(bytes, new Uint8Array((4 - (bytes.length % 4)) % 4));
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}

describe('frame decoding', () => {
  it('views padded arrays in place and rejects malformed frames', () => {
    const codes = new Uint16Array([0, 1, 65535]); // 6 bytes: padded to 8
    const buf = frame('VLMV', { points: 3, arrays: [['values', 'uint16']] }, [
      codes
    ]);
    expect(Array.from(decodeFrame(buf).arrays.values)).toEqual([0, 1, 65535]);
    expect(() => decodeFrame(buf.slice(0, buf.byteLength - 4))).toThrow(
      /truncated/
    );
    expect(() => decodeFrame(new ArrayBuffer(4))).toThrow(/too short/);
    expect(() =>
      decodeFrame(frame('XXXX', { points: 0, arrays: [] }, []))
    ).toThrow(/magic/);
  });

  it('expands id ranges and finds point indices', () => {
    const ids = idsFromRanges([
      [5, 3],
      [100, 2]
    ]);
    expect(Array.from(ids)).toEqual([5, 6, 7, 100, 101]);
    expect(Array.from(pointIndices(ids, [101, 5, 8, 7]))).toEqual([
      4, 0, -1, 2
    ]);
    const raw = new BigInt64Array([1n, 2n ** 40n]);
    expect(Array.from(decodeIds(raw.buffer))).toEqual([1, 2 ** 40]);
  });
});

describe('colour scales', () => {
  it('converts CSS colours like a browser', () => {
    expect(hslToRgb(0, 1, 0.5)).toEqual([255, 0, 0]);
    expect(hslToRgb(120, 1, 0.25)).toEqual([0, 128, 0]);
    expect(hslToRgb(240, 1, 0.5)).toEqual([0, 0, 255]);
    expect(cssToRgb('#0f8')).toEqual([0, 255, 136]);
    expect(cssToRgb('rgb(1, 2, 3)')).toEqual([1, 2, 3]);
    expect(cssToRgb('papayawhip')).toBeNull();
  });

  it('colours categories with the class colours of the grid, nulls grey', () => {
    const values = {
      kind: 'categorical' as const,
      field: 'top_class',
      codes: new Uint16Array([1, 0, 65535, 2]),
      legend: [
        { value: 'person', count: 1 },
        { value: 'dog', count: 1 },
        { value: null, other: true, count: 1 }
      ],
      nullCode: 65535,
      header: { nulls: 1 }
    };
    const { colors, legend } = colorPoints(values, 4, c => classColor(c));
    const dog = cssToRgb(classColor('dog'))!;
    const person = cssToRgb(classColor('person'))!;
    expect(Array.from(colors.slice(0, 4))).toEqual([...dog, 255]);
    expect(Array.from(colors.slice(4, 8))).toEqual([...person, 255]);
    expect(Array.from(colors.slice(8, 12))).toEqual(NO_VALUE);
    expect(Array.from(colors.slice(12, 16))).toEqual(NO_VALUE);
    expect(legend.map(r => r.label)).toEqual([
      'person',
      'dog',
      'other',
      '(none)'
    ]);
  });

  it('maps numbers onto the ramp between min and max, NaN grey', () => {
    const values = {
      kind: 'numeric' as const,
      field: 'fields.score',
      values: new Float32Array([0, 5, 10, NaN]),
      min: 0,
      max: 10,
      header: {}
    };
    const { colors } = colorPoints(values, 4, c => classColor(c));
    expect(Array.from(colors.slice(0, 3))).toEqual(rampColor(0));
    expect(Array.from(colors.slice(4, 7))).toEqual(rampColor(0.5));
    expect(Array.from(colors.slice(8, 11))).toEqual(rampColor(1));
    expect(Array.from(colors.slice(12, 16))).toEqual(NO_VALUE);
    expect(rampColor(-3)).toEqual(rampColor(0));
  });
});

describe('lasso bookkeeping', () => {
  it('combines a shape with the selection: replace, Shift adds, Alt subtracts', () => {
    const current = new Set([1, 2, 3]);
    const mode = (shiftKey: boolean, altKey: boolean) =>
      modeFromModifiers({ shiftKey, altKey });
    expect([...combineSelection(current, [3, 4], mode(false, false))]).toEqual([
      3, 4
    ]);
    expect(
      [...combineSelection(current, [3, 4], mode(true, false))].sort()
    ).toEqual([1, 2, 3, 4]);
    expect(
      [...combineSelection(current, [3, 4], mode(false, true))].sort()
    ).toEqual([1, 2]);
    expect([...current]).toEqual([1, 2, 3]);
  });

  it('records a path, rejects degenerate shapes and thins long ones', () => {
    const path = new LassoPath();
    expect(path.add(0, 0)).toBe(true);
    expect(path.add(1, 1)).toBe(false); // closer than MIN_STEP_PX
    path.add(10, 0);
    expect(path.isValid).toBe(false);
    path.add(10, 10);
    expect(path.isValid).toBe(true);
    expect(Math.abs(polygonArea(path.points))).toBe(50);
    const long = Array.from(
      { length: 2000 },
      (_, i) => [i, i % 7] as [number, number]
    );
    expect(thin(long, 512)).toHaveLength(512);
    expect(rectFromCorners([5, 1], [2, 8])).toEqual([2, 1, 5, 8]);
    expect(toData([[1, 2]], ([x, y]) => [x / 3, -y])).toEqual([
      [Math.fround(1 / 3), -2]
    ]);
  });
});

describe('spatial index', () => {
  it('finds the nearest point and the points in a rectangle like brute force', () => {
    let seed = 1;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const n = 5000;
    const pos = new Float32Array(2 * n).map(() => rand() * 100 - 50);
    const index = new SpatialIndex(pos, [-50, -50, 50, 50]);
    const accept = (i: number) => i % 3 !== 0;
    for (let t = 0; t < 50; t++) {
      const x = rand() * 110 - 55;
      const y = rand() * 110 - 55;
      let best = -1;
      let bestD = 4;
      for (let i = 0; i < n; i++) {
        const d = (pos[2 * i] - x) ** 2 + (pos[2 * i + 1] - y) ** 2;
        if (d <= bestD && accept(i)) {
          bestD = d;
          best = i;
        }
      }
      const got = index.nearest(x, y, 2, accept);
      if (got !== best) {
        // Ties at equal distance may pick either point.
        const d = (i: number) =>
          (pos[2 * i] - x) ** 2 + (pos[2 * i + 1] - y) ** 2;
        expect(d(got)).toBe(d(best));
      }
    }
    const rect: [number, number, number, number] = [-10, -5, 12, 20];
    const brute: number[] = [];
    for (let i = 0; i < n; i++) {
      const [x, y] = [pos[2 * i], pos[2 * i + 1]];
      if (x >= rect[0] && x <= rect[2] && y >= rect[1] && y <= rect[3]) {
        brute.push(i);
      }
    }
    expect(index.within(rect, n)!.sort((a, b) => a - b)).toEqual(brute);
    expect(index.within(rect, 10)).toBeNull();
  });
});

describe('flags and code', () => {
  it('marks filtered and selected points', () => {
    const ids = new Float64Array([10, 11, 12, 13]);
    const flags = buildFlags(
      4,
      new Int32Array([0, 2, -1]),
      selectedPoints(ids, [13, 12, 99])
    );
    expect(Array.from(flags)).toEqual([
      FLAG_IN_FILTER,
      0,
      FLAG_IN_FILTER | FLAG_SELECTED,
      FLAG_SELECTED
    ]);
    expect(Array.from(buildFlags(2, null, 'all'))).toEqual([3, 3]);
  });

  it('writes the Python call with the polygon or the ids, text as literals', () => {
    expect(pyLiteral({ a: [1, null, true], 'b"': 'x\n' })).toBe(
      '{"a": [1, None, True], "b\\"": "x\\n"}'
    );
    const base = {
      dataset: 'my "data"',
      method: 'umap',
      space: 'clip-v1',
      params: { n_neighbors: 30 },
      colorField: 'split',
      filter: {}
    };
    const lasso = pythonCode({
      ...base,
      shape: {
        polygon: [
          [0, 0],
          [1, 0],
          [0, 1]
        ]
      },
      ids: null
    });
    expect(lasso).toContain('ds = vl.dataset("my \\"data\\"")');
    expect(lasso).toContain(
      'ds.map(method="umap", space="clip-v1", params={"n_neighbors": 30})'
    );
    expect(lasso).toContain('polygon = np.array([[0, 0], [1, 0], [0, 1]])');
    const ids = pythonCode({
      ...base,
      filter: { tags: { any: ['x'] } },
      shape: null,
      ids: [3, 4]
    });
    expect(ids).toContain('isin([3, 4])');
    expect(ids).toContain('ds.samples(filter={"tags": {"any": ["x"]}})');
  });
});
