/**
 * The grid's selection as code (issue #16): the `session.select(...)` call
 * that selects in the panels what is selected now, with a copy button; for an
 * explicit selection too large to list, a note saying so instead. The text is
 * the server's (`select_code` in view_code.py).
 */
import { IDisposable } from '@lumino/disposable';

import { fmtInt, h } from '../../base/dom';
import { selectionCode } from '../../model/sources/samples';
import { ISelectionCode, IVisionLensModel } from '../../model/tokens';
import { CodeSnippet } from '../../ui/CodeSnippet';

/** How long the selection must stay put before its code is asked for, in ms
 * (a drag or Shift-click range changes it many times a second). */
const SETTLE_MS = 150;

/** The selection's notebook call, kept in step with the model. */
export class SelectionCode implements IDisposable {
  constructor(private readonly _model: IVisionLensModel) {
    this._code = new CodeSnippet('jp-VisionLens-selectionCode', {
      collapsible: true
    });
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

  /** Resolves once what is shown is the current selection's code. */
  async settled(): Promise<void> {
    let pending: Promise<void>;
    do {
      pending = this._pending;
      await pending;
    } while (pending !== this._pending);
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._supersede();
      this._model.selectionChanged.disconnect(this.update, this);
      this._model.filterChanged.disconnect(this.update, this);
      this._model.datasetChanged.disconnect(this.update, this);
    }
  }

  /** Ask for the model's selection's code (once the selection stays put). */
  update(): void {
    this._supersede();
    const dataset = this._model.dataset;
    const selection = this._model.selection;
    if (!dataset || (selection.mode === 'ids' && selection.ids.size === 0)) {
      this._show(null, 0);
      return;
    }
    const filter = this._model.filter;
    const ctl = (this._ctl = new AbortController());
    this._pending = new Promise<void>(resolve => {
      this._done = resolve;
      this._timer = window.setTimeout(() => {
        selectionCode(this._model, dataset, selection, filter, ctl.signal)
          .then(
            answer => {
              if (!ctl.signal.aborted) {
                const n = selection.mode === 'ids' ? selection.ids.size : 0;
                this._show(answer, n);
              }
            },
            () => {
              if (!ctl.signal.aborted) {
                this._show(null, 0);
              }
            }
          )
          .finally(resolve);
      }, SETTLE_MS);
    });
  }

  /** Stop the request of the previous selection (its answer is never shown). */
  private _supersede(): void {
    window.clearTimeout(this._timer);
    this._ctl?.abort();
    this._ctl = null;
    this._done();
  }

  /** Show `answer`'s code, or the note when `n` ids are past its limit. */
  private _show(answer: ISelectionCode | null, n: number): void {
    this._code.set(answer?.code ?? null);
    const limit = answer?.max_ids ?? Infinity;
    this._note.hidden = n <= limit;
    this._note.textContent =
      n > limit
        ? `${fmtInt(n)} samples selected: too many ids to show as code ` +
          `(at most ${fmtInt(limit)}). Select them in a notebook from a ` +
          'filter or a DataFrame: session.select(df), or use "Select all ' +
          'matching" to get the filter form.'
        : '';
  }

  private _code: CodeSnippet;
  private _note: HTMLDivElement;
  private _ctl: AbortController | null = null;
  private _timer = 0;
  private _pending: Promise<void> = Promise.resolve();
  private _done: () => void = () => undefined;
  private _disposed = false;
}
