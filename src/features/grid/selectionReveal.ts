/**
 * A selection made elsewhere than the grid (a lasso on the map, a duplicate
 * group, a notebook's `session.select`), brought into view: the grid scrolls
 * to its first sample in the grid's order, and a note says how many selected
 * samples the filter (or the search) hides, with the action that shows them.
 */
import { CommandRegistry } from '@lumino/commands';

import { h } from '../../base/dom';
import { selectionPosition, ISamplesQuery } from '../../model/sources/samples';
import {
  CommandIDs,
  IQueryChange,
  IRevealRequest,
  IVisionLensModel
} from '../../model/tokens';

/** Options of {@link SelectionReveal}. */
export interface ISelectionRevealOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  /** The query the grid shows (null: none). */
  shown: () => ISamplesQuery | null;
  /** Scroll the grid to a position. */
  reveal: (index: number) => void;
}

/**
 * The note's text: how many of the selected samples are hidden, and by what
 * (the filter, or a search showing its results).
 */
export function hiddenText(
  hidden: number,
  shown: number,
  searching: boolean
): string {
  const by = searching
    ? 'not among the search results'
    : 'hidden by the current filter';
  if (shown === 0) {
    return hidden === 1
      ? `The selected sample is ${by}.`
      : `All ${hidden} selected samples are ${by}.`;
  }
  const verb = hidden === 1 ? 'is' : 'are';
  return `${hidden} of the ${hidden + shown} selected samples ${verb} ${by}.`;
}

/** Follows the model's reveal requests for the grid; `node` is the note. */
export class SelectionReveal {
  constructor(private readonly _o: ISelectionRevealOptions) {
    this.node = h('div', {
      className: 'jp-VisionLens-revealNote',
      attrs: { role: 'status' }
    });
    this.node.hidden = true;
    const model = _o.model;
    model.selectionRevealRequested.connect(this._onRequest, this);
    model.selectionChanged.connect(this._stop, this);
    model.queryChanged.connect(this._onQueryChanged, this);
  }

  /** The note saying what the filter hides (hidden when nothing). */
  readonly node: HTMLDivElement;

  /** Scroll to the first of `request.ids`; a note says what the filter hides. */
  request(request: IRevealRequest): void {
    this._onRequest(this._o.model, request);
  }

  dispose(): void {
    this._stop();
    const model = this._o.model;
    model.selectionRevealRequested.disconnect(this._onRequest, this);
    model.selectionChanged.disconnect(this._stop, this);
    model.queryChanged.disconnect(this._onQueryChanged, this);
  }

  private _onRequest(_: IVisionLensModel, request: IRevealRequest): void {
    this._stop();
    const query = this._o.shown();
    if (!query) {
      return;
    }
    const ctl = new AbortController();
    this._ctl = ctl;
    selectionPosition(this._o.model, query, request.ids, ctl.signal)
      .then(position => {
        if (ctl !== this._ctl) {
          return; // a later selection or query took over
        }
        this._ctl = null;
        if (position.index !== null) {
          this._o.reveal(position.index);
        }
        if (position.hidden > 0) {
          this._showNote(position.hidden, position.shown, !!query.ranking);
        }
      })
      .catch(() => undefined); // nothing to bring into view
  }

  /** Another filter, sort, search or dataset: the note and request are stale. */
  private _onQueryChanged(_: IVisionLensModel, change: IQueryChange): void {
    const { changed } = change;
    if (changed.has('rowKind') && changed.size === 1) {
      return; // the same rows (the grid comes in front of the Patches view)
    }
    this._stop();
  }

  private _showNote(hidden: number, shown: number, searching: boolean): void {
    const action = searching
      ? { label: 'Clear search', command: CommandIDs.clearSearch }
      : { label: 'Show only selected', command: CommandIDs.showSelected };
    const show = h('button', {
      className: 'jp-VisionLens-revealShow jp-mod-styled',
      text: action.label
    });
    show.addEventListener('click', () => {
      void this._o.commands.execute(action.command);
    });
    const dismiss = h('button', {
      className: 'jp-VisionLens-revealDismiss jp-mod-styled',
      text: 'Dismiss'
    });
    dismiss.addEventListener('click', () => this._stop());
    this.node.replaceChildren(
      h('span', { text: hiddenText(hidden, shown, searching) }),
      show,
      dismiss
    );
    this.node.hidden = false;
  }

  /** Drop the request in flight and the note. */
  private _stop(): void {
    this._ctl?.abort();
    this._ctl = null;
    this.node.hidden = true;
    this.node.replaceChildren();
  }

  private _ctl: AbortController | null = null;
}
