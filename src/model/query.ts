/**
 * The view query (dataset, filter, sort, row kind, search ranking) and the
 * undo/redo history of its filter and sort. Plain state: every change answers
 * the parts of the query it changed, and the model emits them.
 */
import { cloneFilter, normalizeFilter, sameFilter } from './filters';
import {
  IDataChange,
  IFilter,
  ISort,
  IViewQuery,
  QueryPart,
  RowKind
} from './tokens';

/** How many filter or sort changes can be undone. */
export const UNDO_DEPTH = 50;

/** The default order: sample id, ascending. */
export const DEFAULT_SORT: ISort = { field: '', order: 'asc' };

/** The parts of the query that undo and redo step through. */
interface IStep {
  filter: IFilter;
  sort: ISort;
}

function sameSort(a: ISort, b: ISort): boolean {
  return a.field === b.field && a.order === b.order;
}

function sameIds(
  a: readonly number[] | null,
  b: readonly number[] | null
): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.length === b.length &&
      a.every((id, i) => id === b[i]))
  );
}

/** A sort from persisted or foreign JSON (anything malformed: the default). */
export function parseSort(value: unknown): ISort {
  const sort = value as Partial<ISort> | null;
  return sort &&
    typeof sort === 'object' &&
    typeof sort.field === 'string' &&
    (sort.order === 'asc' || sort.order === 'desc')
    ? { field: sort.field, order: sort.order }
    : DEFAULT_SORT;
}

/**
 * Whether a write may change which rows `query` selects or their order (then
 * views start the query again); otherwise they refetch only the rows written.
 * Tags move rows only when the filter conditions on tags; any other write
 * (labels, predictions, evaluations, fields) may move them.
 */
export function changeMovesRows(
  query: IViewQuery,
  change: IDataChange
): boolean {
  return change.kind !== 'tags' || query.filter.tags !== undefined;
}

/** The view query with its history. */
export class QueryState {
  get query(): IViewQuery {
    return this._query;
  }

  get canUndo(): boolean {
    return this._undo.length > 0;
  }

  get canRedo(): boolean {
    return this._redo.length > 0;
  }

  /** Another dataset: empty filter, default sort, no ranking, no history. */
  setDataset(dataset: string | null): Set<QueryPart> {
    if (dataset === this._query.dataset) {
      return new Set();
    }
    this._undo = [];
    this._redo = [];
    return this._update({
      dataset,
      filter: {},
      sort: DEFAULT_SORT,
      ranking: null
    });
  }

  /** Replace the filter; the previous one becomes undoable. */
  setFilter(filter: IFilter): Set<QueryPart> {
    return this._step({
      filter: normalizeFilter(cloneFilter(filter)),
      sort: this._query.sort
    });
  }

  /** Replace the sort; the previous one becomes undoable. */
  setSort(sort: ISort): Set<QueryPart> {
    return this._step({ filter: this._query.filter, sort: { ...sort } });
  }

  setRowKind(rowKind: RowKind): Set<QueryPart> {
    return this._update({ rowKind });
  }

  /** The search's ranking (not part of the history: the search has its own). */
  setRanking(ranking: readonly number[] | null): Set<QueryPart> {
    return this._update({ ranking: ranking ? [...ranking] : null });
  }

  /** Go back to the filter and sort before the last change (none: empty set). */
  undo(): Set<QueryPart> {
    return this._travel(this._undo, this._redo);
  }

  /** Redo the last undone change (none: empty set). */
  redo(): Set<QueryPart> {
    return this._travel(this._redo, this._undo);
  }

  /** Start from a persisted query (no history). */
  restore(dataset: string | null, filter: IFilter, sort: ISort): void {
    this._undo = [];
    this._redo = [];
    this._query = {
      ...this._query,
      dataset,
      filter: normalizeFilter(filter),
      sort,
      ranking: null
    };
  }

  private _step(next: IStep): Set<QueryPart> {
    const changed = this._update(next);
    if (changed.size > 0) {
      this._undo.push(this._stepOf(this._previous));
      if (this._undo.length > UNDO_DEPTH) {
        this._undo.shift();
      }
      this._redo = [];
    }
    return changed;
  }

  private _travel(from: IStep[], to: IStep[]): Set<QueryPart> {
    const step = from.pop();
    if (step === undefined) {
      return new Set();
    }
    to.push(this._stepOf(this._query));
    return this._update(step);
  }

  private _stepOf(query: IViewQuery): IStep {
    return { filter: query.filter, sort: query.sort };
  }

  /** Apply `next`, answering the parts that really changed. */
  private _update(next: Partial<IViewQuery>): Set<QueryPart> {
    const was = this._query;
    const changed = new Set<QueryPart>();
    if (next.dataset !== undefined && next.dataset !== was.dataset) {
      changed.add('dataset');
    }
    if (next.filter && !sameFilter(next.filter, was.filter)) {
      changed.add('filter');
    }
    if (next.sort && !sameSort(next.sort, was.sort)) {
      changed.add('sort');
    }
    if (next.rowKind && next.rowKind !== was.rowKind) {
      changed.add('rowKind');
    }
    if (next.ranking !== undefined && !sameIds(next.ranking, was.ranking)) {
      changed.add('ranking');
    }
    if (changed.size > 0) {
      this._previous = was;
      this._query = { ...was, ...next };
    }
    return changed;
  }

  private _query: IViewQuery = {
    dataset: null,
    filter: {},
    sort: DEFAULT_SORT,
    rowKind: 'samples',
    ranking: null
  };
  private _previous: IViewQuery = this._query;
  private _undo: IStep[] = [];
  private _redo: IStep[] = [];
}
