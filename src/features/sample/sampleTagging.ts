/**
 * The sample view's tagging: a tag input (Enter tags, Escape clears), Tag and
 * Untag buttons, and the sample's tags, as items of the view's toolbar.
 */
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { ISample, IVisionLensModel } from '../../model/tokens';
import { textButton, toolbarItem } from '../../ui/toolbar';

/** Tagging the sample `sample()` gives; `home` takes the focus back. */
export class SampleTagging {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _home: HTMLElement,
    private readonly _sample: () => ISample | null
  ) {
    this._input = h('input', {
      className: 'jp-VisionLens-tagInput jp-mod-styled',
      attrs: { placeholder: 'tag', 'aria-label': 'Tag for this sample' }
    });
    this._input.addEventListener('keydown', e => {
      // Typing keys (←/→ included) stay in the input: not the view's commands.
      e.stopPropagation();
      if (e.key === 'Enter') {
        void this.tag(true);
      } else if (e.key === 'Escape') {
        // Cancels the tag being typed; the next Escape closes the view.
        this._input.value = '';
        this._home.focus();
      }
    });
    this._tags = h('span', { className: 'jp-VisionLens-sampleTags' });
  }

  /** The toolbar items: the input, Tag, Untag and the tags. */
  items(): [string, Widget][] {
    return [
      ['tag-input', toolbarItem('jp-VisionLens-tagInputItem', this._input)],
      [
        'tag',
        textButton({
          label: 'Tag',
          className: 'jp-VisionLens-tagButton',
          tooltip: 'Add the tag to this sample',
          onClick: () => this.tag(true)
        })
      ],
      [
        'untag',
        textButton({
          label: 'Untag',
          className: 'jp-VisionLens-untagButton',
          tooltip: 'Remove the tag from this sample',
          onClick: () => this.tag(false)
        })
      ],
      ['tags', toolbarItem('jp-VisionLens-sampleTagsItem', this._tags)]
    ];
  }

  /** Show the tags of `sample`. */
  render(sample: ISample): void {
    this._tags.textContent = sample.tags.length
      ? visibleText(`tags: ${sample.tags.join(', ')}`)
      : 'no tags';
  }

  /** Add (or remove) the typed tag on the sample. */
  async tag(add: boolean): Promise<void> {
    const tag = this._input.value.trim();
    const sample = this._sample();
    if (!tag || !sample) {
      return;
    }
    await this._model.tagSamples(
      [sample.sample_id],
      add ? [tag] : [],
      add ? [] : [tag]
    );
    this._input.value = '';
  }

  private _input: HTMLInputElement;
  private _tags: HTMLSpanElement;
}
