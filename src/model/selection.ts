/**
 * Selection state: an explicit set of sample ids, or "all samples matching the
 * current filter" (held as a mode, never materialized client-side).
 */
import { IFilter, ISelection, SelectionMode } from './tokens';

/** Mutable selection state; every mutator returns whether anything changed. */
export class SelectionState implements ISelection {
  private _mode: SelectionMode = 'ids';
  private _ids = new Set<number>();

  get mode(): SelectionMode {
    return this._mode;
  }

  get ids(): ReadonlySet<number> {
    return this._ids;
  }

  /** Whether nothing is selected (in `all` mode something may be). */
  get isEmpty(): boolean {
    return this._mode === 'ids' && this._ids.size === 0;
  }

  /** Whether a sample is selected (in `all` mode: every shown sample is). */
  has(id: number): boolean {
    return this._mode === 'all' || this._ids.has(id);
  }

  /** Select exactly these ids. */
  set(ids: Iterable<number>): boolean {
    const next = new Set(ids);
    if (this._mode === 'ids' && sameSet(next, this._ids)) {
      return false;
    }
    this._mode = 'ids';
    this._ids = next;
    return true;
  }

  /** Add ids (leaves `all` mode untouched: they are already in). */
  add(ids: Iterable<number>): boolean {
    if (this._mode === 'all') {
      return false;
    }
    let changed = false;
    for (const id of ids) {
      if (!this._ids.has(id)) {
        this._ids.add(id);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Toggle one id. In `all` mode the caller must first materialize the
   * matching ids with `set()`; here it falls back to selecting only `id`.
   */
  toggle(id: number): boolean {
    if (this._mode === 'all') {
      this._mode = 'ids';
      this._ids = new Set([id]);
      return true;
    }
    if (this._ids.has(id)) {
      this._ids.delete(id);
    } else {
      this._ids.add(id);
    }
    return true;
  }

  /** Select every sample matching the current filter. */
  selectAll(): boolean {
    if (this._mode === 'all') {
      return false;
    }
    this._mode = 'all';
    this._ids = new Set();
    return true;
  }

  clear(): boolean {
    if (this.isEmpty) {
      return false;
    }
    this._mode = 'ids';
    this._ids = new Set();
    return true;
  }

  /**
   * The filter designating the selected samples: the current filter in `all`
   * mode, else the explicit ids.
   */
  toFilter(current: IFilter): IFilter {
    if (this._mode === 'all') {
      return current;
    }
    return { ids: [...this._ids].sort((a, b) => a - b) };
  }

  /**
   * How many samples are selected. `matching` is the server's total for the
   * current filter, used in `all` mode.
   */
  count(matching: number | null): number | null {
    return this._mode === 'all' ? matching : this._ids.size;
  }
}

function sameSet(a: Set<number>, b: Set<number>): boolean {
  if (a.size !== b.size) {
    return false;
  }
  for (const x of a) {
    if (!b.has(x)) {
      return false;
    }
  }
  return true;
}

/**
 * The ids between two positions of an ordered id list (inclusive), for a
 * shift-click range selection.
 */
export function rangeIds(
  ordered: readonly number[],
  from: number,
  to: number
): number[] {
  const lo = Math.max(0, Math.min(from, to));
  const hi = Math.min(ordered.length - 1, Math.max(from, to));
  return ordered.slice(lo, hi + 1);
}
