/**
 * The sample view's image-level label: an input (Enter sets it), Set label and
 * Remove label buttons, as items of the view's toolbar. Each is one batch of the
 * edit log (undo takes it back), sent with the labels shown as `expected`, so a
 * change made meanwhile in another tab is refused, not overwritten.
 */
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { EditOperation } from '../../api/editTypes';
import { conflictNow, editLabels } from '../../model/sources/edits';
import { ISample, IVisionLensModel } from '../../model/tokens';
import { textButton, toolbarItem } from '../../ui/toolbar';

const GROUND_TRUTH = 'ground_truth';

/** The sample's ground-truth image labels, sorted. */
export function groundTruthLabels(sample: ISample): string[] {
  return sample.classifications
    .filter(c => c.source === GROUND_TRUTH)
    .map(c => c.label)
    .sort();
}

/**
 * The operation the buttons send: Set makes `label` the sample's one image
 * label; Remove takes `label` away (every image label when it is empty).
 */
export function imageLabelOperation(
  sample: ISample,
  set: boolean,
  label: string
): EditOperation | null {
  const expected = { labels: groundTruthLabels(sample) };
  if (set) {
    return label
      ? { op: 'classify', sample_id: sample.sample_id, label, expected }
      : null;
  }
  if (!expected.labels.length) {
    return null;
  }
  return label
    ? { op: 'unclassify', sample_id: sample.sample_id, label, expected }
    : { op: 'unclassify', sample_id: sample.sample_id, expected };
}

/** Setting and removing the image label of the sample `sample()` gives. */
export class SampleImageLabel {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _home: HTMLElement,
    private readonly _sample: () => ISample | null
  ) {
    this._input = h('input', {
      className: 'jp-VisionLens-imageLabelInput jp-mod-styled',
      attrs: { placeholder: 'image label', 'aria-label': 'Image label' }
    });
    this._input.addEventListener('keydown', e => {
      // Typing keys stay in the input: not the view's commands.
      e.stopPropagation();
      if (e.key === 'Enter') {
        void this.apply(true);
      } else if (e.key === 'Escape') {
        this._input.value = '';
        this._home.focus();
      }
    });
    this._status = h('span', { className: 'jp-VisionLens-imageLabelStatus' });
  }

  /** The toolbar items: the input, Set label, Remove label and the outcome. */
  items(): [string, Widget][] {
    return [
      [
        'image-label-input',
        toolbarItem('jp-VisionLens-imageLabelInputItem', this._input)
      ],
      [
        'image-label-set',
        textButton({
          label: 'Set label',
          className: 'jp-VisionLens-imageLabelSet',
          tooltip: "Make the typed class the sample's image label",
          onClick: () => this.apply(true)
        })
      ],
      [
        'image-label-remove',
        textButton({
          label: 'Remove label',
          className: 'jp-VisionLens-imageLabelRemove',
          tooltip:
            'Remove the typed image label (every image label when none is typed)',
          onClick: () => this.apply(false)
        })
      ],
      [
        'image-label-status',
        toolbarItem('jp-VisionLens-imageLabelStatusItem', this._status)
      ]
    ];
  }

  /** A new sample is shown: the last outcome no longer applies. */
  render(): void {
    this._status.textContent = '';
  }

  /** Set (or remove) the typed image label of the sample as one edit. */
  async apply(set: boolean): Promise<void> {
    const sample = this._sample();
    const dataset = this._model.dataset;
    if (!sample || !dataset) {
      return;
    }
    const op = imageLabelOperation(sample, set, this._input.value.trim());
    if (!op) {
      this._status.textContent = set
        ? 'Type a class first.'
        : 'No image label to remove.';
      return;
    }
    const outcome = await editLabels(
      this._model,
      dataset,
      [op],
      [sample.sample_id]
    );
    if (outcome.kind === 'done') {
      this._input.value = '';
      this._status.textContent = '';
    } else {
      this._status.textContent = visibleText(
        outcome.kind === 'conflict'
          ? conflictNow(outcome.conflict).text
          : outcome.message
      );
    }
  }

  private _input: HTMLInputElement;
  private _status: HTMLSpanElement;
}
