/**
 * What bench_patches_browser.js runs inside the JupyterLab page, after
 * grid_probes.js's `installProbes` (whose recorder it shares: every long task
 * and frame gap over 50 ms, tagged with the phase it fell in).
 * `installPatchProbes` is serialized by Playwright and defines
 * `window.__vlPatches`: the steps of a round over the patches view (open,
 * turn pages, change the sort, switch to evaluation patches, filter changes),
 * each resolving once the panel shows the new page's tiles.
 */

/* eslint-disable no-undef */

/** Define `window.__vlPatches` in the page (after `installProbes`). */
function installPatchProbes() {
  const PANEL = '#visionlens-patches-main';
  const bench = /** @type {any} */ (window).__vlBench;
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const $ = (/** @type {string} */ s) =>
    /** @type {HTMLElement | null} */ (document.querySelector(`${PANEL} ${s}`));
  const firstTile = () => $('.jp-VisionLens-patch');
  const tileCount = () =>
    document.querySelectorAll(`${PANEL} .jp-VisionLens-patch`).length;

  /** Wait for `check()`, a frame at a time; ms waited. */
  const until = async (
    /** @type {() => unknown} */ check,
    /** @type {string} */ what,
    timeoutMs = 120000
  ) => {
    const t0 = performance.now();
    while (!check()) {
      if (performance.now() - t0 > timeoutMs) {
        const status = $('.jp-VisionLens-patchesStatus')?.textContent ?? '';
        throw new Error(`${what}: not after ${timeoutMs} ms (${status})`);
      }
      await frame();
    }
    return performance.now() - t0;
  };

  /**
   * Run `act` and wait until the panel has drawn a new page (its tiles are
   * new elements) and, with `countChanges`, a new count; ms from the act.
   */
  const newPage = async (
    /** @type {() => void} */ act,
    /** @type {string} */ what,
    countChanges = false
  ) => {
    const before = firstTile();
    const count = $('.jp-VisionLens-patchesCount')?.textContent ?? '';
    const t0 = performance.now();
    act();
    await until(
      () =>
        firstTile() !== null &&
        firstTile() !== before &&
        (!countChanges ||
          $('.jp-VisionLens-patchesCount')?.textContent !== count),
      what
    );
    const ms = performance.now() - t0;
    await frame();
    return ms;
  };

  /** Scroll the page's tiles to the last one over `frames` frames (a wheel user). */
  const scrollPage = async (/** @type {number} */ frames) => {
    const tiles = document.querySelectorAll(`${PANEL} .jp-VisionLens-patch`);
    const last = /** @type {HTMLElement} */ (tiles[tiles.length - 1]);
    for (let i = 0; i < frames; i++) {
      const tile = /** @type {HTMLElement} */ (
        tiles[Math.floor(((i + 1) * (tiles.length - 1)) / frames)]
      );
      tile.scrollIntoView({ block: 'end' });
      await frame();
    }
    last.scrollIntoView({ block: 'end' });
  };

  /** Open the patches view of `source`: ms to the first page's tiles and count. */
  const open = async (/** @type {string} */ source) => {
    bench.setPhase('open');
    const t0 = performance.now();
    void window.jupyterapp.commands.execute('visionlens:open-patches', {
      source
    });
    await until(
      () =>
        tileCount() > 0 &&
        / of /.test($('.jp-VisionLens-patchesCount')?.textContent ?? ''),
      'first page'
    );
    return {
      ms: performance.now() - t0,
      tiles: tileCount(),
      count: $('.jp-VisionLens-patchesCount')?.textContent
    };
  };

  /** `n` pages forward (Next), each scrolled to its end: ms per page. */
  const pages = async (
    /** @type {number} */ n,
    /** @type {string} */ phase
  ) => {
    bench.setPhase(phase);
    const times = [];
    for (let i = 0; i < n; i++) {
      const next = /** @type {HTMLButtonElement} */ (
        $('.jp-VisionLens-patchesNext')
      );
      times.push(await newPage(() => next.click(), `page ${i + 1}`, true));
      await scrollPage(6);
    }
    return times;
  };

  /** Pick `value` in the panel's select `cls` (as a user does): ms to the new page. */
  const choose = async (
    /** @type {string} */ cls,
    /** @type {string} */ value,
    /** @type {string} */ phase
  ) => {
    bench.setPhase(phase);
    const select = /** @type {HTMLSelectElement} */ ($(cls));
    return newPage(() => {
      select.value = value;
      select.dispatchEvent(new Event('change'));
    }, `${cls} = ${value}`);
  };

  /** Click a facet value's checkbox: ms to the new exact count and its page. */
  const filterClick = async (/** @type {string} */ selector) => {
    bench.setPhase('filters');
    return newPage(
      () =>
        /** @type {HTMLElement} */ (document.querySelector(selector)).click(),
      'page after a filter change',
      true
    );
  };

  /** @type {any} */ (window).__vlPatches = {
    open,
    pages,
    choose,
    filterClick,
    tileCount
  };
}

module.exports = { installPatchProbes };
