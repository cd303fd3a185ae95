/**
 * The lasso and rectangle tools' selections: a shape goes to the server's
 * select route (within the filter when filtered-out points are hidden), the
 * ids that come back become the model's selection, and the shape is kept for
 * the reproducible code as long as the selection is still the one it made.
 */
import { IVisionLensModel } from '../../model/tokens';
import { MapPointer } from './MapPointer';
import { IMapDescriptor, MapShape } from '../../api/mapTypes';
import { selectShape } from '../../model/sources/maps';

/** What a shape selection needs from the panel. */
export interface IShapeSelectionOptions {
  model: IVisionLensModel;
  pointer: MapPointer;
  /** The panel's node (`data-last-shape` is set on it for tests). */
  node: HTMLElement;
  status: (text: string) => void;
}

export class ShapeSelection {
  constructor(options: IShapeSelectionOptions) {
    this._o = options;
  }

  /** Select the points of `map` inside `shape` (replacing, adding to or
   * subtracting from the selection). */
  async select(
    map: IMapDescriptor,
    shape: MapShape,
    mode: 'replace' | 'add' | 'subtract',
    hideFiltered: boolean
  ): Promise<void> {
    const filter = this._o.model.filter;
    const hide = hideFiltered && Object.keys(filter).length > 0;
    try {
      const ids = await selectShape(
        this._o.model,
        map.dataset as string,
        map.id,
        shape,
        hide ? filter : null
      );
      this._lastShape = mode === 'replace' ? shape : null;
      this._o.pointer.applySelection(ids, mode);
      this._o.node.dataset.lastShape = JSON.stringify(shape);
    } catch (error) {
      this._o.status(`Selection: ${(error as Error).message}`);
    }
  }

  /** The model's selection changed: made by our last shape, or elsewhere. */
  selectionChanged(): void {
    if (this._o.pointer.pendingIds !== null) {
      this._shapeIds = this._o.model.selection.ids;
      this._o.pointer.pendingIds = null;
    } else {
      this._lastShape = null;
    }
  }

  /** The selection as the reproducible code writes it: the shape that made
   * it, else the ids (null when nothing or everything is selected). */
  forCode(): { shape: MapShape | null; ids: number[] | null } {
    const sel = this._o.model.selection;
    const fromShape =
      this._lastShape !== null &&
      sel.mode === 'ids' &&
      sel.ids === this._shapeIds;
    return {
      shape: fromShape ? this._lastShape : null,
      ids:
        fromShape || sel.mode === 'all' || sel.ids.size === 0
          ? null
          : Array.from(sel.ids).sort((a, b) => a - b)
    };
  }

  private readonly _o: IShapeSelectionOptions;
  private _lastShape: MapShape | null = null;
  private _shapeIds: ReadonlySet<number> | null = null;
}
