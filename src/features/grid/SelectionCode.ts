/**
 * The grid's selection as code (issue #16): the `session.select(...)` call
 * that selects in the panels what is selected now, with a copy button; for an
 * explicit selection too large to list, a note saying so instead.
 */
import { IDisposable } from '@lumino/disposable';

import { fmtInt, h } from '../../base/dom';
import { MAX_CODE_IDS, selectCode } from '../../model/sorting';
import { IVisionLensModel } from '../../model/tokens';
import { CodeSnippet } from '../../ui/CodeSnippet';

/** The selection's notebook call, kept in step with the model. */
export class SelectionCode implements IDisposable {
  constructor(private readonly _model: IVisionLensModel) {
    this._code = new CodeSnippet('jp-VisionLens-selectionCode');
    this._note = h('div', { className: 'jp-VisionLens-selectionCodeNote' });
    this._note.hidden = true;
    this.node = h('div', {}, this._code.node, this._note);
    _model.selectionChanged.connect(this.update, this);
    _model.filterChanged.connect(this.update, this);
    _model.datasetChanged.connect(this.update, this);
    this.update();
  }

  readonly node: HTMLDivElement;

  /** The text the copy button copies ('' when none is shown). */
  get text(): string {
    return this._code.text;
  }

  /** The "too large" note ('' when hidden). */
  get note(): string {
    return this._note.hidden ? '' : (this._note.textContent ?? '');
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._model.selectionChanged.disconnect(this.update, this);
      this._model.filterChanged.disconnect(this.update, this);
      this._model.datasetChanged.disconnect(this.update, this);
    }
  }

  /** Render the model's selection now. */
  update(): void {
    const dataset = this._model.dataset;
    const selection = this._model.selection;
    const code = dataset
      ? selectCode(dataset, selection, this._model.filter)
      : null;
    this._code.set(code);
    const tooMany =
      !!dataset &&
      selection.mode === 'ids' &&
      selection.ids.size > MAX_CODE_IDS;
    this._note.hidden = !tooMany;
    this._note.textContent = tooMany
      ? `${fmtInt(selection.ids.size)} samples selected: too many ids to show ` +
        `as code (at most ${fmtInt(MAX_CODE_IDS)}). Select them in a notebook ` +
        'from a filter or a DataFrame: session.select(df), or use "Select all ' +
        'matching" to get the filter form.'
      : '';
  }

  private _code: CodeSnippet;
  private _note: HTMLDivElement;
  private _disposed = false;
}
