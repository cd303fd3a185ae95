/**
 * Every label of one sample over its image, as the grid tiles and the
 * sample view draw them: masks and keypoints on a canvas, boxes in the SVG
 * above it, classification chips in a corner; each label type only while
 * the view shows it.
 */
import { KeypointClasses, LabelType } from '../../model/labels';
import { IAnnotation, ISample } from '../../model/tokens';
import { h } from '../../base/dom';
import {
  createLabelCanvas,
  drawLabelCanvas,
  ICanvasLayout
} from './canvasLayer';
import { renderChips } from './chips';
import { createOverlay, ILabelStyle, IOverlayOptions } from './overlay';
import { canvasRenderers, labelRenderers } from './registry';

/** The elements labels are drawn into (put them over the image, in order). */
export interface ILabelLayers {
  canvas: HTMLCanvasElement;
  svg: SVGSVGElement;
  chips: HTMLDivElement;
}

/** New, empty label layers. */
export function createLabelLayers(): ILabelLayers {
  const chips = h('div', { className: 'jp-VisionLens-classChips' });
  chips.hidden = true;
  return {
    canvas: createLabelCanvas('jp-VisionLens-labelCanvas'),
    svg: createOverlay('jp-VisionLens-overlay'),
    chips
  };
}

/** How a view draws a sample's labels. */
export interface ISampleLabelsOptions extends IOverlayOptions {
  /** The label types shown. */
  shown: ReadonlySet<LabelType>;
  keypointClasses: KeypointClasses;
  /** Where the canvas is (it covers the image's box). */
  layout: ICanvasLayout;
  /** A tile: thin lines. */
  compact: boolean;
  /** The object whose keypoint names are drawn (the one hovered). */
  namedKeypoints?: IAnnotation | null;
  /** Image pixels per pixel of RLE bitmaps. */
  maskStep: number;
  /** See `ICanvasDrawOptions.onMaskReady`. */
  onMaskReady: (() => void) | null;
  /** Predicted classes shown per model. */
  chipsPerModel?: number;
  /** Leave out the objects a filtered page marks as not matching. */
  onlyMatching?: boolean;
  /**
   * Given: the canvas (masks, keypoints) is cleared now and its drawing is
   * handed to this to run later (a grid spreads its tiles' canvases over
   * frames: `FrameQueue`); its labels are then not counted in the answer.
   * Not called when the canvas has nothing to draw.
   */
  deferCanvas?: (draw: () => void) => void;
}

/**
 * What was drawn, per label type; label maps are not among them: a view lays
 * them over the image with a layer of their own (`semanticMasks.ts`).
 */
export type DrawnLabels = Record<Exclude<LabelType, 'label_maps'>, number>;

/**
 * What is drawn of an image: its size and labels (a sample, or one object:
 * an object's crop has no image-level labels).
 */
export type LabelledImage = Pick<ISample, 'width' | 'height' | 'annotations'> &
  Partial<Pick<ISample, 'classifications'>>;

/**
 * Draw (or, for null, clear) the labels of `sample` into `layers`; with
 * `options.region`, of that part of the image (the layers cover a crop).
 */
export function drawSampleLabels(
  layers: ILabelLayers,
  style: ILabelStyle,
  sample: LabelledImage | null,
  options: ISampleLabelsOptions
): DrawnLabels {
  const width = sample?.width ?? null;
  const height = sample?.height ?? null;
  const all = sample?.annotations ?? [];
  const objects = options.onlyMatching
    ? all.filter(a => a.match !== false)
    : all;
  const { shown } = options;
  const boxes = labelRenderers.draw(
    layers.svg,
    style,
    width,
    height,
    shown.has('boxes') ? objects : [],
    options
  );
  const drawCanvas = (onIt: readonly IAnnotation[]) =>
    drawLabelCanvas(
      layers.canvas,
      canvasRenderers,
      width,
      height,
      onIt,
      { ...options.layout, region: options.region },
      shown,
      {
        style,
        compact: options.compact,
        keypointClasses: options.keypointClasses,
        namedObject: options.namedKeypoints,
        maskStep: options.maskStep,
        onMaskReady: options.onMaskReady
      }
    );
  const { deferCanvas } = options;
  const later =
    deferCanvas &&
    width &&
    height &&
    canvasRenderers.some(r => shown.has(r.type) && objects.some(r.carries));
  // Deferred: the previous sample's masks must not stay under the new boxes.
  const onCanvas = drawCanvas(later ? [] : objects);
  if (later) {
    deferCanvas(() => drawCanvas(objects));
  }
  const chips = renderChips(
    layers.chips,
    style,
    shown.has('classifications') ? sample?.classifications : [],
    options.chipsPerModel
  );
  const drawn = Object.fromEntries(
    canvasRenderers.map(r => [r.type, onCanvas.get(r.type) ?? 0])
  );
  return { ...drawn, boxes, classifications: chips } as DrawnLabels;
}
