/**
 * The generic page cache over an in-memory source of strings whose pages
 * are answered when the test says, so the order of answers and aborts is
 * the test's.
 */
import { PageCache } from '../pages';
import { IPage, IPageSource } from '../pageSource';

/** A request the test answers: its offset and abort signal. */
interface IAsked {
  offset: number;
  signal: AbortSignal;
  answer: () => void;
}

/** Rows "<name> <i>" of `total`; pages answered by the test. */
class HeldSource implements IPageSource<string> {
  constructor(
    readonly name: string,
    private readonly _total = 100,
    readonly total: number | null = null
  ) {}

  asked: IAsked[] = [];

  fetch(
    offset: number,
    limit: number,
    signal: AbortSignal
  ): Promise<IPage<string>> {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () =>
        reject(new DOMException('aborted', 'AbortError'))
      );
      const end = Math.min(this._total, offset + limit);
      this.asked.push({
        offset,
        signal,
        answer: () =>
          resolve({
            rows: Array.from(
              { length: end - offset },
              (_, i) => `${this.name} ${offset + i}`
            ),
            total: this.total === null ? this._total : null,
            code: `view(${this.name})`
          })
      });
    });
  }

  key(row: string): number {
    return Number(row.split(' ')[1]);
  }

  /** Answer every request not aborted, and let the cache take them. */
  async answerAll(): Promise<void> {
    this.asked.filter(a => !a.signal.aborted).forEach(a => a.answer());
    this.asked = [];
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

function cache() {
  const errors: Error[] = [];
  let updates = 0;
  const pages = new PageCache<string>({
    pageSize: 10,
    onUpdate: () => updates++,
    onError: error => errors.push(error)
  });
  return { pages, errors, updates: () => updates };
}

describe('PageCache over any row type', () => {
  it('fetches the pages in view and aborts those scrolled far away', async () => {
    const { pages } = cache();
    const source = new HeldSource('a');
    pages.reset(source, false);
    pages.ensure(0, 25);
    expect(source.asked.map(a => a.offset)).toEqual([0, 10, 20]);
    expect(pages.pending).toBe(3);
    const first = [...source.asked];
    pages.ensure(80, 89); // scrolled to the end: the first pages are of no use
    expect(first.map(a => a.signal.aborted)).toEqual([true, true, true]);
    await source.answerAll();
    expect(pages.pending).toBe(0);
    expect(pages.get(85)).toBe('a 85');
    expect(pages.get(5)).toBeNull();
    expect(pages.total).toBe(100);
    expect(pages.code).toBe('view(a)');
  });

  it('drops a query on reset: its requests aborted, late answers ignored', async () => {
    const { pages, errors, updates } = cache();
    const old = new HeldSource('old');
    pages.reset(old, false);
    pages.ensure(0, 9);
    const late = old.asked[0];
    const fresh = new HeldSource('new', 50);
    pages.reset(fresh, false);
    expect(late.signal.aborted).toBe(true);
    expect(pages.total).toBeNull();
    late.answer(); // an answer that comes anyway is not shown
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(pages.get(0)).toBeNull();
    expect(updates()).toBe(0);
    expect(errors).toEqual([]); // an abort is no error
    pages.ensure(0, 9);
    await fresh.answerAll();
    expect(pages.get(0)).toBe('new 0');
    expect(pages.total).toBe(50);
  });

  it('keeps the old rows on a stale reset until the new ones arrive', async () => {
    const { pages } = cache();
    const before = new HeldSource('before');
    pages.reset(before, false);
    pages.ensure(0, 9);
    await before.answerAll();
    const after = new HeldSource('after');
    pages.reset(after, true);
    expect(pages.get(3)).toBe('before 3');
    expect(pages.total).toBe(100);
    pages.ensure(0, 9);
    await after.answerAll();
    expect(pages.get(3)).toBe('after 3');
  });

  it('refetches only the pages holding the written keys', async () => {
    const { pages } = cache();
    const source = new HeldSource('a');
    pages.reset(source, false);
    pages.ensure(0, 29);
    await source.answerAll();
    pages.refresh([13]);
    expect(pages.get(13)).toBe('a 13'); // shown until refetched
    pages.ensure(0, 29);
    expect(source.asked.map(a => a.offset)).toEqual([10]);
    expect(pages.idsBetween(8, 11)).toEqual([8, 9, 10, 11]);
  });

  it('takes a total the source knows up front (a ranking)', () => {
    const { pages } = cache();
    pages.reset(new HeldSource('ranked', 100, 7), false);
    expect(pages.total).toBe(7);
    expect(pages.code).toBeNull();
    pages.reset(null, false);
    pages.ensure(0, 9);
    expect(pages.pending).toBe(0);
    expect(pages.total).toBeNull();
  });
});
