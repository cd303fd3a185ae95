/**
 * Decoding of the map routes' binary answers (visionlens_jlab/maps/wire.py).
 *
 * Frame: magic (4 bytes) | uint32 LE header length | JSON header (padded to
 * 4 bytes) | the arrays the header names, each 4-byte aligned. The arrays are
 * viewed in place (no copy): `Float32Array(buffer, offset, n)`.
 */
import { ILegendEntry } from './mapTypes';

export const POINTS_MAGIC = 'VLMP';
export const VALUES_MAGIC = 'VLMV';

type ArrayType = 'float32' | 'uint32' | 'uint16';
type TypedArray = Float32Array | Uint32Array | Uint16Array;

const CTORS: {
  [K in ArrayType]: {
    new (buffer: ArrayBuffer, offset: number, length: number): TypedArray;
    BYTES_PER_ELEMENT: number;
  };
} = {
  float32: Float32Array,
  uint32: Uint32Array,
  uint16: Uint16Array
};

/** A decoded frame: its magic, JSON header and named arrays. */
export interface IFrame {
  magic: string;
  header: { [key: string]: any };
  arrays: { [name: string]: TypedArray };
}

/** Decode a points or values frame; throws on anything malformed. */
export function decodeFrame(buffer: ArrayBuffer): IFrame {
  if (buffer.byteLength < 8) {
    throw new Error('not a VisionLens map frame: too short');
  }
  const view = new DataView(buffer);
  const magic = String.fromCharCode(
    view.getUint8(0),
    view.getUint8(1),
    view.getUint8(2),
    view.getUint8(3)
  );
  if (magic !== POINTS_MAGIC && magic !== VALUES_MAGIC) {
    throw new Error(
      `not a VisionLens map frame (magic ${JSON.stringify(magic)})`
    );
  }
  const length = view.getUint32(4, true);
  if (8 + length > buffer.byteLength) {
    throw new Error('truncated map frame header');
  }
  const text = new TextDecoder().decode(new Uint8Array(buffer, 8, length));
  const header = JSON.parse(text);
  const n = Number(header.points);
  let offset = 8 + length;
  const arrays: { [name: string]: TypedArray } = {};
  for (const [name, type] of header.arrays as [string, ArrayType][]) {
    const Ctor = CTORS[type];
    if (!Ctor) {
      throw new Error(`unknown array type ${type} in map frame`);
    }
    const size = Ctor.BYTES_PER_ELEMENT * n;
    if (offset + size > buffer.byteLength) {
      throw new Error('truncated map frame');
    }
    arrays[name] = new Ctor(buffer, offset, n);
    offset += size + ((4 - (size % 4)) % 4);
  }
  return { magic, header, arrays };
}

/** The dataset's sorted sample ids from the header's `[[first, count], ...]` runs. */
export function idsFromRanges(ranges: [number, number][]): Float64Array {
  let total = 0;
  for (const [, count] of ranges) {
    total += count;
  }
  const ids = new Float64Array(total);
  let k = 0;
  for (const [first, count] of ranges) {
    for (let i = 0; i < count; i++) {
      ids[k++] = first + i;
    }
  }
  return ids;
}

/** The map's points, ready to draw and to map to sample ids. */
export interface IMapPoints {
  /** The header (map id, method, bounds...). */
  header: { [key: string]: any };
  count: number;
  /** Interleaved x, y (what the GPU takes). */
  positions: Float32Array;
  /** Sample id of each point, ascending (points come in sample-id order). */
  ids: Float64Array;
  bounds: [number, number, number, number];
}

/**
 * Points of a points frame. `datasetIds` are the dataset's sorted sample ids
 * when the header has no `id_ranges` (the client then asks `POST .../ids`).
 */
export function decodePoints(
  buffer: ArrayBuffer,
  datasetIds?: Float64Array
): IMapPoints {
  const { magic, header, arrays } = decodeFrame(buffer);
  if (magic !== POINTS_MAGIC) {
    throw new Error('expected a points frame');
  }
  const sorted = header.id_ranges
    ? idsFromRanges(header.id_ranges)
    : datasetIds;
  if (!sorted) {
    throw new Error('the points frame has no id ranges: pass the dataset ids');
  }
  const x = arrays.x as Float32Array;
  const y = arrays.y as Float32Array;
  const index = arrays.index as Uint32Array;
  const n = x.length;
  const positions = new Float32Array(2 * n);
  const ids = new Float64Array(n);
  let xmin = Infinity;
  let ymin = Infinity;
  let xmax = -Infinity;
  let ymax = -Infinity;
  for (let i = 0; i < n; i++) {
    const px = x[i];
    const py = y[i];
    positions[2 * i] = px;
    positions[2 * i + 1] = py;
    if (index[i] >= sorted.length) {
      throw new Error('a map point refers to a sample the dataset lacks');
    }
    ids[i] = sorted[index[i]];
    xmin = px < xmin ? px : xmin;
    xmax = px > xmax ? px : xmax;
    ymin = py < ymin ? py : ymin;
    ymax = py > ymax ? py : ymax;
  }
  const bounds: [number, number, number, number] =
    n > 0 ? [xmin, ymin, xmax, ymax] : [0, 0, 1, 1];
  return { header, count: n, positions, ids, bounds };
}

/** A field's per-point values (numeric or categorical codes). */
export type PointValues =
  | {
      kind: 'numeric';
      field: string;
      values: Float32Array;
      min: number;
      max: number;
      header: { [key: string]: any };
    }
  | {
      kind: 'categorical';
      field: string;
      codes: Uint16Array;
      legend: ILegendEntry[];
      nullCode: number;
      header: { [key: string]: any };
    };

/** Values of a values frame (`GET .../values?field=`). */
export function decodeValues(buffer: ArrayBuffer): PointValues {
  const { magic, header, arrays } = decodeFrame(buffer);
  if (magic !== VALUES_MAGIC) {
    throw new Error('expected a values frame');
  }
  if (header.type === 'numeric') {
    const values = arrays.values as Float32Array;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === v) {
        min = v < min ? v : min;
        max = v > max ? v : max;
      }
    }
    return { kind: 'numeric', field: header.field, values, min, max, header };
  }
  return {
    kind: 'categorical',
    field: header.field,
    codes: arrays.values as Uint16Array,
    legend: header.legend ?? [],
    nullCode: header.null_code ?? 65535,
    header
  };
}

/** Sample ids of an `application/octet-stream` select answer (int64 LE). */
export function decodeIds(buffer: ArrayBuffer): Float64Array {
  const view = new DataView(buffer);
  const n = Math.floor(buffer.byteLength / 8);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(view.getBigInt64(8 * i, true));
  }
  return out;
}

/** Index of each id of `wanted` among the sorted point `ids`, or -1 (binary search). */
export function pointIndices(
  ids: Float64Array,
  wanted: ArrayLike<number>
): Int32Array {
  const out = new Int32Array(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    const id = wanted[i];
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    out[i] = lo < ids.length && ids[lo] === id ? lo : -1;
  }
  return out;
}
