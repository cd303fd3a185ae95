/**
 * What a virtual grid shows: the rows of one query, of any row type, fetched
 * a page at a time ({@link IPageSource}) and held by a `PageCache`
 * ({@link IRowPages}). The sample grid's source is `SamplesPageSource`
 * (`sources/samples.ts`); a grid of other rows (objects, ...) is one more
 * source.
 */

/** One page of rows as a source answers it. */
export interface IPage<T> {
  /** The rows, in the query's order (null: a row the server no longer has). */
  rows: readonly (T | null)[];
  /** The query's total row count, or null when this page does not say. */
  total: number | null;
  /** The notebook call returning the query's rows (null: none). */
  code: string | null;
}

/** The rows of one query: immutable, a new query is a new source. */
export interface IPageSource<T> {
  /** The row count when known before any page (a ranking), else null. */
  readonly total: number | null;
  /** The `limit` rows from position `offset`; aborted through `signal`. */
  fetch(offset: number, limit: number, signal: AbortSignal): Promise<IPage<T>>;
  /** The number id of a row: what selection, refreshes and ranges key on. */
  key(row: T): number;
}

/** The loaded rows of a query, as a grid reads them while it renders. */
export interface IRowPages<T> {
  /** The query's row count (null until known). */
  readonly total: number | null;
  /** The row at a position, or null while its page is not loaded. */
  get(index: number): T | null;
  /** The number id of a row. */
  key(row: T): number;
  /** Make sure the pages covering [first, last] are loaded or loading. */
  ensure(first: number, last: number): void;
}
