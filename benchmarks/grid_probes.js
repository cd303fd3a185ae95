/**
 * What bench_grid.js runs inside the JupyterLab page: `installProbes` is
 * serialized by Playwright and defines `window.__vlBench`, which records
 *   - every long task the browser reports (PerformanceObserver 'longtask', the
 *     main thread busy > 50 ms) and every gap between animation frames over
 *     50 ms (what the user sees as a frozen grid: GC and layout included),
 *     each tagged with the phase of the benchmark it fell in;
 *   - the most tile elements in the grid's DOM at any checkpoint;
 * and offers the steps of a round (open, scroll, jumps, filter changes), each
 * resolving once every visible tile shows its sample (boxes drawn, and masks and
 * keypoints where a tile draws them in a later frame: `data-labels-pending`).
 */

/* eslint-disable no-undef */

/** Define `window.__vlBench` in the page (run once per page, before the round). */
function installProbes() {
  const GRID = '#visionlens-grid-main';
  /** @typedef {{phase: string, ms: number}} Entry */
  const rec = {
    phase: 'idle',
    longtasks: /** @type {Entry[]} */ ([]),
    gaps: /** @type {Entry[]} */ ([]),
    maxTiles: 0,
    maxHeap: 0
  };
  /** Enter a phase; the mark puts it on a performance trace's timeline too. */
  const setPhase = (/** @type {string} */ phase) => {
    rec.phase = phase;
    performance.mark(`vl-phase:${phase}`);
  };
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      rec.longtasks.push({ phase: rec.phase, ms: e.duration });
    }
  }).observe({ type: 'longtask' });
  let last = performance.now();
  let frames = 0;
  const memory = /** @type {any} */ (performance).memory;
  const tick = (/** @type {number} */ now) => {
    const gap = now - last;
    last = now;
    if (gap > 50) {
      rec.gaps.push({ phase: rec.phase, ms: gap });
    }
    if (++frames % 30 === 0 && memory) {
      rec.maxHeap = Math.max(rec.maxHeap, memory.usedJSHeapSize);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  const frame = () => new Promise(r => requestAnimationFrame(r));
  /** Wait for `check()` to be true, one frame at a time. */
  const until = async (
    /** @type {() => unknown} */ check,
    /** @type {string} */ what,
    timeoutMs = 60000
  ) => {
    const t0 = performance.now();
    while (!check()) {
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`${what}: not after ${timeoutMs} ms`);
      }
      await frame();
    }
  };
  const scroller = () =>
    /** @type {HTMLElement} */ (
      document.querySelector(`${GRID} .jp-VisionLens-gridScroller`)
    );
  const countTiles = () => {
    const n = document.querySelectorAll(`${GRID} .jp-VisionLens-tile`).length;
    rec.maxTiles = Math.max(rec.maxTiles, n);
    return n;
  };

  /** Visible tiles (inside the scroller's box, not hidden past the end). */
  const visibleTiles = () => {
    const el = scroller();
    if (!el) {
      return [];
    }
    const view = el.getBoundingClientRect();
    /** @type {HTMLElement[]} */
    const tiles = [...el.querySelectorAll('.jp-VisionLens-tile')].map(
      t => /** @type {HTMLElement} */ (t)
    );
    return tiles.filter(t => {
      const r = t.getBoundingClientRect();
      return (
        t.style.visibility !== 'hidden' &&
        t.offsetParent &&
        r.bottom > view.top &&
        r.top < view.bottom
      );
    });
  };

  const image = (/** @type {HTMLElement} */ t) =>
    /** @type {HTMLImageElement} */ (t.querySelector('img'));

  /** Wait until every visible tile has its sample; ms waited and the tiles. */
  const tilesReady = async (withImages = false, timeoutMs = 60000) => {
    const t0 = performance.now();
    for (;;) {
      const tiles = visibleTiles();
      const ready =
        tiles.length > 0 &&
        tiles.every(
          t =>
            t.dataset.sampleId &&
            // masks and keypoints drawn too (a tile may draw them a few frames later)
            t.dataset.labelsPending === undefined &&
            (!withImages || (image(t).complete && image(t).naturalWidth > 0))
        );
      if (ready) {
        countTiles();
        const idx = tiles.map(t => Number(t.dataset.index));
        return {
          ms: performance.now() - t0,
          tiles: tiles.length,
          first: Math.min(...idx),
          last: Math.max(...idx)
        };
      }
      if (performance.now() - t0 > timeoutMs) {
        throw new Error(`tiles not ready after ${timeoutMs} ms`);
      }
      await frame();
    }
  };

  const countEl = () =>
    /** @type {HTMLElement} */ (
      document.querySelector(`${GRID} .jp-VisionLens-count`)
    );

  /** Open the grid: ms to the first tiles with boxes, to the exact count, to images. */
  const open = async (
    /** @type {string} */ dataset,
    /** @type {boolean} */ withImages
  ) => {
    setPhase('open');
    const t0 = performance.now();
    window.jupyterapp.commands.execute('visionlens:open-grid', { dataset });
    let countMs = null;
    const watchCount = until(() => {
      const c = countEl();
      return c && c.dataset.filtered;
    }, 'exact count').then(() => {
      countMs = performance.now() - t0;
    });
    const boxes = await tilesReady(false);
    const boxesMs = performance.now() - t0;
    await watchCount;
    let imagesMs = null;
    if (withImages) {
      await tilesReady(true);
      imagesMs = performance.now() - t0;
    }
    return {
      boxesMs,
      countMs,
      imagesMs,
      tiles: boxes.tiles,
      // Masks and keypoints drawn on the first screen's canvases (0: boxes only).
      canvasLabels: visibleTiles().reduce(
        (n, t) => n + Number(t.querySelector('canvas')?.dataset.drawn ?? 0),
        0
      ),
      count: countEl().textContent
    };
  };

  /** Scroll one screen per frame until `samples` samples went by (a wheel / PageDown user). */
  const scrollSamples = async (/** @type {number} */ samples) => {
    setPhase('scroll');
    const el = scroller();
    let shown = null;
    while (!shown || shown.last < samples) {
      el.scrollTop += el.clientHeight;
      shown = await tilesReady(false);
    }
    return shown.last;
  };

  /** Drag the scrollbar to the bottom over `frames` frames; then the last tile must show. */
  const dragToEnd = async (
    /** @type {number} */ frames,
    /** @type {number} */ total
  ) => {
    setPhase('end');
    const el = scroller();
    const start = el.scrollTop;
    const t0 = performance.now();
    for (let i = 1; i <= frames; i++) {
      el.scrollTop =
        start + ((el.scrollHeight - el.clientHeight - start) * i) / frames;
      await frame();
    }
    const shown = await tilesReady(false);
    return {
      ms: performance.now() - t0,
      last: shown.last,
      reachedEnd: shown.last === total - 1
    };
  };

  /** `n` jumps to random positions (seeded): ms until each one's tiles show. */
  const jumps = async (/** @type {number} */ n, /** @type {number} */ seed) => {
    setPhase('jumps');
    const el = scroller();
    let s = seed >>> 0;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      el.scrollTop = rand() * (el.scrollHeight - el.clientHeight);
      await tilesReady(false);
      times.push(performance.now() - t0);
      await frame();
    }
    return times;
  };

  /** Click a facet value's checkbox: ms until the new exact count and its tiles show. */
  const filterClick = async (/** @type {string} */ selector) => {
    setPhase('filters');
    const count = countEl();
    const before = count.textContent;
    const t0 = performance.now();
    /** @type {HTMLElement} */ (document.querySelector(selector)).click();
    await until(
      () => count.textContent !== before,
      'count after a filter change'
    );
    await tilesReady(false);
    return performance.now() - t0;
  };

  /** @type {any} */ (window).__vlBench = {
    rec,
    open,
    scrollSamples,
    dragToEnd,
    jumps,
    filterClick,
    countTiles,
    setPhase
  };
}

module.exports = { installProbes };
