/**
 * The selection panel's form: K, the strategies with their weights, the
 * space and every option of a request, read as the form's values
 * (`ISelectionForm`, which `selectionRequest` turns into the body).
 */
import { h } from '../../base/dom';
import { IFilter } from '../../api/types';
import { ISelectionForm } from './format';
import { StrategyPicker } from './StrategyPicker';

/** The panel's settings (schema/selection.json): the form's defaults. */
export interface ISelectionSettings {
  count: number;
  strategies: string[];
  excludeLabelled: boolean;
}

export const DEFAULT_SETTINGS: ISelectionSettings = {
  count: 20,
  strategies: ['diversity'],
  excludeLabelled: false
};

function input(label: string, type: string, extra = {}): HTMLInputElement {
  return h('input', {
    className: 'jp-mod-styled',
    attrs: { type, 'aria-label': label, ...extra }
  });
}

function field(text: string, control: HTMLElement): HTMLLabelElement {
  return h(
    'label',
    { className: 'jp-VisionLens-selField', text: `${text} ` },
    control
  );
}

/** The form's controls, each labelled for screen readers and tests. */
export class SelectionForm {
  /** The space picker (filled by the panel with the dataset's spaces). */
  readonly space = h('select', {
    className: 'jp-mod-styled',
    attrs: { 'aria-label': 'Space' }
  });

  /** The controls as labelled fields, in the panel's order. */
  fields(): HTMLElement[] {
    return [
      field('K', this._count),
      this._strategies.node,
      field('Space', this.space),
      field('Reference tag', this._referenceTag),
      field('Balance field', this._balanceField),
      field('Balance target', this._balanceTarget),
      field('Models', this._models),
      field('Exclude tags', this._excludeTags),
      field('Exclude labelled', this._excludeLabelled),
      field('Tag', this._tag),
      field('Seed', this._seed)
    ];
  }

  /** Apply settings (the form's defaults). */
  setSettings(settings: Partial<ISelectionSettings>): void {
    const s = { ...DEFAULT_SETTINGS, ...settings };
    this._count.value = String(s.count);
    this._excludeLabelled.checked = s.excludeLabelled;
    this._strategies.setChecked(s.strategies);
  }

  /** What the form holds, over the candidates of `filter`. */
  values(filter: IFilter): ISelectionForm {
    return {
      count: this._count.value,
      strategies: this._strategies.choices(),
      filter,
      space: this.space.value,
      excludeTags: this._excludeTags.value,
      excludeLabelled: this._excludeLabelled.checked,
      tag: this._tag.value,
      seed: this._seed.value,
      referenceTag: this._referenceTag.value,
      balanceField: this._balanceField.value,
      balanceTarget: this._balanceTarget.value,
      models: this._models.value
    };
  }

  private _count = input('K', 'number', { min: '1', step: '1' });
  private _strategies = new StrategyPicker();
  private _excludeTags = input('Exclude tags', 'text', {
    placeholder: 'tags, comma-separated'
  });
  private _excludeLabelled = input('Exclude labelled', 'checkbox');
  private _tag = input('Tag', 'text', { placeholder: 'selected-<id>' });
  private _seed = input('Seed', 'number', { min: '0', step: '1' });
  private _referenceTag = input('Reference tag', 'text', {
    placeholder: 'for similar / unlike'
  });
  private _balanceField = input('Balance field', 'text', {
    placeholder: 'class, split, fields.<key>…'
  });
  private _balanceTarget = input('Balance target', 'text', {
    placeholder: 'equal shares, or value:share, …'
  });
  private _models = input('Models', 'text', {
    placeholder: 'the newest; two for disagreement'
  });
}
