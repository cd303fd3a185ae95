/**
 * The generic virtual grid over a row type that is not a sample: words from
 * an in-memory page source, through the real `PageCache`.
 */
import { PageCache } from '../../../model/pages';
import { IPage, IPageSource } from '../../../model/pageSource';
import { ITileRenderer, VirtualGrid } from '../VirtualGrid';

const TOTAL = 10_000;

/**
 * Rows "word 0" ... "word 9999" (and `suffix`); the key of a row is its
 * number.
 */
class WordsSource implements IPageSource<string> {
  readonly total = null;
  fetched: number[] = [];
  suffix = '';

  async fetch(offset: number, limit: number): Promise<IPage<string>> {
    this.fetched.push(offset);
    const end = Math.min(TOTAL, offset + limit);
    const rows = Array.from({ length: end - offset }, (_, i) => {
      return `word ${offset + i}${this.suffix}`;
    });
    return { rows, total: TOTAL, code: null };
  }

  key(row: string): number {
    return parseInt(row.slice(5), 10);
  }
}

/** Writes the word into the tile; counts what it drew. */
class WordTiles implements ITileRenderer<string> {
  fills = 0;

  create(cell: HTMLDivElement): HTMLDivElement {
    cell.className += ' test-word';
    return cell;
  }

  fill(tile: HTMLDivElement, row: string | null): void {
    this.fills++;
    tile.textContent = row ?? '';
  }
}

/** The next animation frame and the promises it settles. */
async function frame(): Promise<void> {
  await new Promise(resolve => requestAnimationFrame(resolve));
  await new Promise(resolve => setTimeout(resolve, 0));
}

/**
 * A grid of 1,000 × 500 px (jsdom lays nothing out: the sizes a browser
 * measures are set on the scroller): tiles of 100 px are 9 to a row,
 * stretched to 104 px, rows 110 px apart. While `view.hidden` the grid is as
 * in a background tab: it draws nothing and, like a `display: none` element,
 * keeps its `scrollTop` whatever is set.
 */
function setup(view = { hidden: false }) {
  const source = new WordsSource();
  const tiles = new WordTiles();
  const selected = new Set<number>();
  const opened: number[] = [];
  const pages: PageCache<string> = new PageCache<string>({
    pageSize: 50,
    onUpdate: () => grid.scheduleRender(),
    onError: error => {
      throw error;
    }
  });
  const grid: VirtualGrid<string> = new VirtualGrid<string>({
    pages,
    renderer: tiles,
    tileSize: 100,
    label: 'Words',
    isSelected: key => selected.has(key),
    onToggle: row => {
      const key = source.key(row);
      if (!selected.delete(key)) {
        selected.add(key);
      }
      grid.invalidate();
    },
    onOpen: (_, index) => opened.push(index),
    beforeRender: () => !view.hidden
  });
  let top = 0;
  Object.defineProperty(grid.node, 'clientWidth', { value: 1000 });
  Object.defineProperty(grid.node, 'clientHeight', { value: 500 });
  Object.defineProperty(grid.node, 'scrollTop', {
    get: () => top,
    set: (v: number) => {
      if (!view.hidden) {
        top = v;
      }
    }
  });
  document.body.append(grid.node);
  pages.reset(source, false);
  pages.ensure(0, 0);
  return { source, tiles, selected, opened, pages, grid };
}

/** The shown tiles' indices and texts, by index. */
function shown(grid: VirtualGrid<string>): string[] {
  return [...grid.node.querySelectorAll<HTMLElement>('[role="gridcell"]')]
    .filter(
      el =>
        el.style.visibility !== 'hidden' &&
        (el.parentElement as HTMLElement).style.display !== 'none'
    )
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
    .map(el => `${el.dataset.index}:${el.textContent}`);
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('the virtual grid over rows of any type', () => {
  it('renders only the rows in view, as a grid of rows of cells', async () => {
    const { grid, source } = setup();
    await frame();
    await frame();
    expect(grid.node.getAttribute('role')).toBe('grid');
    expect(grid.node.getAttribute('aria-label')).toBe('Words');
    // 500 px of 110 px rows: rows 0-5 (the sixth in part), two more below.
    const texts = shown(grid);
    expect(texts).toHaveLength(8 * 9);
    expect(texts[0]).toBe('0:word 0');
    expect(texts[71]).toBe('71:word 71');
    expect(grid.tileCount).toBe(72);
    const rows = grid.node.querySelectorAll('[role="row"]');
    expect(rows).toHaveLength(8);
    expect(rows[0].querySelectorAll('[role="gridcell"]')).toHaveLength(9);
    // 10,000 words in rows of 9: the rows not in the DOM are counted too
    expect(grid.node.getAttribute('aria-rowcount')).toBe('1112');
    expect(rows[7].getAttribute('aria-rowindex')).toBe('8');
    // The pages of those rows only: 72 words in pages of 50.
    expect(source.fetched).toEqual([0, 50]);
  });

  it('recycles its rows while scrolling and redraws only what changed', async () => {
    const { grid, tiles } = setup();
    await frame();
    await frame();
    const before = [...grid.node.querySelectorAll('[role="row"]')];
    tiles.fills = 0;
    await frame();
    grid.scheduleRender();
    await frame();
    expect(tiles.fills).toBe(0); // nothing changed: no tile drawn again

    // Down by 8 rows (880 px, within two screens): rows 6-15 in the DOM.
    grid.node.scrollTop = 880;
    grid.node.dispatchEvent(new Event('scroll'));
    await frame();
    await frame();
    const texts = shown(grid);
    expect(texts[0]).toBe('54:word 54');
    expect(texts[texts.length - 1]).toBe('143:word 143');
    expect(texts).toHaveLength(10 * 9);
    // The row elements are reused: none of the old ones was dropped, and
    // only the two rows more (the overscan above) were created.
    const after = [...grid.node.querySelectorAll('[role="row"]')];
    expect(before.every(row => after.includes(row))).toBe(true);
    expect(after).toHaveLength(10);
    // a reused row says which row it shows now (rows 6-15: 7-16 counted from 1)
    const indices = after
      .filter(row => (row as HTMLElement).style.display !== 'none')
      .map(row => Number(row.getAttribute('aria-rowindex')))
      .sort((a, b) => a - b);
    expect(indices).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('draws the rows of a page fetched again, the old ones shown meanwhile', async () => {
    const { grid, pages, source } = setup();
    await frame();
    await frame();
    // the same query with more in its rows (as the TP/FP/FN statuses)
    source.suffix = ' again';
    pages.reset(source, true);
    grid.scheduleRender();
    await frame();
    await frame();
    const texts = shown(grid);
    expect(texts[0]).toBe('0:word 0 again');
    expect(texts[71]).toBe('71:word 71 again');
  });

  it('reports focus and selection with tabindex and aria-selected', async () => {
    const { grid, selected, opened } = setup();
    selected.add(2);
    await frame();
    await frame();
    const cell = (i: number) =>
      grid.node.querySelector<HTMLElement>(
        `[data-index="${i}"]`
      ) as HTMLElement;
    expect(cell(2).getAttribute('aria-selected')).toBe('true');
    expect(cell(3).getAttribute('aria-selected')).toBe('false');
    expect(cell(0).tabIndex).toBe(0);

    grid.focus.move(1, 1); // one right, one down: position 10
    await frame();
    expect(grid.focus.index).toBe(10);
    expect(document.activeElement).toBe(cell(10));
    expect(cell(10).tabIndex).toBe(0);
    expect(cell(0).tabIndex).toBe(-1);

    grid.focus.toggle();
    await grid.focus.open();
    await frame();
    expect(cell(10).getAttribute('aria-selected')).toBe('true');
    expect(cell(10).classList.contains('jp-mod-selected')).toBe(true);
    expect(opened).toEqual([10]);

    const hit = grid.rowAt(cell(10));
    expect(hit?.row).toBe('word 10');
    expect(grid.rowAt(document.body)).toBeNull();
  });

  it('starts at the top when shown after a reset while hidden', async () => {
    const view = { hidden: false };
    const { grid, pages, source } = setup(view);
    await frame();
    grid.node.scrollTop = 880;
    grid.node.dispatchEvent(new Event('scroll'));
    await frame();
    await frame();
    expect(shown(grid)[0]).toBe('54:word 54');

    // Another dataset opened while the grid's tab is in the background.
    view.hidden = true;
    grid.reset();
    pages.reset(source, false);
    pages.ensure(0, 0);
    await frame();
    await frame();
    expect(grid.node.scrollTop).toBe(880); // a hidden scroller ignored it

    view.hidden = false;
    grid.scheduleRender();
    await frame();
    await frame();
    expect(grid.node.scrollTop).toBe(0);
    expect(shown(grid)[0]).toBe('0:word 0');
  });
});
