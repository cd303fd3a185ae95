import { GridFocus } from '../gridFocus';

/** A focus over `total` string rows laid out `columns` to a row. */
function setup(total: number, columns: number, rowsInView = 3) {
  const revealed: number[] = [];
  const toggled: string[] = [];
  const opened: [string, number][] = [];
  const scroller = document.createElement('div');
  const focus = new GridFocus<string>({
    scroller,
    rows: { columns, rowsInView, reveal: index => revealed.push(index) },
    pages: { total, get: index => `row ${index}` },
    render: () => undefined,
    onToggle: row => toggled.push(row),
    onOpen: (row, index) => opened.push([row, index])
  });
  return { focus, revealed, toggled, opened, scroller };
}

describe('the grid keyboard focus', () => {
  it('moves by tiles and rows within the rows, showing the tile', () => {
    const { focus, revealed } = setup(10, 4);
    focus.move(1, 0);
    expect(focus.index).toBe(1);
    focus.move(0, 1);
    expect(focus.index).toBe(5);
    focus.move(0, 1);
    expect(focus.index).toBe(9); // the last tile, not past it
    focus.move(-1, -5);
    expect(focus.index).toBe(0);
    expect(revealed).toEqual([1, 5, 9, 0]);
  });

  it('moves a screen of rows at a time, and to any position', () => {
    const { focus, revealed } = setup(50, 4, 3);
    focus.movePages(1);
    expect(focus.index).toBe(12); // 3 rows of 4
    focus.movePages(1);
    expect(focus.index).toBe(24);
    focus.movePages(-1);
    expect(focus.index).toBe(12);
    focus.goTo(1000);
    expect(focus.index).toBe(49); // the last row, not past it
    focus.goTo(0);
    expect(revealed).toEqual([12, 24, 12, 49, 0]);
  });

  it('makes only the focused tile tabbable and focuses it once rendered', () => {
    const { focus, scroller } = setup(10, 4);
    const tiles = [0, 1].map(i => {
      const el = document.createElement('div');
      el.setAttribute('role', 'gridcell');
      el.dataset.index = String(i);
      scroller.append(el);
      return el;
    });
    document.body.append(scroller);
    focus.move(1, 0);
    tiles.forEach((el, i) => focus.mark(el, i));
    focus.afterRender();
    expect(tiles.map(el => el.tabIndex)).toEqual([-1, 0]);
    expect(document.activeElement).toBe(tiles[1]);
    scroller.remove();
  });

  it("focuses the shown tile of a position, not a hidden row's stale one", () => {
    const { focus, scroller } = setup(10, 4);
    const rows = ['none', ''].map(display => {
      const row = document.createElement('div');
      row.style.display = display;
      const tile = document.createElement('div');
      tile.setAttribute('role', 'gridcell');
      tile.dataset.index = '1';
      tile.tabIndex = 0;
      row.append(tile);
      scroller.append(row);
      return tile;
    });
    document.body.append(scroller);
    focus.goTo(1);
    focus.afterRender();
    expect(document.activeElement).toBe(rows[1]);
    scroller.remove();
  });

  it('toggles and opens the focused row', async () => {
    const { focus, toggled, opened } = setup(10, 4);
    focus.set(3);
    focus.toggle();
    await focus.open();
    expect(toggled).toEqual(['row 3']);
    expect(opened).toEqual([['row 3', 3]]);
  });
});
