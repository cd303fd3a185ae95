/**
 * The SVG overlay of labels over an image, shared by the grid tiles and the
 * sample view, and the renderers that draw into it, one per label kind. The
 * SVG uses the image's pixel size as viewBox with the same letterboxing as
 * the `object-fit: contain` image under it, so labels line up at every size.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Create an empty overlay element. */
export function createOverlay(className: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', className);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  svg.setAttribute('aria-hidden', 'true');
  return svg;
}

/** Create an SVG element of the overlay. */
export function svgElement<K extends keyof SVGElementTagNameMap>(
  name: K
): SVGElementTagNameMap[K] {
  return document.createElementNS(SVG_NS, name);
}

/** How labels look: the model's visible sources, threshold and colours. */
export interface ILabelStyle {
  isBoxVisible(source: string, score: number | null): boolean;
  classColor(label: string): string;
}

/**
 * A part of an image, `[x, y, w, h]` in its pixels: what a view shows of it
 * (a patch tile shows the object's crop).
 */
export type ImageRegion = readonly [number, number, number, number];

/** What a caller asks of an overlay. */
export interface IOverlayOptions {
  /** Pixel size of the element on screen (to keep strokes ~constant). */
  displaySize: number;
  /** Draw class (+ score) labels. */
  labels?: boolean;
  /** Their text size in screen pixels (12 when not given). */
  labelSize?: number;
  /** Stroke width in screen pixels. */
  strokeWidth?: number;
  /**
   * Colour boxes by their evaluation status (`status`: TP/FP/FN) instead of
   * their class (`evalColours.ts`).
   */
  evalColours?: boolean;
  /** The part of the image shown (a crop); the whole image when absent. */
  region?: ImageRegion;
}

/**
 * Set an attribute only when its value changes: a tile's overlay is drawn
 * again for every sample it shows, and most attributes stay the same.
 */
export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) {
    el.setAttribute(name, value);
  }
}

/**
 * The elements an overlay had before a draw, handed out again in order: a
 * grid tile's overlay keeps its elements from sample to sample and changes
 * only their attributes (no element made or dropped while scrolling).
 */
export class SvgReuse {
  constructor(private readonly _overlay: SVGSVGElement) {
    this._old = [...(_overlay.children as HTMLCollectionOf<SVGElement>)];
  }

  /**
   * The next element of the overlay if it is a `name`, else a new one put in
   * its place; it is in the overlay either way.
   */
  next<K extends keyof SVGElementTagNameMap>(name: K): SVGElementTagNameMap[K] {
    const old = this._old[this._at];
    if (old && old.localName === name) {
      this._at++;
      return old as SVGElementTagNameMap[K];
    }
    const el = svgElement(name);
    this._overlay.insertBefore(el, old ?? null);
    return el;
  }

  /** Remove the old elements not handed out. */
  finish(): void {
    for (const el of this._old.slice(this._at)) {
      el.remove();
    }
    this._old = [];
    this._at = 0;
  }

  private _old: SVGElement[];
  private _at = 0;
}

/** What a renderer draws with. */
export interface ILabelDrawOptions extends IOverlayOptions {
  style: ILabelStyle;
  /** Image pixels per screen pixel. */
  unit: number;
  /** Stroke width in image pixels. */
  stroke: number;
  /** The image's width and height in pixels (the overlay's user units). */
  width: number;
  height: number;
  /**
   * The overlay's elements of the last draw, to reuse in order (what a
   * renderer does not take is removed after the draw).
   */
  reuse: SvgReuse;
}

/** Draws the labels of one kind into an overlay. */
export interface ILabelRenderer<L> {
  /** The label kind it draws (`src/model/labels.ts`). */
  readonly kind: string;
  /**
   * Add the visible `labels` to `overlay` (new elements appended, or taken
   * from `options.reuse`); returns how many were drawn.
   */
  draw(
    overlay: SVGSVGElement,
    labels: readonly L[],
    options: ILabelDrawOptions
  ): number;
}

/**
 * Label renderers by kind. `draw` fits the overlay to the image, hands each
 * kind's labels to its renderer (a kind with none is skipped) and removes
 * what was drawn before and not reused.
 */
export class LabelRenderers<L> {
  constructor(
    private readonly _kindOf: (label: L) => string,
    renderers: readonly ILabelRenderer<L>[] = []
  ) {
    renderers.forEach(r => this.register(r));
  }

  /** Draw labels of `renderer.kind` with it (replaces one of that kind). */
  register(renderer: ILabelRenderer<L>): void {
    this._byKind.set(renderer.kind, renderer);
  }

  /** The renderer of a kind, if any. */
  get(kind: string): ILabelRenderer<L> | undefined {
    return this._byKind.get(kind);
  }

  /**
   * Draw the labels of an image of `width` × `height` px (null: unknown,
   * nothing drawn), or of the part `options.region` of it. Returns how many
   * labels were drawn.
   */
  draw(
    overlay: SVGSVGElement,
    style: ILabelStyle,
    width: number | null,
    height: number | null,
    labels: readonly L[],
    options: IOverlayOptions
  ): number {
    const reuse = new SvgReuse(overlay);
    if (!width || !height) {
      reuse.finish();
      overlay.removeAttribute('viewBox');
      return 0;
    }
    const [x, y, w, h] = options.region ?? [0, 0, width, height];
    setAttr(overlay, 'viewBox', `${x} ${y} ${w} ${h}`);
    // User units per screen pixel (the part shown is scaled to fit displaySize).
    const unit = Math.max(w, h) / Math.max(1, options.displaySize);
    const draw: ILabelDrawOptions = {
      ...options,
      style,
      unit,
      stroke: (options.strokeWidth ?? 2) * unit,
      width,
      height,
      reuse
    };
    let drawn = 0;
    for (const [kind, ofKind] of this._byKindOf(labels)) {
      const renderer = this._byKind.get(kind);
      if (renderer) {
        drawn += renderer.draw(overlay, ofKind, draw);
      }
    }
    reuse.finish();
    return drawn;
  }

  /** The labels grouped by kind, in order (all of one kind: the same array). */
  private _byKindOf(labels: readonly L[]): Map<string, readonly L[]> {
    if (labels.length === 0) {
      return new Map();
    }
    const first = this._kindOf(labels[0]);
    if (labels.every(label => this._kindOf(label) === first)) {
      return new Map([[first, labels]]);
    }
    const groups = new Map<string, L[]>();
    for (const label of labels) {
      const kind = this._kindOf(label);
      const group = groups.get(kind);
      if (group) {
        group.push(label);
      } else {
        groups.set(kind, [label]);
      }
    }
    return groups;
  }

  private readonly _byKind = new Map<string, ILabelRenderer<L>>();
}
