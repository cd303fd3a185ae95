/**
 * The click-to-mask tool's state, free of the DOM: the prompt (positive and
 * negative clicks, a box) in image pixels, the server's answer to the latest
 * prompt only (an answer to an older one is dropped), and the operations that
 * keep the mask: a new object, or the mask of an existing one.
 */
import {
  EditBox,
  EditOperation,
  IAnnotation,
  ISegmentMask,
  ISegmentRequest
} from '../../model/tokens';
import { SegmentOutcome } from '../../model/sources/segment';
import { IMaskRaster } from '../../ui/labels/rle';

/** A click of the tool: 1 on the object, 0 not the object. */
export interface IMaskPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

/** Everything clicked and dragged for one mask. */
export interface IMaskPrompt {
  readonly points: readonly IMaskPoint[];
  readonly box: EditBox | null;
}

/** The tool's state: nothing prompted, waiting, a mask, or the server's refusal. */
export type MaskState =
  | { kind: 'idle' }
  /** Asked; `mask` is the previous answer, still shown until the new one comes. */
  | { kind: 'asking'; prompt: IMaskPrompt; mask: ISegmentMask | null }
  | { kind: 'ready'; prompt: IMaskPrompt; mask: ISegmentMask }
  | { kind: 'refused'; prompt: IMaskPrompt; message: string };

/** Asks the server for the mask of a prompt (aborted when a newer one is asked). */
export type AskMask = (
  prompt: IMaskPrompt,
  signal: AbortSignal
) => Promise<SegmentOutcome>;

/**
 * The label a press gives: a right-button or Alt press marks "not the
 * object" (Shift is the stage's pan), any other "on the object".
 */
export function clickLabel(press: { button: number; altKey: boolean }): 0 | 1 {
  return press.button === 2 || press.altKey ? 0 : 1;
}

/** The body of a segment request for `prompt` with `model`. */
export function segmentRequest(
  prompt: IMaskPrompt,
  model: string
): ISegmentRequest {
  const request: ISegmentRequest = {
    model,
    points: prompt.points.map(({ x, y, label }) => ({ x, y, label }))
  };
  if (prompt.box) {
    request.box = prompt.box;
  }
  return request;
}

/** The operation adding `mask` as a new ground-truth object of class `label`. */
export function newObjectOperation(
  mask: ISegmentMask,
  sampleId: number,
  label: string
): EditOperation {
  return { op: 'add', sample_id: sampleId, label, segmentation: mask.mask };
}

/**
 * The operation making `mask` the mask of `object` (its box stays), refused
 * by the server if the object changed since it was shown.
 */
export function maskOfOperation(
  mask: ISegmentMask,
  object: IAnnotation
): EditOperation {
  return {
    op: 'mask',
    annotation_id: object.ann_id,
    segmentation: mask.mask,
    expected: { label: object.label, bbox: object.bbox }
  };
}

/**
 * An SVG path filling the set pixels of `raster` (image pixels): one
 * rectangle per run of set pixels in a row.
 */
export function maskPath(raster: IMaskRaster): string {
  const { step, left, top, width, height, data } = raster;
  const parts: string[] = [];
  for (let row = 0; row < height; row++) {
    let x = 0;
    while (x < width) {
      if (!data[row * width + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && data[row * width + x]) {
        x++;
      }
      const run = (x - start) * step;
      parts.push(
        `M${(left + start) * step} ${(top + row) * step}h${run}v${step}h${-run}z`
      );
    }
  }
  return parts.join('');
}

/** One mask being prompted: each click or box asks again with the whole prompt. */
export class MaskSession {
  constructor(ask: AskMask, changed: () => void) {
    this._ask = ask;
    this._changed = changed;
  }

  get state(): MaskState {
    return this._state;
  }

  /** The prompt so far (empty when idle). */
  get prompt(): IMaskPrompt {
    return this._state.kind === 'idle' ? EMPTY : this._state.prompt;
  }

  /** The mask shown now (the last answer), if any. */
  get mask(): ISegmentMask | null {
    const s = this._state;
    return s.kind === 'ready' || s.kind === 'asking' ? s.mask : null;
  }

  /**
   * A click at `(x, y)` on an image of `width` x `height` pixels: a click
   * outside it is refused here, the prompt kept; the promise ends when the
   * answer (or the refusal) is in.
   */
  click(
    x: number,
    y: number,
    label: 0 | 1,
    width: number,
    height: number
  ): Promise<void> {
    if (x < 0 || y < 0 || x > width || y > height) {
      const message =
        `The click at (${Math.round(x)}, ${Math.round(y)}) is outside the ` +
        `image (${width} × ${height} pixels): click on the image.`;
      this._set({ kind: 'refused', prompt: this.prompt, message });
      return Promise.resolve();
    }
    const prompt = this.prompt;
    return this._request({
      points: [...prompt.points, { x, y, label }],
      box: prompt.box
    });
  }

  /** A box dragged: it replaces the prompt's box. */
  box(box: EditBox): Promise<void> {
    return this._request({ points: this.prompt.points, box });
  }

  /** Drop the last click (else the box); asks again, or ends when nothing is left. */
  undoLast(): Promise<void> {
    const { points, box } = this.prompt;
    const prompt = points.length
      ? { points: points.slice(0, -1), box }
      : { points, box: null };
    if (!prompt.points.length && !prompt.box) {
      this.cancel();
      return Promise.resolve();
    }
    return this._request(prompt);
  }

  /**
   * The mask painted over with the brush: the one kept from now on (a
   * further click asks the model again, from the clicks); only a mask that
   * is in, not one being asked for.
   */
  refine(mask: ISegmentMask): void {
    if (this._state.kind === 'ready') {
      this._set({ kind: 'ready', prompt: this._state.prompt, mask });
    }
  }

  /** Drop the prompt and its mask; whether there was one. */
  cancel(): boolean {
    const had = this._state.kind !== 'idle';
    this._asking?.abort();
    this._asking = null;
    this._set({ kind: 'idle' });
    return had;
  }

  private async _request(prompt: IMaskPrompt): Promise<void> {
    this._asking?.abort();
    const asking = (this._asking = new AbortController());
    this._set({ kind: 'asking', prompt, mask: this.mask });
    let next: MaskState;
    try {
      const outcome = await this._ask(prompt, asking.signal);
      next =
        outcome.kind === 'mask'
          ? { kind: 'ready', prompt, mask: outcome.mask }
          : { kind: 'refused', prompt, message: outcome.message };
    } catch (error) {
      const message = `Could not get a mask: ${(error as Error).message}`;
      next = { kind: 'refused', prompt, message };
    }
    if (this._asking === asking && !asking.signal.aborted) {
      this._asking = null;
      this._set(next);
    }
  }

  private _set(state: MaskState): void {
    this._state = state;
    this._changed();
  }

  private _ask: AskMask;
  private _changed: () => void;
  private _state: MaskState = { kind: 'idle' };
  private _asking: AbortController | null = null;
}

const EMPTY: IMaskPrompt = { points: [], box: null };
