/**
 * Mouse selection in the grid: click selects one sample, Ctrl/Cmd-click
 * toggles one, Shift-click selects the range from the last clicked tile.
 * A double-click opens a sample without selecting it: its first click is
 * taken back (`undoClick`).
 */
import { rangeIds } from './selection';
import { sampleIds } from './sources/samples';
import { IVisionLensModel, SelectionMode } from './tokens';
import { PageCache } from './pages';

/** The modifier keys of a click. */
export interface IClickKeys {
  shift: boolean;
  /** Ctrl or Cmd: add to / remove from the selection. */
  additive: boolean;
}

/** Applies grid clicks to the shared selection; remembers the range anchor. */
export class GridClickSelection {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _pages: Pick<PageCache<unknown>, 'idsBetween'>
  ) {}

  /** Forget the range anchor (the query changed). */
  reset(): void {
    this._anchor = null;
  }

  /** A click on the tile at `index` showing `sampleId`. */
  async click(
    index: number,
    sampleId: number,
    keys: IClickKeys
  ): Promise<void> {
    const model = this._model;
    this._before = {
      mode: model.selection.mode,
      ids: [...model.selection.ids]
    };
    if (keys.shift && this._anchor !== null) {
      const ids = await this._idsBetween(this._anchor, index);
      if (keys.additive) {
        model.addToSelection(ids, 'grid');
      } else {
        model.setSelection(ids, 'grid');
      }
      return;
    }
    this._anchor = index;
    if (!keys.additive) {
      model.setSelection([sampleId], 'grid');
    } else if (model.selection.mode === 'all') {
      // Materialize "all matching" before removing one sample from it.
      const { ids } = await sampleIds(
        model,
        model.dataset as string,
        model.filter
      );
      model.setSelection(
        ids.filter(id => id !== sampleId),
        'grid'
      );
    } else {
      model.toggleSelected(sampleId, 'grid');
    }
  }

  /**
   * Put back the selection of before the last click: that click was the
   * first of a double-click, which opens a sample and must not select it.
   */
  undoClick(): void {
    const before = this._before;
    this._before = null;
    if (!before) {
      return;
    }
    if (before.mode === 'all') {
      this._model.selectAllMatching();
    } else {
      this._model.setSelection(before.ids, 'grid');
    }
  }

  /** Ids of the positions between two indices (loaded pages, else the server). */
  private async _idsBetween(from: number, to: number): Promise<number[]> {
    const loaded = this._pages.idsBetween(from, to);
    if (loaded) {
      return loaded;
    }
    const { ids } = await sampleIds(
      this._model,
      this._model.dataset as string,
      this._model.filter
    );
    // The grid is in sample-id order, like the ids endpoint.
    return rangeIds(ids, from, to);
  }

  private _anchor: number | null = null;
  /** The selection before the last click (what `undoClick` restores). */
  private _before: { mode: SelectionMode; ids: number[] } | null = null;
}
