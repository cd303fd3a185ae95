/**
 * The parts of the shared model: jobs, search, selection and the persisted
 * state (the model token itself is in `tokens.ts`).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import { IFilter, IJob, ISearchRequest, ISearchResult } from '../api/types';

/** The server's background jobs, kept fresh while watched. */
export interface IJobsModel {
  /** Running first, then queued by queue position, then finished, newest first. */
  readonly jobs: readonly IJob[];
  readonly changed: ISignal<IJobsModel, readonly IJob[]>;
  refresh(): Promise<readonly IJob[]>;
  /** Ask the server to cancel a job, then refresh. */
  cancel(id: string): Promise<void>;
  /** Poll the list until the returned handle is disposed (reference-counted). */
  watch(): IDisposable;
}

/** What to search for: one of text, like (a sample id) or image (base64). */
export type SearchQuery = Omit<ISearchRequest, 'filter'>;

/** The search the grid shows. */
export interface ISearchState {
  readonly dataset: string;
  readonly query: SearchQuery;
  /** The filter it ran within (the model's filter then). */
  readonly filter: IFilter;
  /** Null while it runs or when it failed. */
  readonly result: ISearchResult | null;
  readonly error: string | null;
}

/** The one search of the current dataset, within the current filter. */
export interface ISearchModel {
  readonly state: ISearchState | null;
  /** How many results a search asks for when its query names no `k`. */
  readonly k: number;
  /** Change `k`; an active search is run again with it. */
  setK(k: number): void;
  /** Emitted when a search starts, ends, fails or is cleared. */
  readonly changed: ISignal<ISearchModel, ISearchState | null>;
  /** Search the current dataset within the current filter (re-run on filter changes). */
  run(query: SearchQuery): Promise<ISearchState>;
  clear(): void;
}

/** How the selection is held. */
export type SelectionMode = 'ids' | 'all';

/** A read-only view of the selection. */
export interface ISelection {
  /** `ids`: exactly `ids`; `all`: every sample matching the current filter. */
  readonly mode: SelectionMode;
  readonly ids: ReadonlySet<number>;
}

/** The serialized state kept in the state database across reloads. */
export interface IPersistedState {
  dataset: string | null;
  filter: IFilter;
  sort?: ISort;
  selection: { mode: SelectionMode; ids: number[] };
  hiddenSources: string[];
  confidenceThreshold: number;
  visibleFields?: string[];
}

/** What the rows of a view are: samples (objects, one row per box, to come). */
export type RowKind = 'samples' | 'objects';

/** The order of a view: a sort key of the samples page and a direction. */
export interface ISort {
  /** The API's `sort` value ('' sorts by sample id). */
  field: string;
  order: 'asc' | 'desc';
}

/** Everything that decides which rows a view shows, and in which order. */
export interface IViewQuery {
  /** The current dataset, or null. */
  readonly dataset: string | null;
  /** The filter JSON of the API. Treat as immutable. */
  readonly filter: IFilter;
  /** The order of the rows (sample id, ascending, when the field is ''). */
  readonly sort: ISort;
  readonly rowKind: RowKind;
  /**
   * The search's sample ids, best first: while set, views show these rows in
   * this order instead of the sorted filter. Null without a search result.
   */
  readonly ranking: readonly number[] | null;
}

/** A part of the view query. */
export type QueryPart = keyof IViewQuery;

/** What `queryChanged` says: the new query and which parts of it changed. */
export interface IQueryChange {
  readonly query: IViewQuery;
  readonly changed: ReadonlySet<QueryPart>;
}

/**
 * Where a selection change comes from: the grid's own clicks and keys, the
 * Patches view's, or anywhere else (the map, a panel, a notebook, a plugin).
 */
export type SelectionOrigin = 'grid' | 'patches' | 'other';

/**
 * A selection made elsewhere than the grid (`selectionRevealRequested`): the
 * views showing samples bring it into view.
 */
export interface IRevealRequest {
  readonly origin: SelectionOrigin;
  /** The selected sample ids. */
  readonly ids: readonly number[];
}

/** What kind of server-side data a write changed. */
export type DataChangeKind =
  'tags' | 'labels' | 'predictions' | 'evaluation' | 'fields' | 'samples';

/** What `dataChanged` says: which dataset, what kind of write, which samples. */
export interface IDataChange {
  readonly dataset: string;
  readonly kind: DataChangeKind;
  /** The samples written, when known (null: any sample may have changed). */
  readonly ids: readonly number[] | null;
}
