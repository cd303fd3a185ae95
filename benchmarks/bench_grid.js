#!/usr/bin/env node
/**
 * Grid benchmark with a real JupyterLab server and the system Chromium.
 *
 *   node benchmarks/bench_grid.js [--samples 1000000] [--rounds 3]
 *       [--data synthetic|coco] [--labels boxes|masks] [--cache /tmp/vl-browse-cache]
 *       [--port 8890] [--out FILE]
 *
 * Makes its own data (grid_data.js: by default bench_browse.py's synthetic
 * dataset, cached outside the repository and reused; `--labels masks` gives
 * every object a mask and some keypoints), starts `jupyter lab` on
 * it and, in each round (a fresh page), measures (grid_probes.js):
 *   1. opening the grid: first tiles with boxes, the exact count shown;
 *   2. scrolling 5,000 samples a screen at a time, then dragging the scrollbar
 *      to the end (the last sample must show);
 *   3. 20 random jumps (scrollTop set anywhere);
 *   4. 5 filter changes (a facet checkbox → new exact count + tiles);
 * and, throughout, every long task on the main thread (PerformanceObserver
 * 'longtask') and every frame gap over 50 ms (requestAnimationFrame), the tile
 * elements in the DOM, and the JS heap (after forced GC) after the first
 * screen and at the end. Prints a markdown section and, with --out, puts it at
 * the top of that file, below its title (older sections kept below).
 * Needs: `jlpm install` in ui-tests/ (playwright-core), /usr/bin/chromium,
 * the labextension built (`jlpm build`) and found by `jupyter lab`.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const {
  opt,
  startLab,
  openLab,
  runRounds,
  writeOnTop
} = require('./browser_support');
const { prepareData, tool } = require('./grid_data');
const { installProbes } = require('./grid_probes');
const { report } = require('./grid_report');

const SAMPLES = Number(opt('samples', 100000));
const PORT = Number(opt('port', 8890));
const ROUNDS = Number(opt('rounds', 3));
const DATA = /** @type {'synthetic' | 'coco'} */ (opt('data', 'synthetic'));
const CACHE = opt('cache', '/tmp/vl-browse-cache');
const LABELS = /** @type {'boxes' | 'masks'} */ (opt('labels', 'boxes'));
const OUT = opt('out', '');
const JUMPS = 20;
const FILTER_CHANGES = 5;
const SCROLL_SAMPLES = 5000;
/**
 * What `VL_GRID_TRACE=PREFIX` records of each round (PREFIX.N.json, read by
 * grid_trace.js): the main thread's tasks with their layout, paint, raster
 * and script steps, the phase marks and the JavaScript samples.
 */
const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'blink.user_timing',
  'v8.execute',
  'blink',
  'cc',
  'disabled-by-default-v8.cpu_profiler'
];

/** @param {import('playwright-core').CDPSession} cdp */
async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/**
 * The checkbox of the `val` split in the filter panel.
 * @param {string} base
 */
async function splitSelector(base) {
  const facets = await (
    await fetch(`${base}/visionlens/api/datasets/bench/facets`)
  ).json();
  const name = facets.facets.find(
    /** @param {any} f */
    f =>
      f.name === 'split' &&
      f.values.some(/** @param {any} v */ v => v.value === 'val')
  )
    ? 'split'
    : 'fields.split';
  return `#visionlens-filters details[data-facet="${name}"] .jp-VisionLens-facetValue[data-value="val"] input`;
}

/**
 * One round in a fresh page.
 * @param {import('playwright-core').Browser} browser
 * @param {string} base
 * @param {boolean} withImages
 * @param {number} round
 * @returns {Promise<any>}
 */
async function measureRound(browser, base, withImages, round) {
  const { page, cdp } = await openLab(browser, base, 'visionlens:open-grid');
  await page.evaluate(installProbes);
  const profile = process.env.VL_GRID_PROFILE;
  const trace = process.env.VL_GRID_TRACE;
  if (trace) {
    await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  }
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  /** @type {string[]} */
  const slow = [];
  page.on('requestfinished', req => {
    const t = req.timing();
    const ms = t.responseEnd - t.requestStart;
    if (ms > 200 && req.url().includes('/visionlens/api/')) {
      slow.push(
        `${ms.toFixed(0)} ms ${req.method()} ${req.url().split('/api/')[1]} ${req.postData()?.slice(0, 80) ?? ''}`
      );
    }
  });
  /** @type {any} */
  const r = {};
  r.open = await page.evaluate(
    ([w]) => /** @type {any} */ (window).__vlBench.open('bench', w),
    [withImages]
  );
  await page.waitForTimeout(300);
  r.heapFirst = await heap(cdp);
  const total = Number(
    await page.getAttribute(
      '#visionlens-grid-main .jp-VisionLens-count',
      'data-filtered'
    )
  );
  r.scrolledTo = await page.evaluate(
    ([n]) => /** @type {any} */ (window).__vlBench.scrollSamples(n),
    [SCROLL_SAMPLES]
  );
  r.end = await page.evaluate(
    ([t]) => /** @type {any} */ (window).__vlBench.dragToEnd(60, t),
    [total]
  );
  r.jumps = await page.evaluate(
    ([n, seed]) => /** @type {any} */ (window).__vlBench.jumps(n, seed),
    [JUMPS, 1000 + round]
  );
  if (profile) {
    const { profile: p } = await cdp.send('Profiler.stop');
    fs.writeFileSync(`${profile}.${round}.cpuprofile`, JSON.stringify(p));
  }

  await page.evaluate(() => {
    /** @type {any} */ (window).__vlBench.setPhase('filters');
    return window.jupyterapp.commands.execute('visionlens:open-filters');
  });
  const selector = await splitSelector(base);
  await page
    .locator(selector)
    .waitFor({ timeout: 120000 })
    .catch(async (/** @type {Error} */ error) => {
      const text = await page.locator('#visionlens-filters').innerText();
      throw new Error(`${error.message}\nfilter panel: ${text.slice(0, 800)}`);
    });
  await page.waitForTimeout(500);
  r.filters = [];
  for (let i = 0; i < FILTER_CHANGES; i++) {
    r.filters.push(
      await page.evaluate(
        ([s]) => /** @type {any} */ (window).__vlBench.filterClick(s),
        [selector]
      )
    );
    await page.waitForTimeout(300);
  }
  // Let the facet answers of the last change arrive and render.
  await page.waitForTimeout(2000);
  r.heapEnd = await heap(cdp);
  r.rec = await page.evaluate(() => /** @type {any} */ (window).__vlBench.rec);
  r.tilesNow = await page.evaluate(() =>
    /** @type {any} */ (window).__vlBench.countTiles()
  );
  r.slowRequests = slow;
  if (trace) {
    fs.writeFileSync(`${trace}.${round}.json`, await browser.stopTracing());
  }
  await page.close();
  return r;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-grid-'));
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-root-'));
  console.error(`data dir ${dataDir}`);
  const load0 = os.loadavg();
  const data = prepareData(DATA, dataDir, SAMPLES, CACHE, LABELS);
  const lab = startLab(tool('jupyter'), String(PORT), dataDir, rootDir);
  const base = lab.base;
  /** @type {any[]} */
  const rounds = await runRounds({
    lab,
    dirs: [rootDir, dataDir],
    count: ROUNDS,
    switches: ['--enable-precise-memory-info'],
    round: async (browser, i) => {
      const r = await measureRound(browser, base, data.withImages, i);
      console.error(`round ${i + 1}: ${JSON.stringify(r.open)}`);
      return r;
    }
  });
  const md = report({
    rounds,
    data,
    samples: SAMPLES,
    argv: process.argv.slice(2),
    load0,
    load1: os.loadavg(),
    steps: { jumps: JUMPS, filters: FILTER_CHANGES, scroll: SCROLL_SAMPLES }
  });
  if (OUT) {
    writeOnTop(OUT, md);
  }
  if (process.env.VL_GRID_JSON) {
    fs.writeFileSync(process.env.VL_GRID_JSON, JSON.stringify(rounds));
  }
  console.log(md);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
