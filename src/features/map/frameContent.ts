/**
 * What a frame of the map draws, kept between frames: the level of detail
 * (pixelLod.ts: the points and the count each stands for) or, in the density
 * view, the per-pixel image (densitySplat.ts). Each is cached on what it
 * depends on, so a pan recomputes only the density image.
 */
import { IDensityImage } from './DensityLayer';
import { splatDensity } from './densitySplat';
import { FilterMode } from './PointsLayer';
import {
  Bounds,
  boundsOfPositions,
  drawOrder,
  ILod,
  ILodStyle,
  lodLevel,
  pixelLod
} from './pixelLod';

/** What the layer draws; arrays are uploaded only when their object changes. */
export interface IPointsData {
  count: number;
  positions: Float32Array;
  colors: Uint8Array;
  flags: Uint8Array;
}

/** How the points look. */
export interface IDrawOptions {
  pointSize: number;
  filterMode: FilterMode;
  hasSelection: boolean;
  density: boolean;
  round: boolean;
  /** Reduce while zoomed out: one point per tier and pixel cell
   * (pixelLod.ts), the density view added up per pixel (densitySplat.ts);
   * off draws every point (the benchmark compares the two pictures). */
  lod: boolean;
}

/** The points to draw: `indices` in draw order (null: all, in index order)
 * and, with a level of detail, how many points each stands for. */
export type FramePoints =
  ILod | { indices: Uint32Array | null; counts?: never };

/** Whether the density view is drawn as per-pixel sums (zoomed out, reducing). */
export function splatting(draw: IDrawOptions): boolean {
  return draw.density && !draw.round && draw.lod;
}

export class FrameContent {
  /**
   * The points to draw: one per tier and pixel cell while zoomed out and
   * small; every point, in draw order, otherwise. Cached per data, flags,
   * style and level, so a pan costs nothing here.
   */
  points(data: IPointsData, draw: IDrawOptions, zoom: number): FramePoints {
    const { hasSelection, filterMode, round, lod } = draw;
    const style: ILodStyle = { dim: filterMode === 'dim', hasSelection };
    const reduce = lod && !round;
    const key = `${reduce ? lodLevel(zoom) : 'all'}|${style.dim}|${hasSelection}`;
    const cached = this._lod;
    if (
      cached &&
      cached.positions === data.positions &&
      cached.flags === data.flags &&
      cached.key === key
    ) {
      return cached.result;
    }
    const bounds =
      cached && cached.positions === data.positions
        ? cached.bounds
        : boundsOfPositions(data.positions, data.count);
    const reduced = reduce
      ? pixelLod(
          data.positions,
          data.count,
          data.flags,
          bounds,
          lodLevel(zoom),
          style
        )
      : null;
    const result = reduced ?? {
      indices: drawOrder(data.flags, data.count, style)
    };
    this._lod = {
      positions: data.positions,
      flags: data.flags,
      key,
      bounds,
      result
    };
    return result;
  }

  /** The density image of a view (`width` x `height` device pixels),
   * cached per data, style and view. */
  densityImage(
    data: IPointsData,
    draw: IDrawOptions,
    view: { target: number[]; zoom: number },
    width: number,
    height: number
  ): IDensityImage {
    const { pointSize, filterMode, hasSelection } = draw;
    const [cx, cy] = view.target;
    const key = `${width}x${height}|${cx}|${cy}|${view.zoom}|${pointSize}|${filterMode}|${hasSelection}`;
    const cached = this._density;
    if (
      cached &&
      cached.key === key &&
      cached.positions === data.positions &&
      cached.colors === data.colors &&
      cached.flags === data.flags
    ) {
      return cached.image;
    }
    const { rgba, samples } = splatDensity(
      data,
      { centerX: cx, centerY: cy, scale: 2 ** view.zoom, width, height },
      { pointSize, dim: filterMode === 'dim', hasSelection },
      cached?.samples
    );
    const image = { width, height, data: rgba };
    this._density = {
      key,
      positions: data.positions,
      colors: data.colors,
      flags: data.flags,
      samples,
      image
    };
    return image;
  }

  private _lod: {
    positions: Float32Array;
    flags: Uint8Array;
    key: string;
    bounds: Bounds;
    result: FramePoints;
  } | null = null;
  private _density: {
    key: string;
    positions: Float32Array;
    colors: Uint8Array;
    flags: Uint8Array;
    samples: Int32Array;
    image: IDensityImage;
  } | null = null;
}
