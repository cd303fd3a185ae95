/**
 * The frames choice of the model jobs' dialogs (embeddings, predictions) on a
 * dataset of videos: a select of the ways to pick frames and the number
 * typed beside it, enabled only for the ways that take one.
 */
import { h } from '../base/dom';
import { FrameMode, takesNumber } from '../model/frameChoices';

/** The model jobs' ways of picking frames, with their texts. */
export const MODEL_FRAME_MODES: [FrameMode, string][] = [
  ['all', 'every frame'],
  ['every', 'every K-th frame (K)'],
  ['fps', 'R frames a second (R)'],
  ['scenes', 'the first frame of each scene (threshold, empty: 30)']
];

/** A frames select and its number, as one labelled row. */
export class FramesPicker {
  /** `className`: the prefix of the controls' classes (`…Frames`, `…FramesValue`). */
  constructor(className: string) {
    this.select = h('select', {
      className: `${className}Frames jp-mod-styled`,
      attrs: { 'aria-label': 'Frames' }
    });
    for (const [value, text] of MODEL_FRAME_MODES) {
      const option = h('option', { text });
      option.value = value;
      this.select.append(option);
    }
    this.value = h('input', {
      className: `${className}FramesValue jp-mod-styled`,
      attrs: { type: 'number', min: '0', 'aria-label': 'Frames number' }
    });
    const sync = () =>
      (this.value.disabled = !takesNumber(this.select.value as FrameMode));
    this.select.addEventListener('change', sync);
    sync();
    this.node = h('label', {}, 'Frames ', this.select, ' ', this.value);
  }

  /** The row to put in a form. */
  readonly node: HTMLLabelElement;
  readonly select: HTMLSelectElement;
  readonly value: HTMLInputElement;

  /** The chosen way and the number as typed. */
  get mode(): FrameMode {
    return this.select.value as FrameMode;
  }
}
