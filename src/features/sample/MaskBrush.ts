/**
 * The mask brush and eraser layer of the sample stage: a drag under the
 * `brush` tool paints, under `erase` clears, the pixels within half the
 * brush's size of its path (`brushRaster`), drawn as a round stroke while
 * dragging. The stroke goes to the click-to-mask mask being prompted when
 * there is one (it refines it before it is kept), else to the selected
 * object: one edit per stroke through the edit log (undone like any other),
 * a box without a mask getting one. The size is set beside the tools (and
 * with [ and ]).
 */
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { EditOutcome } from '../../model/sources/edits';
import { EditOperation, IAnnotation } from '../../model/tokens';
import { toolbarItem } from '../../ui/toolbar';
import { MaskSession } from './maskPrompt';
import {
  BRUSH_SIZES,
  brushOperation,
  MaskBitmap,
  nextBrushSize
} from './brushRaster';
import { IStagePointer, StageTool } from './stagePointer';
import { fitLayer } from './shapeDrawing';

const SVG = 'http://www.w3.org/2000/svg';

/** What the brush needs of the view. */
export interface IBrushHost {
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** The selected object, if any. */
  readonly selection: IAnnotation | null;
  /** The click-to-mask prompt, whose mask a stroke refines when there is one. */
  readonly session: MaskSession;
  /** Apply a batch on the sample shown (the outcome is shown by the host). */
  apply(operations: EditOperation[]): Promise<EditOutcome | null>;
  /** Say why a stroke did nothing. */
  say(text: string): void;
}

/** The brush and eraser of one sample view. */
export class MaskBrush implements IStagePointer {
  constructor(host: IBrushHost) {
    this._host = host;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-brushLayer');
    this._sizeInput = h('input', {
      className: 'jp-VisionLens-brushSize',
      attrs: {
        type: 'range',
        min: '0',
        max: String(BRUSH_SIZES.length - 1),
        step: '1',
        'aria-label': 'Brush size (image pixels; [ and ] change it)'
      }
    });
    this._sizeText = h('span', { className: 'jp-VisionLens-brushSizeText' });
    this._sizeInput.addEventListener('input', () => {
      this.size = BRUSH_SIZES[Number(this._sizeInput.value)];
    });
    const label = h('label', { className: 'jp-VisionLens-brushSizeItem' });
    label.append('Size', this._sizeInput, this._sizeText);
    this.sizeItem = toolbarItem('jp-VisionLens-brushSizeControl', label);
    this.size = 16;
  }

  readonly node: SVGSVGElement;
  /** The size control, for the edit toolbar. */
  readonly sizeItem: Widget;

  /** The brush's diameter in image pixels. */
  get size(): number {
    return this._size;
  }

  set size(size: number) {
    this._size = Math.max(1, Math.round(size));
    const step = BRUSH_SIZES.findIndex(s => s >= this._size);
    this._sizeInput.value = String(step < 0 ? BRUSH_SIZES.length - 1 : step);
    this._sizeText.textContent = `${this._size} px`;
    this.node.dataset.size = String(this._size);
    this.render(this._scale);
  }

  /** One step smaller (-1) or larger (+1). */
  resize(by: -1 | 1): void {
    this.size = nextBrushSize(this._size, by);
  }

  down(x: number, y: number, tool: StageTool): boolean {
    if (tool !== 'brush' && tool !== 'erase') {
      return false;
    }
    const preview = this._host.session.state.kind === 'ready';
    const target = preview ? null : this._host.selection;
    if (!preview && !target) {
      this._host.say(
        'Select an object first (its mask is painted; a box gets one), or ' +
          'click a mask with Click to mask (M) and paint on it.'
      );
      return false;
    }
    this._stroke = {
      points: [[x, y]],
      value: tool === 'brush' ? 1 : 0,
      target
    };
    this.render(this._scale);
    return true;
  }

  move(x: number, y: number): void {
    if (this._stroke) {
      this._stroke.points.push([x, y]);
      this.render(this._scale);
    }
  }

  up(x: number, y: number): void {
    this.move(x, y);
    const stroke = this._stroke;
    if (stroke) {
      void this._keep(stroke).finally(() => {
        if (this._stroke === stroke) {
          this.cancel();
        }
      });
    }
  }

  /** The pointer between strokes: the brush's circle follows it (null: it left). */
  hover(point: [number, number] | null): void {
    this._pointer = point;
    this.render(this._scale);
  }

  cancel(): void {
    this._stroke = null;
    this.render(this._scale);
  }

  /**
   * Draw the stroke so far, or between strokes the brush's circle where the
   * pointer is (its size in image pixels), at `scale` screen pixels per image pixel.
   */
  render(scale: number): void {
    this._scale = scale;
    const [width, height] = this._host.imageSize();
    fitLayer(this.node, width, height);
    const stroke = this._stroke;
    if (!stroke) {
      this.node.replaceChildren(...this._cursor());
      return;
    }
    const path = document.createElementNS(SVG, 'path');
    path.classList.add(
      stroke.value ? 'jp-VisionLens-brushStroke' : 'jp-VisionLens-eraseStroke'
    );
    const [first, ...rest] = stroke.points;
    // a zero-length segment, so that a click draws its dot (round caps)
    path.setAttribute(
      'd',
      `M${first[0]} ${first[1]}L` +
        [first, ...rest].map(([px, py]) => `${px} ${py}`).join(' ')
    );
    path.setAttribute('stroke-width', String(this._size));
    this.node.replaceChildren(path);
  }

  /** The brush's circle at the pointer (none while it is off the stage). */
  private _cursor(): SVGCircleElement[] {
    if (!this._pointer) {
      return [];
    }
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', String(this._pointer[0]));
    c.setAttribute('cy', String(this._pointer[1]));
    c.setAttribute('r', String(this._size / 2));
    c.classList.add('jp-VisionLens-brushCursor');
    return [c];
  }

  /** Paint the stroke into its mask and keep it: the prompt's, or the object's through one edit. */
  private async _keep(stroke: IStroke): Promise<void> {
    const [width, height] = this._host.imageSize();
    const session = this._host.session;
    const prompted = session.mask;
    const target = stroke.target;
    const source = target ? target.segmentation : prompted?.mask;
    const bitmap = MaskBitmap.of(source, width, height);
    if (!bitmap) {
      this._host.say(
        `The mask is not ${width} × ${height} pixels like its image: it cannot be painted.`
      );
      return;
    }
    const changed = bitmap.stroke(stroke.points, this._size / 2, stroke.value);
    if (!changed) {
      return; // erased where nothing was set, painted where all was
    }
    const area = bitmap.area;
    if (!target) {
      if (prompted && area > 0) {
        session.refine({
          ...prompted,
          mask: bitmap.rle(),
          area,
          bbox: bitmap.extent()
        });
      } else if (prompted) {
        this._host.say('The eraser would leave no mask: Escape drops it.');
      }
      return;
    }
    if (area === 0) {
      this._host.say(
        'The eraser would leave the object no mask: delete the object instead (Delete).'
      );
      return;
    }
    await this._host.apply([brushOperation(target, bitmap.rle())]);
  }

  private _host: IBrushHost;
  private _size = 16;
  private _sizeInput: HTMLInputElement;
  private _sizeText: HTMLSpanElement;
  private _stroke: IStroke | null = null;
  private _pointer: [number, number] | null = null;
  private _scale = 1;
}

/** A drag of the brush or eraser: its path in image pixels and what it paints on. */
interface IStroke {
  points: [number, number][];
  /** 1: the brush, 0: the eraser. */
  value: 0 | 1;
  /** The object painted on; null: the click-to-mask prompt's mask. */
  target: IAnnotation | null;
}
