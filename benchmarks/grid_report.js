/**
 * The grid benchmark's markdown section: one table of median (min–max) over
 * the rounds with the targets of issue #16, one table of the main thread's
 * long tasks and frame gaps per phase, and the machine, date, load, commit and
 * Chromium version.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');

const { ROOT, chromiumVersion } = require('./browser_support');

const PHASES = [
  ['open', 'opening the grid'],
  ['scroll', 'scrolling a screen at a time'],
  ['end', 'dragging the scrollbar to the end'],
  ['jumps', 'random jumps'],
  ['filters', 'filter panel + filter changes']
];

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * "median (min–max)" of one number per round.
 * @param {number[]} xs
 * @param {(x: number) => string} fmt
 */
function stat(xs, fmt) {
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

const ms = (/** @type {number} */ x) => `${x.toFixed(0)} ms`;
const mb = (/** @type {number} */ b) => `${(b / 1048576).toFixed(1)} MB`;
const int = (/** @type {number} */ x) => String(Math.round(x));
const yes = (/** @type {boolean} */ ok) => (ok ? 'yes' : '**no**');
const loads = (/** @type {number[]} */ l) =>
  l.map(x => x.toFixed(2)).join(' / ');

/**
 * Longest entry and how many are over 100 ms, of the entries in `phases`.
 * @param {{phase: string, ms: number}[]} entries
 * @param {string[]} phases
 */
function worst(entries, phases) {
  const xs = entries.filter(e => phases.includes(e.phase)).map(e => e.ms);
  return { max: Math.max(0, ...xs), over100: xs.filter(x => x > 100).length };
}

function commitOf() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf-8'
    }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * @param {{rounds: any[], data: any, samples: number, argv: string[],
 *   load0: number[], load1: number[], steps: any}} run
 * @returns {string}
 */
function report({ rounds, data, samples, argv, load0, load1, steps }) {
  const all = PHASES.map(p => p[0]);
  const per = (/** @type {(r: any) => number} */ pick) => rounds.map(pick);
  const lt = rounds.map(r => worst(r.rec.longtasks, all));
  const gaps = rounds.map(r => worst(r.rec.gaps, all));
  const rows = [
    [
      'first tiles with boxes after opening the grid',
      stat(
        per(r => r.open.boxesMs),
        ms
      ),
      '≤ 1000 ms',
      yes(Math.max(...per(r => r.open.boxesMs)) <= 1000)
    ],
    [
      'exact count shown after opening the grid',
      stat(
        per(r => r.open.countMs),
        ms
      ),
      '≤ 1000 ms',
      yes(Math.max(...per(r => r.open.countMs)) <= 1000)
    ],
    ...(data.withImages
      ? [
          [
            'first tiles with decoded thumbnails',
            stat(
              per(r => r.open.imagesMs),
              ms
            ),
            '(info)',
            ''
          ]
        ]
      : []),
    [
      'scrollbar dragged to the end: last sample shown',
      rounds
        .map(r => (r.end.reachedEnd ? 'yes' : `no (${r.end.last + 1})`))
        .join(', '),
      'yes',
      yes(rounds.every(r => r.end.reachedEnd))
    ],
    [
      `random jump → tiles (median of ${steps.jumps} per round)`,
      stat(
        per(r => median(r.jumps)),
        ms
      ),
      '(info)',
      ''
    ],
    [
      'random jump, slowest per round',
      stat(
        per(r => Math.max(...r.jumps)),
        ms
      ),
      '(info)',
      ''
    ],
    [
      `filter change → exact count + tiles (median of ${steps.filters} per round)`,
      stat(
        per(r => median(r.filters)),
        ms
      ),
      '(info)',
      ''
    ],
    [
      'filter change, slowest per round',
      stat(
        per(r => Math.max(...r.filters)),
        ms
      ),
      '(info)',
      ''
    ],
    [
      '**long tasks over 100 ms, whole round** (count)',
      stat(
        lt.map(w => w.over100),
        int
      ),
      '0',
      yes(lt.every(w => w.over100 === 0))
    ],
    [
      'longest long task, whole round',
      stat(
        lt.map(w => w.max),
        ms
      ),
      '≤ 100 ms',
      yes(lt.every(w => w.max <= 100))
    ],
    [
      'frame gaps over 100 ms (count) / longest gap',
      `${stat(
        gaps.map(w => w.over100),
        int
      )} / ${stat(
        gaps.map(w => w.max),
        ms
      )}`,
      '(info)',
      ''
    ],
    [
      'JS heap after the first screen (after GC)',
      stat(
        per(r => r.heapFirst),
        mb
      ),
      '',
      ''
    ],
    [
      'JS heap at the end of the round (after GC)',
      stat(
        per(r => r.heapEnd),
        mb
      ),
      '',
      ''
    ],
    [
      'heap at the end / after the first screen',
      stat(
        per(r => r.heapEnd / r.heapFirst),
        x => `×${x.toFixed(2)}`
      ),
      '< 2×',
      yes(rounds.every(r => r.heapEnd / r.heapFirst < 2))
    ],
    [
      'largest heap seen during the round (no GC, every 30 frames)',
      stat(
        per(r => r.rec.maxHeap),
        mb
      ),
      '(info)',
      ''
    ],
    [
      'most tile elements in the DOM',
      stat(
        per(r => r.rec.maxTiles),
        int
      ),
      'bounded',
      ''
    ]
  ];
  const phaseRows = PHASES.map(([key, label]) => {
    const l = rounds.map(r => worst(r.rec.longtasks, [key]));
    const g = rounds.map(r => worst(r.rec.gaps, [key]));
    return [
      label,
      stat(
        l.map(w => w.over100),
        int
      ),
      stat(
        l.map(w => w.max),
        ms
      ),
      stat(
        g.map(w => w.over100),
        int
      ),
      stat(
        g.map(w => w.max),
        ms
      )
    ];
  });
  const cpu =
    (fs.readFileSync('/proc/cpuinfo', 'utf-8').match(/model name\s*:\s*(.*)/) ||
      [])[1] || os.cpus()[0].model;
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [
    `## ${samples.toLocaleString('en-US')} samples, ${when} UTC`,
    '',
    `Run: \`node benchmarks/bench_grid.js ${argv.join(' ')}\`, commit \`${commitOf()}\`.`,
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}; ${chromiumVersion()} (headless, --disable-gpu); Node ${process.version}. Load average (1 / 5 / 15 min) ${loads(load0)} at the start, ${loads(load1)} at the end.`,
    `Data: ${data.note}; the grid showed "${rounds[0].open.count}" (masks and keypoints drawn on the first screen's tiles: ${rounds.map(r => r.open.canvasLabels ?? 0).join(', ')} per round); viewport 1280×800, tile size 192 px, page size 200. Each round: open, scroll ${steps.scroll.toLocaleString('en-US')} samples a screen per step, drag the scrollbar to the end over 60 frames, ${steps.jumps} random jumps, open the filter panel and change the split filter ${steps.filters} times.`,
    '',
    `| measure (median (min–max) of ${rounds.length} rounds, a fresh page each) | result | target | met (every round) |`,
    '|---|---|---|---|',
    ...rows.map(line),
    '',
    '| phase | long tasks > 100 ms | longest long task | frame gaps > 100 ms | longest frame gap |',
    '|---|---|---|---|---|',
    ...phaseRows.map(line),
    '',
    'Times are measured inside the page (performance.now) from the command / scroll / click to',
    'the frame where every visible tile has its sample (boxes drawn). Long tasks are the',
    "browser's own (PerformanceObserver 'longtask'); frame gaps are the time between two",
    'requestAnimationFrame callbacks. Heap is `Runtime.getHeapUsage` after two forced GCs.',
    ''
  ].join('\n');
}

module.exports = { report };
