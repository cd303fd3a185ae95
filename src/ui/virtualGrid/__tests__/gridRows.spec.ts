import { GridRows } from '../gridRows';
import { MAX_SCROLL_PX } from '../scrollMap';

/**
 * A scroller of 1240 × 700 px. jsdom lays nothing out, so the sizes the
 * browser would measure are set on the element; scrollTop is kept as set.
 */
function scroller(): HTMLDivElement {
  const el = document.createElement('div');
  let top = 0;
  Object.defineProperty(el, 'clientWidth', { value: 1240 });
  Object.defineProperty(el, 'clientHeight', { value: 700 });
  Object.defineProperty(el, 'scrollTop', {
    get: () => top,
    set: (v: number) => {
      top = v;
    }
  });
  return el;
}

/** A plain cell (the rows only place and reuse them). */
const cell = () => document.createElement('div');

describe('GridRows', () => {
  it('reaches the last of 1M samples with a bounded number of rows', () => {
    const el = scroller();
    const sizer = document.createElement('div');
    el.append(sizer);
    const rows = new GridRows(el, sizer, cell);
    const shown: number[] = [];
    const fill = (_: HTMLElement, index: number) => shown.push(index);

    let view = rows.render(1_000_000, 192, fill);
    expect(sizer.style.height).toBe(`${MAX_SCROLL_PX}px`);
    expect(view.first).toBe(0);
    expect(Math.min(...shown)).toBe(0);

    // The scrollbar dragged to the bottom shows the last sample.
    el.scrollTop = MAX_SCROLL_PX - 700;
    shown.length = 0;
    view = rows.render(1_000_000, 192, fill);
    expect(Math.max(...shown)).toBeGreaterThanOrEqual(999_999);
    expect(view.last).toBeGreaterThanOrEqual(999_999);
    expect(view.moved).toBeGreaterThan(700);
    // Rows in the DOM: the viewport's plus the overscan, reused ones hidden.
    const visible = [...sizer.children].filter(
      r => (r as HTMLElement).style.display !== 'none'
    );
    expect(visible.length).toBeLessThanOrEqual(9);
    expect(sizer.children.length).toBeLessThanOrEqual(18);
    // The last row sits inside the sizer, at the bottom of the viewport.
    const ys = visible.map(r =>
      Number(
        /translateY\((-?\d+)px\)/.exec((r as HTMLElement).style.transform)?.[1]
      )
    );
    expect(Math.max(...ys)).toBeLessThan(MAX_SCROLL_PX);
    expect(Math.max(...ys)).toBeGreaterThan(MAX_SCROLL_PX - 700 - 210);
  });

  it('keeps its real height when it fits, and goes back to the top', () => {
    const el = scroller();
    const sizer = document.createElement('div');
    el.append(sizer);
    const rows = new GridRows(el, sizer, cell);
    rows.render(10_000, 192, () => undefined);
    // 6 tiles per row, stretched to 199 px + 6 px of gap: 1,667 rows of 205 px.
    expect(sizer.style.height).toBe(`${1667 * 205 + 6}px`);
    el.scrollTop = 50_000;
    rows.render(10_000, 192, () => undefined);
    rows.scrollToTop();
    expect(el.scrollTop).toBe(0);
    const view = rows.render(10_000, 192, () => undefined);
    expect(view.first).toBe(0);
  });

  it('centres a far position, of a grid that fits or of 1M samples', () => {
    for (const total of [10_000, 1_000_000]) {
      const el = scroller();
      const sizer = document.createElement('div');
      el.append(sizer);
      const rows = new GridRows(el, sizer, cell);
      const shown = new Set<number>();
      const fill = (_: HTMLElement, index: number) => shown.add(index);
      rows.render(total, 192, fill);
      const target = Math.floor(total * 0.7) + 3;
      let inView = false;
      for (let tries = 0; tries < 8 && !inView; tries++) {
        inView = rows.center(target);
        shown.clear();
        rows.render(total, 192, fill);
      }
      expect(inView).toBe(true);
      expect(shown.has(target)).toBe(true);
      // in view now: nothing moves
      const top = el.scrollTop;
      expect(rows.center(target)).toBe(true);
      expect(el.scrollTop).toBe(top);
    }
  });
});
