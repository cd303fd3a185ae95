/**
 * The per-point flags byte the points layer reads: bit 0 the point matches
 * the filter, bit 1 it is selected. Rebuilt (n bytes) when the filter or the
 * selection changes; positions and colours stay on the GPU.
 */
import { pointIndices } from '../../api/mapWire';

/** Bit of the flags byte: the point matches the current filter. */
export const FLAG_IN_FILTER = 1;
/** Bit of the flags byte: the point is selected. */
export const FLAG_SELECTED = 2;

/** Which points are selected: the point indices, or every filtered one. */
export type PointSelection = Int32Array | 'all';

/**
 * Flags of `count` points. `inFilter`: indices of the points matching the
 * filter (null: no filter, all match); `selected`: see `PointSelection`.
 */
export function buildFlags(
  count: number,
  inFilter: Int32Array | null,
  selected: PointSelection | null
): Uint8Array {
  const flags = new Uint8Array(count);
  if (inFilter === null) {
    flags.fill(FLAG_IN_FILTER);
  } else {
    for (let k = 0; k < inFilter.length; k++) {
      if (inFilter[k] >= 0) {
        flags[inFilter[k]] = FLAG_IN_FILTER;
      }
    }
  }
  if (selected === 'all') {
    for (let i = 0; i < count; i++) {
      if (flags[i] & FLAG_IN_FILTER) {
        flags[i] |= FLAG_SELECTED;
      }
    }
  } else if (selected) {
    for (let k = 0; k < selected.length; k++) {
      if (selected[k] >= 0) {
        flags[selected[k]] |= FLAG_SELECTED;
      }
    }
  }
  return flags;
}

/** Point indices of the selected sample ids (ids not on the map are left out). */
export function selectedPoints(
  pointIds: Float64Array,
  selectedIds: Iterable<number>
): Int32Array {
  const sorted = Float64Array.from(selectedIds).sort();
  return pointIndices(pointIds, sorted);
}
