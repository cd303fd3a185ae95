/**
 * Page cache of the virtualized grid: fetches pages of `POST /samples/query`
 * for the current dataset + filter, aborts requests that went stale (filter
 * changed, or scrolled far away) and keeps a bounded number of pages.
 *
 * With a ranking (a search's result ids, best first) it shows those samples
 * in that order instead: each page is fetched by its ids and put in order.
 * Otherwise pages follow the grid's sort (`setSort`).
 */
import { orderByRanking } from './similarity';
import { sortQuery } from './sorting';
import { samplesPage } from './sources/samples';
import { IFilter, ISample, ISort, IVisionLensModel } from './tokens';

/** Options of {@link PageCache}. */
export interface IPageCacheOptions {
  /** The model whose client answers the pages. */
  model: IVisionLensModel;
  pageSize: number;
  /** Most pages kept in memory (the rest is refetched when needed). */
  maxPages?: number;
  /** Called when a page arrived or the total changed. */
  onUpdate: () => void;
  /** Called when a request failed (not when aborted). */
  onError: (error: Error) => void;
}

/** Pages of samples of one query; `reset()` starts a new query. */
export class PageCache {
  constructor(private options: IPageCacheOptions) {
    this.maxPages = options.maxPages ?? 16;
  }

  readonly maxPages: number;

  /** The ranked ids shown instead of the query's pages, or null. */
  get ranking(): readonly number[] | null {
    return this._ranking;
  }

  /** Show these sample ids in this order (a search), or the query again (null). */
  setRanking(ranking: readonly number[] | null): void {
    this._ranking = ranking ? [...ranking] : null;
    this.reset(this._dataset, this._filter, false);
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
      this.reset(this._dataset, this._filter, false);
    }
  }

  /** The sort of the next query (takes effect at the next `reset`). */
  setSort(sort: ISort | null): void {
    this._sort = sort;
  }

  /** The notebook call of the current view, from the last page the server sent. */
  get code(): string | null {
    return this._ranking ? null : this._code;
  }

  /** How many requests are in flight (tests and benchmarks read it). */
  get pending(): number {
    return this._pending.size;
  }

  /**
   * Start a new query. With `keepStale`, the old pages stay visible until
   * their replacement arrives (used after tagging: no flashing).
   */
  reset(dataset: string | null, filter: IFilter, keepStale: boolean): void {
    for (const ctl of this._pending.values()) {
      ctl.abort();
    }
    this._pending.clear();
    this._stale = keepStale ? this._pages : new Map();
    this._pages = new Map();
    if (!keepStale) {
      this._total = null;
      this._code = null;
    }
    if (this._ranking) {
      this._total = this._ranking.length;
    }
    this._dataset = dataset;
    this._filter = filter;
    this._generation++;
  }

  /**
   * Samples were written (tags...) without changing which rows the query
   * selects or their order: only the loaded pages holding them (all of them
   * for null) are fetched again at the next `ensure`, the old rows shown
   * until then. Requests in flight may hold the old rows: they start again.
   */
  refresh(ids: readonly number[] | null): void {
    const touched = ids ? new Set(ids) : null;
    for (const ctl of this._pending.values()) {
      ctl.abort();
    }
    this._pending.clear();
    for (const [page, rows] of this._pages) {
      if (!touched || rows.some(s => s !== null && touched.has(s.sample_id))) {
        this._stale.set(page, rows);
        this._pages.delete(page);
      }
    }
  }

  /** The sample at a position, or null while its page is not loaded. */
  get(index: number): ISample | null {
    const page = Math.floor(index / this.options.pageSize);
    const offset = index - page * this.options.pageSize;
    const rows = this._pages.get(page) ?? this._stale.get(page);
    return rows?.[offset] ?? null;
  }

  /** The loaded id at each position in [from, to], or null if one is missing. */
  idsBetween(from: number, to: number): number[] | null {
    const out: number[] = [];
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      const s = this.get(i);
      if (!s) {
        return null;
      }
      out.push(s.sample_id);
    }
    return out;
  }

  /** Make sure the pages covering [first, last] are loaded or loading. */
  ensure(first: number, last: number): void {
    if (!this._dataset) {
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
    this.reset(null, {}, false);
  }

  private _fetch(page: number): void {
    const ctl = new AbortController();
    const generation = this._generation;
    const dataset = this._dataset as string;
    const size = this.options.pageSize;
    const ranked = this._ranking?.slice(page * size, (page + 1) * size);
    this._pending.set(page, ctl);
    samplesPage(
      this.options.model,
      dataset,
      ranked ? { ids: ranked } : this._filter,
      ranked
        ? { offset: 0, limit: ranked.length }
        : { offset: page * size, limit: size, ...sortQuery(this._sort) },
      ctl.signal
    )
      .then(result => {
        if (generation !== this._generation) {
          return;
        }
        this._pending.delete(page);
        this._pages.set(
          page,
          ranked ? orderByRanking(ranked, result.samples) : result.samples
        );
        this._stale.delete(page);
        if (!ranked) {
          this._total = result.total;
          this._code = result.code ?? null;
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

  private _dataset: string | null = null;
  private _filter: IFilter = {};
  private _generation = 0;
  private _total: number | null = null;
  private _pages = new Map<number, (ISample | null)[]>();
  private _stale = new Map<number, (ISample | null)[]>();
  private _ranking: number[] | null = null;
  private _sort: ISort | null = null;
  private _code: string | null = null;
  private _pending = new Map<number, AbortController>();
}
