/**
 * The search the grid shows (by text, "more like this", or an image): one at
 * a time, always within the current filter. It is re-run when the filter
 * changes and dropped when the dataset changes.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  ISearchModel,
  SearchQuery,
  ISearchState,
  IVisionLensModel
} from './tokens';

/** Results a search asks for by default (the server's default too). */
export const DEFAULT_K = 50;
/** The most results the server returns for one search. */
export const MAX_K = 10000;

/**
 * The ranking a search gives the view of `dataset`: its sample ids, best
 * first, when it has results; undefined (keep the previous one) while it is
 * re-run (new filter or k); null when it failed, was cleared or searched
 * another dataset.
 */
export function searchRanking(
  state: ISearchState | null,
  dataset: string | null
): readonly number[] | null | undefined {
  const current = state !== null && state.dataset === dataset;
  if (current && !state.result && !state.error) {
    return undefined;
  }
  const hits = current ? (state.result?.results ?? null) : null;
  return hits ? hits.map(hit => hit.sample_id) : null;
}

/** Implementation of {@link ISearchModel} over the shared model. */
export class SearchModel implements ISearchModel {
  constructor(private readonly _model: IVisionLensModel) {
    _model.datasetChanged.connect(() => this.clear(), this);
    _model.filterChanged.connect(() => {
      if (this._active) {
        void this.run(this._active.query);
      }
    }, this);
  }

  get state(): ISearchState | null {
    return this._state;
  }

  get changed(): ISignal<ISearchModel, ISearchState | null> {
    return this._changed;
  }

  get k(): number {
    return this._k;
  }

  setK(k: number): void {
    const next = Math.max(1, Math.min(MAX_K, Math.round(k) || DEFAULT_K));
    if (next === this._k) {
      return;
    }
    this._k = next;
    if (this._active) {
      void this.run({ ...this._active.query, k: next });
    }
  }

  async run(query: SearchQuery): Promise<ISearchState> {
    const dataset = this._model.dataset;
    if (!dataset) {
      throw new Error('Open a dataset before searching it.');
    }
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    const filter = this._model.filter;
    query = { ...query, k: query.k ?? this._k };
    this._set({ dataset, query, filter, result: null, error: null });
    let next: ISearchState;
    try {
      const result = await this._model.client.search(
        dataset,
        { ...query, filter },
        abort.signal
      );
      next = { dataset, query, filter, result, error: null };
    } catch (error) {
      if (abort.signal.aborted) {
        return (
          this._state ?? { dataset, query, filter, result: null, error: null }
        );
      }
      next = {
        dataset,
        query,
        filter,
        result: null,
        error: (error as Error).message
      };
    }
    this._set(next);
    return next;
  }

  clear(): void {
    this._abort?.abort();
    this._abort = null;
    if (this._state) {
      this._set(null);
    }
  }

  /** The search to run again on a filter or `k` change: none after a refusal. */
  private get _active(): ISearchState | null {
    return this._state?.error ? null : this._state;
  }

  private _set(state: ISearchState | null): void {
    this._state = state;
    this._changed.emit(state);
  }

  private _state: ISearchState | null = null;
  private _k = DEFAULT_K;
  private _abort: AbortController | null = null;
  private _changed = new Signal<ISearchModel, ISearchState | null>(this);
}
