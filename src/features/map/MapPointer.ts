/**
 * Pointer work on the map: lasso and rectangle drawing (an SVG overlay),
 * hover (nearest point from the spatial index, thumbnail and a few fields),
 * click to open a sample, and thumbnails instead of dots when few points are
 * in view. Selection answers are combined here (Shift adds, Alt subtracts).
 */
import { clear, h } from '../../base/dom';
import { IVisionLensModel } from '../../model/tokens';
import {
  boundsOf,
  combineSelection,
  LassoPath,
  modeFromModifiers,
  Point,
  rectFromCorners,
  SelectMode,
  toData
} from './lasso';
import { MapCanvas } from './MapCanvas';
import { MapTool } from './MapControls';
import { SpatialIndex } from './spatialIndex';
import { MapShape } from '../../api/mapTypes';
import { IMapPoints } from '../../api/mapWire';
import { getSample, imageUrl } from '../../model/sources/samples';
import { visibleText } from '../../base/dataText';

const SVG = 'http://www.w3.org/2000/svg';
/** Hover radius in pixels. */
const HOVER_PX = 8;
/** Points in view below which points are drawn round and larger. */
const RICH_POINTS = 20000;
/** Thumbnail edge in pixels. */
const THUMB_PX = 56;

export interface IMapPointerOptions {
  body: HTMLElement;
  canvas: MapCanvas;
  model: IVisionLensModel;
  thumbnailLimit: number;
  points: () => IMapPoints | null;
  index: () => SpatialIndex | null;
  visible: (i: number) => boolean;
  valueText: (i: number) => string | null;
  onShape: (shape: MapShape, mode: SelectMode) => void;
  onOpen: (sampleId: number) => void;
  onZoomed: (rich: boolean) => void;
}

export class MapPointer {
  tool: MapTool = 'pan';
  thumbnailLimit: number;
  /** Ids this object just set as the selection (the widget tells its own changes apart). */
  pendingIds: Float64Array | null = null;

  constructor(private readonly _o: IMapPointerOptions) {
    this.thumbnailLimit = _o.thumbnailLimit;
    this._svg = document.createElementNS(SVG, 'svg');
    this._svg.classList.add('jp-VisionLens-mapOverlay');
    this._path = document.createElementNS(SVG, 'path');
    this._path.classList.add('jp-VisionLens-mapLasso');
    this._svg.appendChild(this._path);
    _o.body.append(this._thumbs, this._svg, this._tooltip);
    this._tooltip.hidden = true;
    const body = _o.body;
    body.addEventListener('pointerdown', this._down, true);
    body.addEventListener('pointermove', this._move);
    body.addEventListener('pointerup', this._up, true);
    body.addEventListener('pointerleave', () => this._hover(-1));
  }

  /** Combine a shape's ids with the selection and set it on the model. */
  applySelection(ids: Float64Array, mode: SelectMode): void {
    const model = this._o.model;
    const current =
      model.selection.mode === 'ids' ? model.selection.ids : new Set<number>();
    this.pendingIds = ids;
    model.setSelection(combineSelection(current, ids, mode));
    this.pendingIds = null;
  }

  /** Bounds of the points whose flags have `bit`. */
  boundsOfFlag(
    flags: Uint8Array,
    bit: number
  ): [number, number, number, number] | null {
    const points = this._o.points();
    if (!points) {
      return null;
    }
    const chosen: number[] = [];
    for (let i = 0; i < flags.length; i++) {
      if (flags[i] & bit) {
        chosen.push(i);
      }
    }
    return boundsOf(points.positions, chosen);
  }

  /** The view moved or what is shown changed: thumbnails and point style follow. */
  viewChanged(): void {
    if (this._frame) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._layoutThumbs();
    });
  }

  dispose(): void {
    cancelAnimationFrame(this._frame);
  }

  private _layoutThumbs(): void {
    const index = this._o.index();
    const points = this._o.points();
    const dataset = this._o.model.dataset;
    if (!index || !points || !dataset) {
      clear(this._thumbs);
      return;
    }
    const view = this._o.canvas.viewBounds();
    const rich = index.within(view, RICH_POINTS, this._o.visible);
    this._o.onZoomed(rich !== null);
    // Thumbnails once zoomed in: a small map seen whole stays dots.
    const few =
      this.thumbnailLimit > 0 &&
      rich !== null &&
      rich.length <= this.thumbnailLimit &&
      rich.length < points.count;
    this._thumbs.hidden = !few;
    if (!few) {
      clear(this._thumbs);
      this._thumbMap.clear();
      return;
    }
    const keep = new Set<number>();
    for (const i of rich) {
      const id = points.ids[i];
      keep.add(id);
      let img = this._thumbMap.get(id);
      if (!img) {
        img = h('img', {
          className: 'jp-VisionLens-mapThumb',
          attrs: { alt: '', loading: 'lazy', 'data-sample-id': String(id) }
        });
        img.src = imageUrl(this._o.model, dataset, id, 128);
        this._thumbMap.set(id, img);
        this._thumbs.appendChild(img);
      }
      const [x, y] = this._o.canvas.project([
        points.positions[2 * i],
        points.positions[2 * i + 1]
      ]);
      img.style.transform = `translate(${Math.round(x - THUMB_PX / 2)}px, ${Math.round(y - THUMB_PX / 2)}px)`;
      img.classList.toggle('jp-mod-selected', this._o.model.isSelected(id));
    }
    for (const [id, img] of this._thumbMap) {
      if (!keep.has(id)) {
        img.remove();
        this._thumbMap.delete(id);
      }
    }
  }

  private _local(e: PointerEvent): Point {
    const r = this._o.body.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private _down = (e: PointerEvent): void => {
    if (e.button !== 0) {
      return;
    }
    this._downAt = this._local(e);
    if (this.tool === 'pan') {
      return;
    }
    e.stopPropagation();
    this._mode = modeFromModifiers(e);
    this._lasso = new LassoPath();
    this._lasso.add(...this._downAt);
    this._o.body.setPointerCapture(e.pointerId);
    this._hover(-1);
  };

  private _move = (e: PointerEvent): void => {
    const p = this._local(e);
    if (this._lasso && this._downAt) {
      if (this.tool === 'lasso') {
        this._lasso.add(...p);
        this._path.setAttribute(
          'd',
          `M${this._lasso.points.map(q => q.join(',')).join('L')}Z`
        );
      } else {
        const [x0, y0, x1, y1] = rectFromCorners(this._downAt, p);
        this._path.setAttribute('d', `M${x0},${y0}H${x1}V${y1}H${x0}Z`);
      }
      return;
    }
    if (e.buttons === 0) {
      this._hoverAt(p);
    }
  };

  private _up = (e: PointerEvent): void => {
    const start = this._downAt;
    this._downAt = null;
    const p = this._local(e);
    if (this._lasso && start) {
      const lasso = this._lasso;
      this._lasso = null;
      this._path.setAttribute('d', '');
      const unproject = (q: Point) => this._o.canvas.unproject(q);
      if (this.tool === 'lasso') {
        lasso.add(...p);
        if (lasso.isValid) {
          this._o.onShape(
            { polygon: toData(lasso.thinned(), unproject) },
            this._mode
          );
        }
      } else if (
        Math.abs(p[0] - start[0]) > 2 &&
        Math.abs(p[1] - start[1]) > 2
      ) {
        const [a, b] = toData([start, p], unproject);
        this._o.onShape({ rect: rectFromCorners(a, b) }, this._mode);
      }
      return;
    }
    if (
      start &&
      Math.hypot(p[0] - start[0], p[1] - start[1]) < 4 &&
      this._hovered >= 0
    ) {
      const points = this._o.points();
      if (points) {
        this._o.onOpen(points.ids[this._hovered]);
      }
    }
  };

  private _hoverAt(p: Point): void {
    const index = this._o.index();
    if (!index) {
      return;
    }
    const [x, y] = this._o.canvas.unproject(p);
    const radius = HOVER_PX / 2 ** this._o.canvas.viewState.zoom;
    this._hover(index.nearest(x, y, radius, this._o.visible), p);
  }

  private _hover(i: number, at?: Point): void {
    this._hovered = i;
    const points = this._o.points();
    const dataset = this._o.model.dataset;
    if (i < 0 || !points || !at || !dataset) {
      this._tooltip.hidden = true;
      return;
    }
    const id = points.ids[i];
    this._tooltip.hidden = false;
    this._tooltip.style.transform = `translate(${Math.round(at[0] + 12)}px, ${Math.round(at[1] + 12)}px)`;
    if (this._tooltip.dataset.sampleId === String(id)) {
      return;
    }
    this._tooltip.dataset.sampleId = String(id);
    clear(this._tooltip);
    const img = h('img', {
      className: 'jp-VisionLens-mapTooltipImage',
      attrs: { alt: '' }
    });
    img.src = imageUrl(this._o.model, dataset, id, 128);
    const name = h('div', {
      className: 'jp-VisionLens-mapTooltipName',
      text: `#${id}`
    });
    const value = this._o.valueText(i);
    this._tooltip.append(img, name, value ? h('div', { text: value }) : '');
    this._sampleAbort?.abort();
    const abort = (this._sampleAbort = new AbortController());
    void getSample(this._o.model, dataset, id, abort.signal)
      .then(sample => {
        name.textContent = visibleText(sample.file_name);
        const labels = [
          ...new Set(
            sample.annotations
              .filter(a => a.source === 'ground_truth')
              .map(a => a.label)
          )
        ];
        this._tooltip.append(
          h('div', {
            text: [sample.split, `${sample.width}×${sample.height}`]
              .filter(Boolean)
              .join(' · ')
          }),
          h('div', { text: labels.slice(0, 6).join(', ') })
        );
      })
      .catch(() => undefined);
  }

  private readonly _svg: SVGSVGElement;
  private readonly _path: SVGPathElement;
  private readonly _thumbs = h('div', { className: 'jp-VisionLens-mapThumbs' });
  private readonly _thumbMap = new Map<number, HTMLImageElement>();
  private readonly _tooltip = h('div', {
    className: 'jp-VisionLens-mapTooltip'
  });
  private _frame = 0;
  private _downAt: Point | null = null;
  private _lasso: LassoPath | null = null;
  private _mode: SelectMode = 'replace';
  private _hovered = -1;
  private _sampleAbort: AbortController | null = null;
}
