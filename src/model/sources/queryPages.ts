/**
 * The rows of one query of a view other than the samples' (objects, videos,
 * tracks): pages of one REST route by offset and limit, with the server's
 * exact total. A `PageCache` over such a source gives its view what the
 * sample grid has (pages cached by offset, stale requests aborted and
 * dropped, only the pages in view fetched). Each view's source only says how
 * it reads a page and what keys a row.
 */
import { IPage, IPageSource } from '../pageSource';

/** One page as a view's route answers it: its rows and the query's exact total. */
export interface IQueryPage<T> {
  rows: readonly T[];
  total: number;
}

/** Reads the rows `[offset, offset + limit)` of `query`; aborted through `signal`. */
export type QueryPageReader<T, Q> = (
  query: Q,
  offset: number,
  limit: number,
  signal: AbortSignal
) => Promise<IQueryPage<T>>;

/** A view's rows: immutable, a new filter, choice, version or edit is a new source. */
export class QueryPageSource<T, Q> implements IPageSource<T> {
  constructor(
    readonly query: Q,
    private readonly _read: QueryPageReader<T, Q>,
    private readonly _key: (row: T) => number
  ) {}

  /** Unknown until the first page answers (the server's exact count). */
  readonly total = null;

  key(row: T): number {
    return this._key(row);
  }

  async fetch(
    offset: number,
    limit: number,
    signal: AbortSignal
  ): Promise<IPage<T>> {
    const page = await this._read(this.query, offset, limit, signal);
    return { rows: page.rows, total: page.total, code: null };
  }
}
