/**
 * What bench_patches_browser.js runs inside the JupyterLab page, after
 * grid_probes.js's `installProbes` (whose recorder it shares: every long task
 * and frame gap over 50 ms, tagged with the phase it fell in).
 * `installPatchProbes` is serialized by Playwright and defines
 * `window.__vlPatches`: the steps of a round over the patches view (open,
 * scroll a screen at a time, change the sort, switch to evaluation patches,
 * filter changes), each resolving once the view is covered by tiles showing
 * their object (crop and labels drawn: `patchCrop` draws them with the tile).
 *
 * The view is one virtual grid (`VirtualGrid`): its tiles are recycled
 * while scrolling and rebuilt for a new query, a tile whose page is loading
 * is empty (`jp-mod-loading`, no `data-ann-id`), and tiles past the end are
 * `visibility: hidden`.
 */

/* eslint-disable no-undef */

/** Define `window.__vlPatches` in the page (after `installProbes`). */
function installPatchProbes() {
  const PANEL = '#visionlens-patches-main';
  /** The grid's gap between tiles (px, gridRows.ts's GAP). */
  const GAP = 6;
  const bench = /** @type {any} */ (window).__vlBench;
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const $ = (/** @type {string} */ s) =>
    /** @type {HTMLElement | null} */ (document.querySelector(`${PANEL} ${s}`));
  const scroller = () =>
    /** @type {HTMLElement} */ ($('.jp-VisionLens-gridScroller'));
  const countText = () => $('.jp-VisionLens-patchesCount')?.textContent ?? '';
  /** The exact total the count shows ("5,000,000 objects"), or null before it answered. */
  const total = () => {
    const m = /^([\d,]+) objects?$/.exec(countText());
    return m ? Number(m[1].replace(/,/g, '')) : null;
  };
  /** Tiles in the DOM (the grid's own rows: recycled ones are `display: none`). */
  const tiles = () =>
    /** @type {HTMLElement[]} */ ([
      ...document.querySelectorAll(`${PANEL} .jp-VisionLens-patch`)
    ]);
  const tileCount = () => tiles().length;

  /**
   * The screen as the user sees it once it is complete: every tile in the
   * scroller's box shows its object, and those tiles cover the box from top
   * to bottom (or down to the last object). Tiles the grid has not placed
   * yet leave a hole, so a scroll that outran the render is not taken for
   * done. Null while incomplete; else the tiles and their positions.
   */
  const screen = () => {
    const el = scroller();
    if (!el) {
      return null;
    }
    const box = el.getBoundingClientRect();
    const bottom = box.top + el.clientHeight;
    const shown = tiles()
      .map(t => ({ t, r: t.getBoundingClientRect() }))
      .filter(
        ({ t, r }) => t.offsetParent && r.bottom > box.top && r.top < bottom
      );
    const n = total();
    const filled = shown.filter(({ t }) => t.style.visibility !== 'hidden');
    if (
      n === null ||
      filled.length === 0 ||
      filled.some(
        ({ t }) => t.classList.contains('jp-mod-loading') || !t.dataset.annId
      )
    ) {
      return null;
    }
    const index = filled.map(({ t }) => Number(t.dataset.index));
    const last = Math.max(...index);
    // Covered: no vertical gap wider than the grid's (and a pixel of rounding).
    let reach = box.top;
    for (const { r } of [...shown].sort((a, b) => a.r.top - b.r.top)) {
      if (r.top > reach + GAP + 1) {
        return null;
      }
      reach = Math.max(reach, r.bottom);
    }
    if (reach < bottom - GAP - 1 && last !== n - 1) {
      return null;
    }
    return {
      els: filled.map(({ t }) => t),
      tiles: filled.length,
      first: Math.min(...index),
      last
    };
  };

  /** Wait for `check()` to give a value, a frame at a time; it and the ms waited. */
  const until = async (
    /** @type {() => any} */ check,
    /** @type {string} */ what,
    timeoutMs = 120000
  ) => {
    const t0 = performance.now();
    let value;
    while (!(value = check())) {
      if (performance.now() - t0 > timeoutMs) {
        const status = $('.jp-VisionLens-patchesStatus')?.textContent ?? '';
        throw new Error(
          `${what}: not after ${timeoutMs} ms (count "${countText()}", status "${status}")`
        );
      }
      await frame();
    }
    return { value, ms: performance.now() - t0 };
  };

  /**
   * Run `act` (a new query) and wait until a complete screen of the new
   * query shows: its tiles are new elements (the grid rebuilds its rows for
   * a query) and, with `countChanges`, the count is a new one; ms from the act.
   */
  const newQuery = async (
    /** @type {() => void} */ act,
    /** @type {string} */ what,
    countChanges = false
  ) => {
    const before = new Set(tiles());
    const count = countText();
    const t0 = performance.now();
    act();
    await until(() => {
      const s = screen();
      return (
        s &&
        !s.els.some(t => before.has(t)) &&
        (!countChanges || countText() !== count) &&
        s
      );
    }, what);
    const ms = performance.now() - t0;
    await frame();
    return ms;
  };

  /** Open the patches view of `source`: ms to the first screen of tiles and the exact count. */
  const open = async (/** @type {string} */ source) => {
    bench.setPhase('open');
    const t0 = performance.now();
    void window.jupyterapp.commands.execute('visionlens:open-patches', {
      source
    });
    const { value } = await until(screen, 'first screen');
    const ms = performance.now() - t0;
    const row = /** @type {HTMLElement} */ ($('.jp-VisionLens-gridRow'));
    return {
      ms,
      tiles: value.tiles,
      count: countText(),
      // what a scroll step moves: one scroller height, in rows of tiles
      screenPx: scroller().clientHeight,
      rowPx: row.offsetHeight + GAP,
      columns: row.children.length
    };
  };

  /**
   * `n` steps of one screen down (a Page Down or wheel user), each until the
   * new screen is complete: ms per step.
   */
  const scrollSteps = async (
    /** @type {number} */ n,
    /** @type {string} */ phase
  ) => {
    bench.setPhase(phase);
    const el = scroller();
    const times = [];
    let first = /** @type {{value: any}} */ (await until(screen, 'a screen'))
      .value.first;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      el.scrollTop += el.clientHeight;
      const { value } = await until(
        () => {
          const s = screen();
          return s && s.first > first && s;
        },
        `scroll step ${i + 1}`
      );
      times.push(performance.now() - t0);
      first = value.first;
      await frame();
    }
    return times;
  };

  /** Pick `value` in the panel's select `cls` (as a user does): ms to the new query's first screen. */
  const choose = async (
    /** @type {string} */ cls,
    /** @type {string} */ value,
    /** @type {string} */ phase
  ) => {
    bench.setPhase(phase);
    const select = /** @type {HTMLSelectElement} */ ($(cls));
    if (![...select.options].some(o => o.value === value)) {
      // a renamed option would pick nothing and time no change
      throw new Error(`${cls} has no option ${value}`);
    }
    return newQuery(() => {
      select.value = value;
      select.dispatchEvent(new Event('change'));
    }, `${cls} = ${value}`);
  };

  /** Click a facet value's checkbox: ms to the new exact count and its first screen. */
  const filterClick = async (/** @type {string} */ selector) => {
    bench.setPhase('filters');
    return newQuery(
      () =>
        /** @type {HTMLElement} */ (document.querySelector(selector)).click(),
      'screen after a filter change',
      true
    );
  };

  /** @type {any} */ (window).__vlPatches = {
    open,
    scrollSteps,
    choose,
    filterClick,
    tileCount
  };
}

module.exports = { installPatchProbes };
