/**
 * Page cache of a virtual grid: fetches the pages of one query from its
 * {@link IPageSource} (rows of any type), aborts requests that went stale
 * (a new query, or scrolled far away) and keeps a bounded number of pages.
 */
import { IPage, IPageSource, IRowPages } from './pageSource';

/** Options of {@link PageCache}. */
export interface IPageCacheOptions {
  pageSize: number;
  /** Most pages kept in memory (the rest is refetched when needed). */
  maxPages?: number;
  /** Called when a page arrived or the total changed. */
  onUpdate: () => void;
  /** Called when a request failed (not when aborted). */
  onError: (error: Error) => void;
}

/** Pages of rows of one query; `reset()` starts a new query. */
export class PageCache<T> implements IRowPages<T> {
  constructor(private options: IPageCacheOptions) {
    this.maxPages = options.maxPages ?? 16;
  }

  readonly maxPages: number;

  /** The query shown (null: none). */
  get source(): IPageSource<T> | null {
    return this._source;
  }

  /** The server's total for the current query (null until the first page). */
  get total(): number | null {
    return this._total;
  }

  get pageSize(): number {
    return this.options.pageSize;
  }

  set pageSize(value: number) {
    const v = Math.max(20, Math.min(1000, Math.round(value)));
    if (v !== this.options.pageSize) {
      this.options.pageSize = v;
      this.reset(this._source, false);
    }
  }

  /** The notebook call of the current view, from the last page that said. */
  get code(): string | null {
    return this._code;
  }

  /** How many requests are in flight (tests and benchmarks read it). */
  get pending(): number {
    return this._pending.size;
  }

  /**
   * Start a new query (null: none). With `keepStale`, the old pages stay
   * visible until their replacement arrives (used after tagging: no flashing).
   */
  reset(source: IPageSource<T> | null, keepStale: boolean): void {
    for (const ctl of this._pending.values()) {
      ctl.abort();
    }
    this._pending.clear();
    // a second reset before any page answered keeps the rows still shown
    this._stale = keepStale
      ? new Map([...this._stale, ...this._pages])
      : new Map();
    this._pages = new Map();
    if (!keepStale) {
      this._total = null;
      this._code = null;
    }
    if (source && source.total !== null) {
      this._total = source.total;
      this._code = null;
    }
    this._source = source;
    this._generation++;
  }

  /**
   * Rows were written (tags...) without changing which rows the query
   * selects or their order: only the loaded pages holding these keys (all of
   * them for null) are fetched again at the next `ensure`, the old rows shown
   * until then. Requests in flight may hold the old rows: they start again.
   */
  refresh(keys: readonly number[] | null): void {
    const touched = keys ? new Set(keys) : null;
    for (const ctl of this._pending.values()) {
      ctl.abort();
    }
    this._pending.clear();
    for (const [page, rows] of this._pages) {
      if (
        !touched ||
        rows.some(row => row !== null && touched.has(this.key(row)))
      ) {
        this._stale.set(page, rows);
        this._pages.delete(page);
      }
    }
  }

  /** The row at a position, or null while its page is not loaded. */
  get(index: number): T | null {
    const page = Math.floor(index / this.options.pageSize);
    const offset = index - page * this.options.pageSize;
    const rows = this._pages.get(page) ?? this._stale.get(page);
    return rows?.[offset] ?? null;
  }

  /** The number id of a row of the current query. */
  key(row: T): number {
    return (this._source as IPageSource<T>).key(row);
  }

  /** The rows of the current query's pages loaded so far (not the stale ones). */
  loadedRows(): T[] {
    const out: T[] = [];
    for (const rows of this._pages.values()) {
      for (const row of rows) {
        if (row !== null) {
          out.push(row);
        }
      }
    }
    return out;
  }

  /** The loaded key at each position in [from, to], or null if one is missing. */
  idsBetween(from: number, to: number): number[] | null {
    const out: number[] = [];
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      const row = this.get(i);
      if (!row) {
        return null;
      }
      out.push(this.key(row));
    }
    return out;
  }

  /** Make sure the pages covering [first, last] are loaded or loading. */
  ensure(first: number, last: number): void {
    if (!this._source) {
      return;
    }
    const size = this.options.pageSize;
    const firstPage = Math.max(0, Math.floor(first / size));
    let lastPage = Math.max(firstPage, Math.floor(last / size));
    if (this._total !== null) {
      lastPage = Math.min(
        lastPage,
        Math.max(0, Math.ceil(this._total / size) - 1)
      );
    }
    // Abort requests for pages far from the view: they would only cost time.
    for (const [page, ctl] of this._pending) {
      if (page < firstPage - 1 || page > lastPage + 1) {
        ctl.abort();
        this._pending.delete(page);
      }
    }
    for (let page = firstPage; page <= lastPage; page++) {
      if (!this._pages.has(page) && !this._pending.has(page)) {
        this._fetch(page);
      }
    }
    this._evict(firstPage, lastPage);
  }

  /** Abort everything (widget disposed). */
  dispose(): void {
    this.reset(null, false);
  }

  private _fetch(page: number): void {
    const ctl = new AbortController();
    const generation = this._generation;
    const size = this.options.pageSize;
    this._pending.set(page, ctl);
    (this._source as IPageSource<T>)
      .fetch(page * size, size, ctl.signal)
      .then((result: IPage<T>) => {
        if (generation !== this._generation) {
          return;
        }
        this._pending.delete(page);
        this._pages.set(page, result.rows);
        this._stale.delete(page);
        if (result.total !== null) {
          this._total = result.total;
          this._code = result.code;
        }
        this.options.onUpdate();
      })
      .catch((error: Error) => {
        if (generation !== this._generation || error?.name === 'AbortError') {
          return;
        }
        this._pending.delete(page);
        this.options.onError(error);
      });
  }

  private _evict(firstPage: number, lastPage: number): void {
    if (this._pages.size <= this.maxPages) {
      return;
    }
    const center = (firstPage + lastPage) / 2;
    const byDistance = [...this._pages.keys()].sort(
      (a, b) => Math.abs(b - center) - Math.abs(a - center)
    );
    while (this._pages.size > this.maxPages && byDistance.length) {
      const page = byDistance.shift() as number;
      if (page < firstPage || page > lastPage) {
        this._pages.delete(page);
      } else {
        break;
      }
    }
    this._stale.clear();
  }

  private _source: IPageSource<T> | null = null;
  private _generation = 0;
  private _total: number | null = null;
  private _pages = new Map<number, readonly (T | null)[]>();
  private _stale = new Map<number, readonly (T | null)[]>();
  private _code: string | null = null;
  private _pending = new Map<number, AbortController>();
}
