/**
 * The deck.gl canvas of the map panel: an orthographic view over the points
 * layer (or, in the density view zoomed out, the density image: see
 * frameContent.ts), zoom/pan, fitting to bounds, and recovery from a lost
 * WebGL context (a new deck on a new canvas, fed the typed arrays kept here).
 */
import { Deck, OrthographicView } from '@deck.gl/core';

import { DensityLayer } from './DensityLayer';
import {
  FrameContent,
  IDrawOptions,
  IPointsData,
  splatting
} from './frameContent';
import { PointsLayer } from './PointsLayer';
import { lodLevel } from './pixelLod';

export type { IDrawOptions, IPointsData } from './frameContent';

type ViewState = { target: [number, number, number]; zoom: number };
type Bounds = [number, number, number, number];

/** Callbacks of the canvas. */
export interface IMapCanvasOptions {
  onViewChange: () => void;
  onContextLost: () => void;
  onContextRestored: () => void;
  /** After every frame drawn, with its CPU time in ms. */
  onFrame?: (ms: number) => void;
}

/** Fraction of the panel the fitted bounds fill. */
const FIT_MARGIN = 0.9;

export class MapCanvas {
  constructor(
    readonly host: HTMLDivElement,
    private readonly _options: IMapCanvasOptions
  ) {
    this._deck = this._create();
  }

  /** The draw options last set. */
  get draw(): IDrawOptions {
    return this._draw;
  }

  /** Times the WebGL context was lost and the canvas rebuilt. */
  get recoveries(): number {
    return this._recoveries;
  }

  /** Points the last frame drew: fewer than the data while zoomed out
   * (one per tier and pixel cell, see pixelLod.ts). */
  get drawnPoints(): number {
    return this._drawn;
  }

  /** The current view (data point at the centre and log2 pixels per unit). */
  get viewState(): ViewState {
    return this._viewState;
  }

  setData(data: IPointsData | null): void {
    this._data = data;
    if (data) {
      // One attribute object per array: deck.gl re-uploads a binary
      // attribute only when this object changes.
      if (data.positions !== this._attrs.getPosition?.value) {
        this._attrs.getPosition = { value: data.positions, size: 2 };
      }
      if (data.colors !== this._attrs.getColor?.value) {
        this._attrs.getColor = {
          value: data.colors,
          size: 4,
          normalized: true
        };
      }
      if (data.flags !== this._attrs.getFlags?.value) {
        this._attrs.getFlags = { value: data.flags, size: 1, normalized: true };
      }
    }
    // Rebuilt with the counts on the next render.
    this._layerData = null;
    this._render();
  }

  setDrawOptions(options: Partial<IDrawOptions>): void {
    this._draw = { ...this._draw, ...options };
    this._render();
  }

  /** Allow or forbid panning by drag (lasso and rectangle tools take the drag). */
  setDragPan(enabled: boolean): void {
    this._dragPan = enabled;
    this._deck.setProps({ controller: this._controller() });
  }

  /** Show `bounds` (data coordinates) in the panel. */
  fitBounds(bounds: Bounds): void {
    const { width, height } = this.size();
    const w = Math.max(bounds[2] - bounds[0], 1e-6);
    const h = Math.max(bounds[3] - bounds[1], 1e-6);
    const scale = Math.min(width / w, height / h) * FIT_MARGIN;
    this._setView({
      target: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 0],
      zoom: Math.log2(Math.max(scale, 1e-9))
    });
  }

  /** Pan by pixels (tests and keyboard). */
  panBy(dx: number, dy: number): void {
    const s = 2 ** this._viewState.zoom;
    const [x, y] = this._viewState.target;
    this._setView({ ...this._viewState, target: [x - dx / s, y + dy / s, 0] });
  }

  /** Panel pixels (from the top left) to data coordinates. */
  unproject(p: [number, number]): [number, number] {
    const { width, height } = this.size();
    const s = 2 ** this._viewState.zoom;
    const [cx, cy] = this._viewState.target;
    return [cx + (p[0] - width / 2) / s, cy - (p[1] - height / 2) / s];
  }

  /** Data coordinates to panel pixels. */
  project(p: [number, number]): [number, number] {
    const { width, height } = this.size();
    const s = 2 ** this._viewState.zoom;
    const [cx, cy] = this._viewState.target;
    return [width / 2 + (p[0] - cx) * s, height / 2 - (p[1] - cy) * s];
  }

  /** The data rectangle in view. */
  viewBounds(): Bounds {
    const { width, height } = this.size();
    const [x0, y1] = this.unproject([0, 0]);
    const [x1, y0] = this.unproject([width, height]);
    return [x0, y0, x1, y1];
  }

  size(): { width: number; height: number } {
    return {
      width: Math.max(1, this.host.clientWidth),
      height: Math.max(1, this.host.clientHeight)
    };
  }

  /** The WebGL canvas (tests reach its context to lose it). */
  get canvas(): HTMLCanvasElement | null {
    return this._deck.getCanvas();
  }

  dispose(): void {
    this._disposed = true;
    this._deck.finalize();
  }

  private _setView(view: ViewState): void {
    const relevel = lodLevel(view.zoom) !== lodLevel(this._viewState.zoom);
    this._viewState = view;
    this._deck.setProps({ viewState: view });
    // The density image is of one view: every view change redraws it.
    if (relevel || splatting(this._draw)) {
      this._render();
    }
    this._options.onViewChange();
  }

  /** The layer's data: the point attributes and the counts of `lod`. */
  private _layerDataFor(
    data: IPointsData,
    counts: Uint8Array | null
  ): { length: number; attributes: object } {
    if (this._layerData && this._layerCounts === counts) {
      return this._layerData;
    }
    // Every point stands for itself when no level of detail is in use.
    const value =
      counts ??
      (this._ones && this._ones.length === data.count
        ? this._ones
        : (this._ones = new Uint8Array(data.count).fill(1)));
    if (value !== this._attrs.getCounts?.value) {
      this._attrs.getCounts = { value, size: 1, normalized: true };
    }
    this._layerCounts = counts;
    this._layerData = { length: data.count, attributes: { ...this._attrs } };
    return this._layerData;
  }

  private _controller() {
    return {
      dragPan: this._dragPan,
      scrollZoom: true,
      doubleClickZoom: false,
      dragRotate: false,
      keyboard: false,
      inertia: false
    };
  }

  private _create(): Deck<OrthographicView> {
    const deck = new Deck<OrthographicView>({
      parent: this.host,
      // y up, as the points layer draws and unproject() reads.
      views: new OrthographicView({ id: 'map', flipY: false }),
      viewState: this._viewState,
      controller: this._controller(),
      // One device pixel per CSS pixel: software GL pays per pixel.
      useDevicePixels: 1,
      parameters: { depthCompare: 'always', depthWriteEnabled: false } as any,
      onViewStateChange: ({ viewState }) => {
        const v = viewState as any;
        this._setView({ target: v.target, zoom: v.zoom });
        return viewState;
      },
      onLoad: () => this._watchContext(),
      onAfterRender: () => {
        if (this._frameStart !== null) {
          this._options.onFrame?.(performance.now() - this._frameStart);
          this._frameStart = null;
        }
      },
      onBeforeRender: () => {
        this._frameStart = performance.now();
      },
      getCursor: ({ isDragging }) =>
        this._dragPan ? (isDragging ? 'grabbing' : 'default') : 'crosshair',
      layers: this._layers()
    });
    return deck;
  }

  private _watchContext(): void {
    const canvas = this._deck.getCanvas();
    if (!canvas || this._watched === canvas) {
      return;
    }
    this._watched = canvas;
    canvas.addEventListener('webglcontextlost', event => {
      // A lost context cannot draw again until restored; rather than wait
      // (a browser may never restore it), rebuild on a fresh canvas.
      event.preventDefault();
      if (this._disposed) {
        return;
      }
      this._options.onContextLost();
      window.setTimeout(() => this._rebuild(), 0);
    });
  }

  private _rebuild(): void {
    if (this._disposed) {
      return;
    }
    this._deck.finalize();
    // The old canvas stays in the host after finalize when deck.gl created it.
    this.host.querySelectorAll('canvas').forEach(c => c.remove());
    this._attrs = {};
    this._watched = null;
    this._recoveries++;
    this._deck = this._create();
    if (this._data) {
      this.setData(this._data);
    }
    this._options.onContextRestored();
  }

  private _layers() {
    const data = this._data;
    if (!data) {
      return [];
    }
    if (splatting(this._draw)) {
      const canvas = this._deck.getCanvas();
      const { width, height } = canvas ?? this.size();
      this._drawn = data.count;
      return [
        new DensityLayer({
          id: 'density',
          image: this._content.densityImage(
            data,
            this._draw,
            this._viewState,
            width,
            height
          ),
          parameters: { blend: false }
        } as any)
      ];
    }
    const lod = this._content.points(data, this._draw, this._viewState.zoom);
    const { indices } = lod;
    const layerData = this._layerDataFor(data, lod.counts ?? null);
    this._drawn = indices ? indices.length : data.count;
    return [
      new PointsLayer({
        id: 'points',
        data: layerData,
        ...this._draw,
        indices,
        parameters: this._blending()
      } as any)
    ];
  }

  /**
   * Additive blending for the density view (the shader premultiplies the
   * colour, so a representative's k-fold colour is not clipped before it is
   * added); no blending at all while every point is opaque (blending is a
   * read-modify-write per fragment: a large share of a frame on software GL).
   */
  private _blending(): object {
    const { density, hasSelection, filterMode } = this._draw;
    if (density) {
      return {
        blend: true,
        // luma.gl sets the factors only with an operation named.
        blendColorOperation: 'add',
        blendAlphaOperation: 'add',
        blendColorSrcFactor: 'one',
        blendColorDstFactor: 'one',
        blendAlphaSrcFactor: 'one',
        blendAlphaDstFactor: 'one'
      };
    }
    return hasSelection || filterMode === 'dim' ? {} : { blend: false };
  }

  private _render(): void {
    this._deck.setProps({ layers: this._layers() });
  }

  private _deck: Deck<OrthographicView>;
  private _viewState: ViewState = { target: [0, 0, 0], zoom: 0 };
  private _data: IPointsData | null = null;
  private _attrs: { [name: string]: any } = {};
  private _layerData: { length: number; attributes: object } | null = null;
  private _layerCounts: Uint8Array | null = null;
  private readonly _content = new FrameContent();
  private _ones: Uint8Array | null = null;
  private _draw: IDrawOptions = {
    pointSize: 2,
    filterMode: 'hide',
    hasSelection: false,
    density: false,
    round: false,
    lod: true
  };
  private _dragPan = true;
  private _drawn = 0;
  private _frameStart: number | null = null;
  private _watched: HTMLCanvasElement | null = null;
  private _recoveries = 0;
  private _disposed = false;
}
