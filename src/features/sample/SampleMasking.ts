/**
 * Click-to-mask in the sample view: the tool's layer on the stage, the model
 * it asks (the setting "Click-to-mask model"), what it says of the mask so
 * far, and keeping the mask through the edit log as one batch per gesture: a
 * new object of the picked class (Enter) or the mask of the selected object
 * (Shift Enter); Escape drops the prompt. The image's embedding is asked for
 * in the background when a sample is shown (and the next two rows' of the
 * view), so the first click only decodes.
 */
import { CommandRegistry } from '@lumino/commands';

import { fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { EditOutcome } from '../../model/sources/edits';
import { samplesAfter } from '../../model/sources/rows';
import { prefetchMasks, segmentMask } from '../../model/sources/segment';
import {
  CommandIDs,
  EditOperation,
  IAnnotation,
  ISample,
  IVisionLensModel
} from '../../model/tokens';
import { MaskBrush } from './MaskBrush';
import { MaskEditor } from './MaskEditor';
import {
  IMaskPrompt,
  maskOfOperation,
  MaskSession,
  newObjectOperation,
  segmentRequest
} from './maskPrompt';

/** What the tool needs of the view's editing. */
export interface IMaskHost {
  /** Apply a batch on the sample shown (the outcome is shown by the host). */
  apply(operations: EditOperation[]): Promise<EditOutcome | null>;
  /** The class picked for a new object ('' when none). */
  readonly pickedClass: string;
  /** The selected object, if any. */
  readonly selection: IAnnotation | null;
}

/** Rows after the shown one whose embeddings are prefetched (←/→ steps to them). */
const PREFETCH_AHEAD = 2;

const COMMANDS = [
  CommandIDs.sampleMaskAccept,
  CommandIDs.sampleMaskToSelected,
  CommandIDs.sampleMaskUndoClick
];

/** The click-to-mask tool of one sample view. */
export class SampleMasking {
  constructor(
    model: IVisionLensModel,
    commands: CommandRegistry,
    host: IMaskHost,
    sample: () => ISample | null
  ) {
    this._model = model;
    this._commands = commands;
    this._host = host;
    this._sample = sample;
    this.session = new MaskSession(
      (prompt, signal) => this._ask(prompt, signal),
      () => this._changed()
    );
    const imageSize = (): [number, number] => {
      const s = this._sample();
      return [s?.width || 1, s?.height || 1];
    };
    this.editor = new MaskEditor(this.session, imageSize);
    this.brush = new MaskBrush({
      imageSize,
      get selection() {
        return host.selection;
      },
      session: this.session,
      apply: operations => host.apply(operations),
      say: text => this._say(text, true)
    });
    this.status = h('div', {
      className: 'jp-VisionLens-maskStatus',
      attrs: { 'aria-live': 'polite' }
    });
  }

  /** The prompt and its answer. */
  readonly session: MaskSession;
  /** The layer over the image. */
  readonly editor: MaskEditor;
  /** The brush and eraser (the prompt's mask or the selected object's). */
  readonly brush: MaskBrush;
  /** What the tool says: how to use it, the mask's score, the server's refusal. */
  readonly status: HTMLDivElement;

  /** The checkpoint the server is asked to use (a folder, or a cached hub id). */
  segmentModel = '';
  /** Whether a shown sample's embedding is computed ahead of the first click. */
  prefetch = true;

  /** Whether a mask is there to keep. */
  get ready(): boolean {
    return this.session.state.kind === 'ready';
  }

  /** Whether the tool is on (its presses reach the layer). */
  get active(): boolean {
    return this._active;
  }

  /**
   * The tool was turned on or off: off drops the prompt, unless `brushing`
   * (the brush or eraser took over: they refine its mask, and its keys stay).
   */
  setActive(active: boolean, brushing = false): void {
    this._active = active;
    this._brushing = brushing;
    if (active && !this._armed) {
      // the first use in this view: from now on shown samples are prefetched, this one first
      this._armed = true;
      this._shown = null;
      void this.sampleShown(this._index);
    }
    // the tool's keys (Enter, Shift Enter: schema/sample.json) act while it is on, the
    // brush's [ and ] while it is (else they turn a rotated box)
    const sample = this.status.closest('.jp-VisionLens-sample');
    sample?.classList.toggle('jp-VisionLens-mod-masking', active || brushing);
    sample?.classList.toggle('jp-VisionLens-mod-brushing', brushing);
    if (!active && !brushing) {
      this.session.cancel();
    }
    if (!brushing) {
      this.brush.hover(null); // its circle follows the pointer only while it is on
    }
    this._changed();
  }

  /**
   * A sample is shown (`index`: its row in the view, if known): another one
   * drops the prompt and, once the tool has been used in this view, has its
   * embedding prefetched, then the next rows'.
   */
  async sampleShown(index: number | null): Promise<void> {
    const s = this._sample();
    const dataset = this._model.dataset;
    this._index = index;
    if (!s || s.sample_id === this._shown) {
      return;
    }
    this._shown = s.sample_id;
    this.session.cancel();
    // nothing is loaded into the server before the tool is first used in this view
    if (!dataset || !this.prefetch || !this.segmentModel || !this._armed) {
      return;
    }
    const next =
      index === null
        ? []
        : await samplesAfter(this._model, index, PREFETCH_AHEAD).catch(
            () => []
          );
    if (this._shown === s.sample_id) {
      const ids = [s.sample_id, ...next.filter(id => id !== s.sample_id)];
      await prefetchMasks(this._model, dataset, this.segmentModel, ids);
    }
  }

  /** Keep the mask as a new ground-truth object of the picked class. */
  async accept(): Promise<void> {
    const s = this._sample();
    const mask = this.session.mask;
    const label = this._host.pickedClass;
    if (!this.ready || !mask || !s) {
      return;
    }
    if (!label) {
      this._say('Pick a class for the new object first.', true);
      return;
    }
    await this._keep(newObjectOperation(mask, s.sample_id, label));
  }

  /** Make the mask the selected object's mask (its box stays). */
  async acceptAsMaskOf(): Promise<void> {
    const mask = this.session.mask;
    const selected = this._host.selection;
    if (this.ready && mask && selected) {
      await this._keep(maskOfOperation(mask, selected));
    }
  }

  /** Drop the prompt; whether there was one. */
  cancel(): boolean {
    return this.session.cancel();
  }

  private async _keep(operation: EditOperation): Promise<void> {
    const outcome = await this._host.apply([operation]);
    if (outcome?.kind === 'done') {
      this.session.cancel();
    }
  }

  private _ask(prompt: IMaskPrompt, signal: AbortSignal) {
    const dataset = this._model.dataset;
    const s = this._sample();
    if (!this.segmentModel) {
      return Promise.resolve({
        kind: 'refused' as const,
        message:
          'No click-to-mask model is set: name a SAM checkpoint folder (or a ' +
          'hub id in the local cache) in Settings › VisionLens Sample › ' +
          'Click-to-mask model.'
      });
    }
    if (!dataset || !s) {
      return Promise.resolve({
        kind: 'refused' as const,
        message: 'No sample is shown.'
      });
    }
    const request = segmentRequest(prompt, this.segmentModel);
    return segmentMask(this._model, dataset, s.sample_id, request, signal);
  }

  private _changed(): void {
    this.editor.redraw();
    const state = this.session.state;
    if (state.kind === 'refused') {
      this._say(state.message, true);
    } else if (state.kind === 'asking') {
      this._say('Computing the mask…', false);
    } else if (state.kind === 'ready') {
      const { mask } = state;
      const embed =
        mask.embedding === 'computed'
          ? ` (image embedded in ${mask.seconds.embed.toFixed(1)} s)`
          : '';
      const selected = this._host.selection
        ? '; Shift+Enter: make it the selected object’s mask'
        : '';
      this._say(
        `Mask of ${fmtInt(mask.area)} pixels, score ${mask.score.toFixed(2)}${embed}. ` +
          `Enter: add it as a new object${selected}; Escape: drop it.`,
        false
      );
    } else {
      this._say(
        this._active
          ? 'Click on an object (right-click or Alt-click: not the object), or drag a box around it.'
          : this._brushing
            ? 'Drag over the selected object to paint its mask (the eraser clears it); [ and ]: brush size.'
            : '',
        false
      );
    }
    for (const id of COMMANDS) {
      this._commands.notifyCommandChanged(id);
    }
  }

  private _say(text: string, refused: boolean): void {
    this.status.classList.toggle('jp-mod-refused', refused);
    this.status.textContent = visibleText(text);
  }

  private _model: IVisionLensModel;
  private _commands: CommandRegistry;
  private _host: IMaskHost;
  private _sample: () => ISample | null;
  private _active = false;
  private _brushing = false;
  private _shown: number | null = null;
  private _index: number | null = null;
  private _armed = false;
}
