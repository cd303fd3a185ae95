/**
 * The sample grid's tiles: a sample's image, labels (masks, keypoints, boxes,
 * classification chips), caption, score badge and the tile overlays of other
 * extensions. Everything from the dataset is text.
 */
import { ISample, IVisionLensModel } from '../../model/tokens';
import {
  ALL_LABEL_TYPES,
  KeypointClasses,
  LabelType,
  LabelTypeToggles
} from '../../model/labels';
import { classSummary } from '../../ui/labels/boxes';
import { countsText, labelCounts } from '../../model/labelCounts';
import {
  createLabelLayers,
  drawSampleLabels,
  ILabelLayers
} from '../../ui/labels/sampleLabels';
import { FrameQueue } from '../../ui/labels/frameQueue';
import { ITileRenderer } from '../../ui/virtualGrid/VirtualGrid';
import { fmtValue, h, sampleField } from '../../base/dom';
import { renderTileOverlays } from '../../ui/contributions';
import { fmtScore } from '../../model/similarity';
import { imageUrl, maskUrl } from '../../model/sources/samples';
import { SemanticMasks } from '../../ui/labels/semanticMasks';
import { sampleCaption } from '../../model/captions';
import { visibleText } from '../../base/dataText';

/** A tile element with its parts and the sample it shows. */
export interface ITileEl extends HTMLDivElement {
  _sampleId?: number;
  _img?: HTMLImageElement;
  _labels?: ILabelLayers;
  /** The sample's semantic and panoptic masks, over the image. */
  _masks?: SemanticMasks;
  /** The drawing of its canvas for the sample shown now, if it has one. */
  _drawCanvas?: () => void;
  /** The layer of the registered tile overlays (other extensions). */
  _ext?: HTMLDivElement;
  _caption?: HTMLDivElement;
  _score?: HTMLDivElement;
}

/**
 * The smallest tile (CSS px) whose boxes carry their class names: on a smaller
 * one a name covers most of a typical box.
 */
const NAMED_TILE_SIZE = 120;
/** The text size (CSS px) of a tile's box names: smaller than the sample view's. */
const TILE_LABEL_SIZE = 10;
/** The longer side (px) of a tile's image and masks, as the server makes them. */
const TILE_PICTURE_SIZE = 256;

/** Draws samples into the grid's tiles. */
export class SampleTileRenderer implements ITileRenderer<ISample, ITileEl> {
  constructor(private readonly _model: IVisionLensModel) {}

  /** Similarity scores by sample id (a search's results), shown as a badge. */
  scores: ReadonlyMap<number, number> = new Map();
  /** The rankings that found each result of a fused text search ("CLIP + caption"). */
  sources: ReadonlyMap<number, string> = new Map();

  /** The label types drawn (the grid's toggles). */
  labelTypes: ReadonlySet<LabelType> = ALL_LABEL_TYPES;
  /** Draw only the labels that match the filter (see `LabelTypeToggles`). */
  onlyMatching = true;
  /** Colour boxes by evaluation status (the rows then carry it). */
  evalColours = false;
  /** Write the boxes' classes on tiles large enough to read them. */
  names = true;

  /**
   * Draw what the grid's toggles say; true when the TP/FP/FN colours were
   * turned on or off (the rows must then be fetched with or without the
   * boxes' statuses).
   */
  follow(toggles: LabelTypeToggles): boolean {
    const refetch = toggles.evalColours !== this.evalColours;
    this.labelTypes = toggles.shown;
    this.onlyMatching = toggles.onlyMatching;
    this.evalColours = toggles.evalColours;
    this.names = toggles.names;
    return refetch;
  }

  /** The dataset's keypoint classes (skeletons). */
  keypointClasses: KeypointClasses = new Map();

  /**
   * The tiles' mask and keypoint canvases, drawn a few per frame: a screen
   * of them at once made long tasks while scrolling (issue #26).
   */
  private readonly _canvasQueue = new FrameQueue<ITileEl>();

  create(cell: HTMLDivElement): ITileEl {
    const el = cell as ITileEl;
    el.classList.add('jp-VisionLens-tile');
    const img = h('img', { className: 'jp-VisionLens-tileImage' });
    img.alt = '';
    img.decoding = 'async';
    img.draggable = false;
    const labels = createLabelLayers();
    const masks = new SemanticMasks();
    const ext = h('div', { className: 'jp-VisionLens-tileExt' });
    const caption = h('div', { className: 'jp-VisionLens-tileCaption' });
    caption.hidden = true;
    const score = h('div', { className: 'jp-VisionLens-tileScore' });
    score.hidden = true;
    el.append(
      img,
      masks.node,
      labels.canvas,
      labels.svg,
      labels.chips,
      ext,
      caption,
      score,
      h('div', { className: 'jp-VisionLens-tileCheck' })
    );
    el._img = img;
    el._labels = labels;
    el._masks = masks;
    el._ext = ext;
    el._caption = caption;
    el._score = score;
    return el;
  }

  fill(el: ITileEl, sample: ISample | null, tile: number): void {
    const model = this._model;
    if (!sample) {
      this._clear(el, tile);
      return;
    }
    if (el._sampleId !== sample.sample_id) {
      el._sampleId = sample.sample_id;
      el.dataset.sampleId = String(sample.sample_id);
      // A plain HTTP URL: the browser caches and frees it (no blob URLs).
      (el._img as HTMLImageElement).src = imageUrl(
        model,
        model.dataset as string,
        sample.sample_id,
        TILE_PICTURE_SIZE
      );
    }
    // loaded again only when they change (a model's masks ingested meanwhile)
    el._masks?.show(
      (sample.mask_sources ?? []).map(source => ({
        source,
        url: maskUrl(
          model,
          model.dataset as string,
          sample.sample_id,
          source,
          TILE_PICTURE_SIZE
        )
      }))
    );
    const score = this.scores.get(sample.sample_id) ?? null;
    const badge = el._score as HTMLDivElement;
    const found = this.sources.get(sample.sample_id) ?? null;
    badge.textContent =
      score === null ? '' : fmtScore(score) + (found ? ` · ${found}` : '');
    badge.title = found ? `Matched by ${found}` : '';
    badge.hidden = score === null;
    if (score === null) {
      delete el.dataset.score;
    } else {
      el.dataset.score = String(score);
    }
    el.setAttribute('aria-label', visibleText(sample.file_name));
    const caption = el._caption as HTMLDivElement;
    const shown = model.visibleFields
      .map(name => fmtValue(sampleField(sample as any, name)))
      .filter(v => v !== '');
    caption.textContent = visibleText(shown.join(' · '));
    caption.hidden = shown.length === 0;
    this._drawLabels(el, sample, tile);
    renderTileOverlays(model, el._ext as HTMLDivElement, sample, tile);
  }

  /** No sample (loading, past the end): an empty tile. */
  private _clear(el: ITileEl, tile: number): void {
    if (el._sampleId === undefined) {
      return;
    }
    el._sampleId = undefined;
    delete el.dataset.sampleId;
    el._img?.removeAttribute('src');
    el._masks?.show([]);
    this._drawLabels(el, null, tile);
    renderTileOverlays(this._model, el._ext as HTMLDivElement, null, tile);
    (el._caption as HTMLDivElement).hidden = true;
    (el._score as HTMLDivElement).hidden = true;
    delete el.dataset.score;
  }

  /**
   * Draw a tile's labels: boxes and chips now, masks and keypoints in a
   * coming frame (`data-labels-pending` on the tile until then). RLE masks
   * are sampled down to the tile's pixels and made lazily; the tile is drawn
   * again when they are ready, if it still shows the same sample.
   */
  private _drawLabels(el: ITileEl, sample: ISample | null, tile: number): void {
    el._masks?.update(this.labelTypes.has('label_maps'), source =>
      this._model.isSourceVisible(source)
    );
    this._canvasQueue.cancel(el);
    delete el.dataset.labelsPending;
    const ratio = window.devicePixelRatio || 1;
    const longest = Math.max(sample?.width ?? 0, sample?.height ?? 0);
    el._drawCanvas = undefined;
    drawSampleLabels(el._labels as ILabelLayers, this._model, sample, {
      displaySize: tile,
      strokeWidth: tile >= 160 ? 2 : 1.5,
      shown: this.labelTypes,
      onlyMatching: this.onlyMatching,
      evalColours: this.evalColours,
      labels: this.names && tile >= NAMED_TILE_SIZE,
      labelSize: TILE_LABEL_SIZE,
      keypointClasses: this.keypointClasses,
      layout: { cssWidth: tile, cssHeight: tile, pixelRatio: ratio },
      compact: true,
      maskStep: Math.max(1, Math.floor(longest / (tile * ratio))),
      deferCanvas: draw => {
        el._drawCanvas = draw;
        this._queueCanvas(el, draw);
      },
      // The boxes are drawn already: only the canvas again (its latest drawing).
      onMaskReady: sample
        ? () => {
            if (el._sampleId === sample.sample_id && el._drawCanvas) {
              this._queueCanvas(el, el._drawCanvas);
            }
          }
        : null
    });
  }

  /** Draw a tile's canvas in a coming frame. */
  private _queueCanvas(el: ITileEl, draw: () => void): void {
    el.dataset.labelsPending = '';
    this._canvasQueue.put(el, () => {
      delete el.dataset.labelsPending;
      draw();
    });
  }
}

/**
 * Fill the hover summary: file name and size, the label counts of the ground
 * truth and of the visible models (boxes, masks, keypoints, classifications),
 * the box classes, tags and the shown fields.
 */
export function fillTooltip(
  tip: HTMLElement,
  model: IVisionLensModel,
  sample: ISample
): void {
  const summary = classSummary(model, sample.annotations ?? []);
  const counts = labelCounts(model, sample);
  const size =
    sample.width && sample.height ? `${sample.width}×${sample.height}` : '';
  const line = (text: string) => h('div', { text });
  const { predictions } = counts;
  const predicted =
    predictions.boxes || predictions.label_maps || predictions.classifications
      ? line(`predictions: ${countsText(predictions)}`)
      : '';
  const caption = sampleCaption(sample);
  tip.replaceChildren(
    h('div', {
      className: 'jp-VisionLens-tooltipTitle',
      text: sample.file_name
    }),
    size ? line(size) : '',
    caption === null
      ? ''
      : h('div', { className: 'jp-VisionLens-tooltipCaption', text: caption }),
    line(`ground truth: ${countsText(counts.groundTruth)}`),
    predicted,
    summary.text ? line(summary.text) : '',
    sample.tags?.length ? line(`tags: ${sample.tags.join(', ')}`) : '',
    ...model.visibleFields.map(name =>
      line(`${name}: ${fmtValue(sampleField(sample as any, name))}`)
    )
  );
}
