#!/usr/bin/env node
/**
 * The patches view in a real JupyterLab server and the system Chromium, by the
 * grid benchmark's rules (bench_grid.js: long tasks on the main thread while
 * browsing and filtering, 3 rounds, a fresh page each).
 *
 *   node benchmarks/bench_patches_browser.js [--images 1000000] [--per-image 5]
 *       [--rounds 3] [--cache /tmp/vl-patches-browser-cache] [--port 8891] [--out FILE]
 *
 * Data: bench_patches.py's `patches_dataset_dir` (n images of `per-image`
 * ground-truth boxes: 1M x 5 = 5M objects; a model m1 of 2 per image and its
 * evaluation), written once into the cache and copied into a fresh data
 * folder. Its images do not exist (crops answer the placeholder), so the
 * tiles' label drawing is measured, not decoding. Each round (probes:
 * grid_probes.js's recorder, patches_probes.js's steps):
 *   1. open the grid, then the patches view of the ground truth (5M objects):
 *      its first screen of tiles and the exact count;
 *   2. 20 scroll steps of one screen down, each until the new screen is
 *      covered by tiles showing their object (the view is one virtual grid);
 *   3. 4 sort changes (area, then descending, class, then ascending);
 *   4. the evaluation patches of m1 (by IoU; TP / FP / FN pairs drawn),
 *      10 scroll steps;
 *   5. back to the ground truth, 5 filter changes (the split facet's `val`);
 * with every long task over 50 ms and frame gap, and the JS heap after GC.
 * Prints a markdown section; with --out, puts it at the top of that file,
 * below its title.
 * Needs what bench_grid.js needs (playwright-core in ui-tests, Chromium, the
 * labextension built and found by `jupyter lab`).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {
  opt,
  ROOT,
  startLab,
  openLab,
  runRounds,
  writeOnTop
} = require('./browser_support');
const { tool } = require('./grid_data');
const { installProbes } = require('./grid_probes');
const { installPatchProbes } = require('./patches_probes');

const IMAGES = Number(opt('images', 1000000));
const PER_IMAGE = Number(opt('per-image', 5));
const ROUNDS = Number(opt('rounds', 3));
const CACHE = opt('cache', '/tmp/vl-patches-browser-cache');
const PORT = Number(opt('port', 8891));
const OUT = opt('out', '');
const STEPS = 20;
const EVAL_STEPS = 10;
/** The sort changes, one select at a time (as a user picks them). */
const SORTS = [
  ['.jp-VisionLens-patchesSort', 'area'],
  ['.jp-VisionLens-patchesOrder', 'desc'],
  ['.jp-VisionLens-patchesSort', 'label'],
  ['.jp-VisionLens-patchesOrder', 'asc']
];
const FILTER_CHANGES = 5;

const PREPARE = `
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bench_patches import patches_dataset_dir
t0 = time.perf_counter()
print(patches_dataset_dir(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
print(f"{time.perf_counter() - t0:.1f}")
`;

/** The cached dataset, its catalog copied into `dataDir`; a note saying what it is. */
function prepare(/** @type {string} */ dataDir) {
  const out = execFileSync(
    tool('python'),
    ['-c', PREPARE, __dirname, CACHE, String(IMAGES), String(PER_IMAGE)],
    { encoding: 'utf-8', cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
  )
    .trim()
    .split('\n');
  const [cached, seconds] = out.slice(-2);
  for (const name of fs.readdirSync(cached)) {
    if (name.startsWith('catalog.duckdb')) {
      fs.copyFileSync(path.join(cached, name), path.join(dataDir, name));
    }
  }
  const written = fs
    .readFileSync(path.join(cached, '.complete'), 'utf-8')
    .trim();
  return `${IMAGES.toLocaleString('en-US')} images x ${PER_IMAGE} ground-truth boxes, model m1 (2 per image) and its evaluation; cached in ${cached} (${written}; found in ${seconds} s), catalog copied into a fresh data folder`;
}

/** @param {import('playwright-core').CDPSession} cdp */
async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** One round in a fresh page. */
async function measureRound(
  /** @type {import('playwright-core').Browser} */ browser,
  /** @type {string} */ base
) {
  const { page, cdp } = await openLab(browser, base, 'visionlens:open-patches');
  await page.evaluate(installProbes);
  await page.evaluate(installPatchProbes);
  /** @type {any} */
  const r = {};
  const call = (/** @type {string} */ step, /** @type {any[]} */ args) =>
    page.evaluate(
      ([s, a]) => /** @type {any} */ (window).__vlPatches[s](...a),
      /** @type {[string, any[]]} */ ([step, args])
    );
  r.grid = await page.evaluate(() =>
    /** @type {any} */ (window).__vlBench.open('bench', false)
  );
  r.open = await call('open', ['ground_truth']);
  await page.waitForTimeout(300);
  r.heapFirst = await heap(cdp);
  r.steps = await call('scrollSteps', [STEPS, 'scroll']);
  r.sorts = [];
  for (const [select, value] of SORTS) {
    r.sorts.push(await call('choose', [select, value, 'sorts']));
  }
  r.evaluation = await call('choose', [
    '.jp-VisionLens-patchesKind',
    'evaluation:m1',
    'evaluation'
  ]);
  r.evalSteps = await call('scrollSteps', [EVAL_STEPS, 'evaluation']);
  r.back = await call('choose', [
    '.jp-VisionLens-patchesKind',
    'objects:ground_truth',
    'filters'
  ]);
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('visionlens:open-filters')
  );
  const selector =
    '#visionlens-filters details[data-facet="split"] .jp-VisionLens-facetValue[data-value="val"] input';
  await page.locator(selector).waitFor({ timeout: 120000 });
  await page.waitForTimeout(500);
  r.filters = [];
  for (let i = 0; i < FILTER_CHANGES; i++) {
    r.filters.push(await call('filterClick', [selector]));
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(2000);
  r.heapEnd = await heap(cdp);
  r.rec = await page.evaluate(() => /** @type {any} */ (window).__vlBench.rec);
  await page.close();
  return r;
}

const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** `median (min–max)` of one number per round. */
const spread = (/** @type {number[]} */ xs, unit = '', digits = 0) =>
  `${median(xs).toFixed(digits)}${unit} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}${unit})`;

/** The markdown section of the rounds. */
function report(
  /** @type {any[]} */ rounds,
  /** @type {string} */ note,
  /** @type {number[]} */ load0,
  /** @type {number[]} */ load1
) {
  const over = (/** @type {any} */ r, /** @type {string | null} */ phase) =>
    r.rec.longtasks.filter(
      (/** @type {any} */ e) =>
        e.ms > 100 && (phase === null || e.phase === phase)
    );
  const per = (/** @type {(r: any) => number} */ f) => rounds.map(f);
  const phases = ['open', 'scroll', 'sorts', 'evaluation', 'filters'];
  const rows = [
    [
      'grid opened, then the patches view: first screen with its exact count',
      spread(
        per(r => r.open.ms),
        ' ms'
      )
    ],
    ['count shown', rounds[0].open.count],
    [
      'a screen (what a scroll step moves)',
      `${rounds[0].open.screenPx} px: ${(rounds[0].open.screenPx / rounds[0].open.rowPx).toFixed(1)} rows of ${rounds[0].open.columns} tiles (${rounds[0].open.tiles} in view)`
    ],
    [
      `scroll step (one screen) → its tiles, median of ${STEPS} per round`,
      spread(
        per(r => median(r.steps)),
        ' ms'
      )
    ],
    [
      'scroll step, slowest per round',
      spread(
        per(r => Math.max(...r.steps)),
        ' ms'
      )
    ],
    [
      `sort change → first screen, median of ${SORTS.length}`,
      spread(
        per(r => median(r.sorts)),
        ' ms'
      )
    ],
    [
      'sort change, slowest per round',
      spread(
        per(r => Math.max(...r.sorts)),
        ' ms'
      )
    ],
    [
      'switch to the evaluation patches of m1 (by IoU)',
      spread(
        per(r => r.evaluation),
        ' ms'
      )
    ],
    [
      `evaluation scroll step, median of ${EVAL_STEPS}`,
      spread(
        per(r => median(r.evalSteps)),
        ' ms'
      )
    ],
    [
      'evaluation scroll step, slowest per round',
      spread(
        per(r => Math.max(...r.evalSteps)),
        ' ms'
      )
    ],
    [
      `filter change → exact count + first screen, median of ${FILTER_CHANGES}`,
      spread(
        per(r => median(r.filters)),
        ' ms'
      )
    ],
    [
      'filter change, slowest per round',
      spread(
        per(r => Math.max(...r.filters)),
        ' ms'
      )
    ],
    [
      '**long tasks over 100 ms, whole round** (count)',
      spread(per(r => over(r, null).length))
    ],
    ...phases.map(p => [
      `long tasks over 100 ms while ${p}`,
      spread(per(r => over(r, p).length))
    ]),
    [
      'longest long task, whole round',
      spread(
        per(r =>
          Math.max(0, ...r.rec.longtasks.map((/** @type {any} */ e) => e.ms))
        ),
        ' ms'
      )
    ],
    [
      'frame gaps over 100 ms (count)',
      spread(
        per(r => r.rec.gaps.filter((/** @type {any} */ e) => e.ms > 100).length)
      )
    ],
    [
      'JS heap after the first screen / at the end (after GC)',
      `${spread(
        per(r => r.heapFirst / 1e6),
        ' MB',
        1
      )} / ${spread(
        per(r => r.heapEnd / 1e6),
        ' MB',
        1
      )}`
    ]
  ];
  const fmt = (/** @type {number[]} */ l) =>
    l.map(x => x.toFixed(2)).join(' / ');
  return [
    `## Patches view, ${(IMAGES * PER_IMAGE).toLocaleString('en-US')} ground-truth objects (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Data: ${note}. Command: \`node benchmarks/bench_patches_browser.js ${process.argv.slice(2).join(' ')}\`. ` +
      `Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, shared with other sessions; ` +
      `load average ${fmt(load0)} at the start, ${fmt(load1)} at the end.`,
    '',
    `| per round, median (min–max) of ${rounds.length} | result |`,
    '|---|---|',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    ''
  ].join('\n');
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-patches-'));
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-root-'));
  const note = prepare(dataDir);
  const load0 = os.loadavg();
  const lab = startLab(tool('jupyter'), String(PORT), dataDir, rootDir);
  const base = lab.base;
  const rounds = await runRounds({
    lab,
    dirs: [rootDir, dataDir],
    count: ROUNDS,
    switches: ['--enable-precise-memory-info'],
    round: async (browser, i) => {
      const r = await measureRound(browser, base);
      console.error(`round ${i + 1}: open ${JSON.stringify(r.open)}`);
      return r;
    }
  });
  const md = report(rounds, note, load0, os.loadavg());
  if (OUT) {
    writeOnTop(OUT, md);
  }
  if (process.env.VL_PATCHES_JSON) {
    fs.writeFileSync(process.env.VL_PATCHES_JSON, JSON.stringify(rounds));
  }
  console.log(md);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
