#!/usr/bin/env node
/**
 * Map rendering benchmark in headless Debian Chromium (WebGL2 on SwiftShader:
 * no GPU), same 20-cluster data for every renderer:
 *
 *   node benchmarks/bench_map_render.js [--points 100000,1000000] [--runs 3] [--pans 5]
 *       [--modes plain,selection,dimmed,density] [--renderers points,regl,scatterplot]
 *
 * Renderers: the map panel's points layer (src/features/map/MapCanvas + PointsLayer,
 * compiled to lib/ by `jlpm build:lib`), regl-scatterplot (jupyter-scatter's
 * renderer, a devDependency used only here) and deck.gl 9's ScatterplotLayer,
 * fed the same data. Each run is a fresh page; "first paint" is from handing
 * the arrays to the renderer to the first frame finished (readPixels /
 * getImageData), "pan frame" the same for one pan step (median of --pans).
 * `--renderers points,regl,scatterplot` picks renderers (default: all three).
 * Modes: `plain` (every point opaque), `selection` (10 % of the points
 * selected, spread at random), `dimmed` (50 % outside the filter, dimmed),
 * `density` (the density view); regl-scatterplot runs its equivalents
 * (entry.js), deck.gl's ScatterplotLayer only `plain`.
 * Needs ui-tests/node_modules (playwright-core) and /usr/bin/chromium.
 * Prints a table and adds it at the top of benchmarks/results/map-render.md
 * (`--out FILE` for another file, e.g. a development run).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {
  ROOT,
  opt,
  launchChromium,
  chromiumVersion
} = require('./browser_support');

const SIZES = opt('points', '100000,1000000').split(',').map(Number);
const MODES = opt('modes', 'plain,selection,dimmed,density').split(',');
const RUNS = Number(opt('runs', 3));
const PANS = Number(opt('pans', 5));
const RENDERERS = [
  ['VisionLens points layer', 'benchPoints', 'points'],
  [
    `regl-scatterplot ${reglVersion()} (jupyter-scatter's renderer)`,
    'benchRegl',
    'regl'
  ],
  ['deck.gl ScatterplotLayer', 'benchScatterplot', 'scatterplot']
].filter(([, , key]) =>
  opt('renderers', 'points,regl,scatterplot').split(',').includes(key)
);
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-map-'));

function reglVersion() {
  return require(
    path.join(ROOT, 'node_modules', 'regl-scatterplot', 'package.json')
  ).version;
}

function build() {
  execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(
    'npx',
    ['webpack', '--config', 'benchmarks/map_render/webpack.config.js'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, VL_BENCH_OUT: OUT }
    }
  );
  fs.writeFileSync(
    path.join(OUT, 'index.html'),
    '<!doctype html><body style="margin:0"><div id="host" style="position:relative;width:1280px;height:800px"></div><script src="bundle.js"></script></body>'
  );
}

/** @param {number[]} xs */
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** @param {number} ms */
const fmt = ms =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
/** @param {number[]} xs */
const range = xs => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} fn
 * @param {number} n
 * @param {string} mode
 */
async function measure(browser, fn, n, mode) {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 800 }
  });
  await page.goto(`file://${path.join(OUT, 'index.html')}`);
  await page.waitForFunction(
    () => /** @type {any} */ (window).benchPoints !== undefined
  );
  const result = await page.evaluate(
    /** @param {[string, number, number, string]} args */
    ([f, n, p, m]) => /** @type {any} */ (window)[f](n, p, m),
    /** @type {[string, number, number, string]} */ ([fn, n, PANS, mode])
  );
  const renderer = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
    return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : 'unknown';
  });
  await page.close();
  return { ...result, renderer };
}

async function main() {
  build();
  const browser = await launchChromium([
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader'
  ]);
  const rows = [];
  let renderer = '';
  const load = [];
  for (const n of SIZES) {
    for (const mode of MODES) {
      for (const [name, fn, key] of RENDERERS) {
        if (key === 'scatterplot' && mode !== 'plain') {
          continue;
        }
        const first = [];
        const pan = [];
        const drawn = [];
        const differ = [];
        const differMuch = [];
        let failure = null;
        for (let r = 0; r < RUNS && !failure; r++) {
          load.push(os.loadavg()[0]);
          try {
            const res = await measure(browser, fn, n, mode);
            renderer = res.renderer;
            first.push(res.firstPaint);
            pan.push(median(res.panMs));
            if (res.drawn !== undefined) {
              drawn.push(res.drawn);
              differ.push(res.differ / Math.max(1, res.covered));
              differMuch.push(res.differMuch / Math.max(1, res.covered));
            }
          } catch (error) {
            // A renderer that takes the page down (SwiftShader out of memory) is a result too.
            failure = String(
              error instanceof Error ? error.message : error
            ).split('\n')[0];
          }
        }
        rows.push({
          n,
          mode,
          name,
          first,
          pan,
          drawn,
          differ,
          differMuch,
          failure
        });
        console.log(n, mode, name, failure ?? '', first.map(fmt), pan.map(fmt));
      }
    }
  }
  await browser.close();
  load.push(os.loadavg()[0]);
  const version = chromiumVersion();
  const cpus = os.cpus();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    `## Run of ${when} UTC`,
    '',
    `Command: \`node benchmarks/bench_map_render.js --points ${SIZES.join(',')} --runs ${RUNS} --pans ${PANS} --modes ${MODES.join(',')} --renderers ${RENDERERS.map(r => r[2]).join(',')}\`.`,
    '',
    `Machine: ${cpus[0].model}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; ${version} (headless, --disable-gpu), WebGL renderer "${renderer}"; Node ${process.version}. Load average (1 min): ${load[0].toFixed(2)} at the start, ${load[load.length - 1].toFixed(2)} at the end, ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)} over the runs (shared machine).`,
    'Data: 20 Gaussian clusters (the same for every renderer); viewport 1280×800, one device pixel per CSS pixel, 2-px points.',
    'Modes: plain (every point opaque); selection (10 % of the points selected, spread at random: selected drawn on top, 2 px larger, the rest at 0.3 opacity); dimmed (50 % outside the filter at random, drawn at 0.15 opacity); density (the additive density view). regl-scatterplot runs its equivalents: `select()` with `opacityInactiveScale` 0.3; `opacityBy` a 0/1 value with opacities [0.15, 1] (its `filter()` hides rather than dims); `opacityBy: "density"` (a density-based opacity, not additive).',
    '',
    '| renderer | mode | points | first paint, median (range) | pan frame, median (range) | points drawn (covered pixels changed vs drawing all: any / by > 10 %) |',
    '|---|---|---|---|---|---|',
    ...rows.map(r => {
      /** @param {number[]} xs */
      const cell = xs =>
        xs.length
          ? `${fmt(median(xs))} (${range(xs)}, ${xs.length} runs)`
          : '—';
      const note = r.failure
        ? ` — run ${r.first.length + 1} failed: ${r.failure}`
        : '';
      const pct = (/** @type {number[]} */ xs) =>
        `${(100 * Math.max(...xs)).toFixed(1)} %`;
      const drawn = r.drawn.length
        ? `${median(r.drawn).toLocaleString('en-US')} (${pct(r.differ)} / ${pct(r.differMuch)} at most)`
        : 'all';
      return `| ${r.name}${note} | ${r.mode} | ${r.n.toLocaleString('en-US')} | ${cell(r.first)} | ${cell(r.pan)} | ${drawn} |`;
    }),
    '',
    `${RUNS} runs each, a fresh page per run; a run's pan figure is the median of ${PANS} pan frames.`,
    'First paint: from handing the arrays to the renderer to the first frame finished',
    '(a 1-pixel readPixels / getImageData blocks until SwiftShader is done); the panel adds the',
    'points request and decoding on top (12 bytes a point: 12 MB for 1M points).',
    ''
  ];
  const file = opt(
    'out',
    path.join(ROOT, 'benchmarks', 'results', 'map-render.md')
  );
  const title =
    '# Map rendering without a GPU (headless Chromium, SwiftShader)';
  const older = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf-8').replace(title, '').trim()
    : '';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // The newest run on top, earlier runs kept below.
  fs.writeFileSync(
    file,
    [title, '', ...lines, older ? `${older}\n` : ''].join('\n')
  );
  console.log(lines.join('\n'));
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
