/**
 * What bench_video_playback.js derives from a round's probe records
 * (video_playback_probes.js) and the markdown section it prints.
 */
const os = require('os');

/** @param {number[]} xs @param {number} q */
function quantile(xs, q) {
  if (xs.length === 0) {
    return NaN;
  }
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** @param {number[]} xs */
const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The figures of one round: the frames shown (each change of the frame whose
 * image the stage holds, while playing), their pace, and for each whether
 * the labels drawn over it (box track 0's position, the stage's
 * `data-labels-of`) were of another frame at any moment it was shown.
 * @param {any} round what `__vlPlay.play` answered
 * @param {Map<string, number>} frameOf a frame sample's id → its frame
 * @param {number} fps the video's frame rate
 */
function analyseRound(round, frameOf, fps) {
  const { t0, t1, rec, timings } = round;
  const samples = rec.samples.filter((/** @type {any} */ s) => s.t <= t1 + 100);
  /** @type {{frame: number, t: number, mismatch: boolean, behind: boolean}[]} */
  const shown = [];
  let blank = 0;
  let counterOff = 0;
  let pixelChecks = 0;
  let pixelWrong = 0;
  for (const raw of samples) {
    // a canvas of native playback names its frame; an image, its sample
    const s = {
      ...raw,
      image: raw.imageFrame ?? frameOf.get(raw.imageOf) ?? -1
    };
    if (s.pixel !== null) {
      pixelChecks++;
      pixelWrong += s.pixel !== s.image ? 1 : 0;
    }
    if (s.image < 1) {
      blank += shown.length > 0 ? 1 : 0;
      continue;
    }
    const last = shown[shown.length - 1];
    if (!last || last.frame !== s.image) {
      shown.push({ frame: s.image, t: s.t, mismatch: false, behind: false });
    }
    const current = shown[shown.length - 1];
    const labels = frameOf.get(s.labelsOf) ?? -1;
    if (s.box !== s.image || labels !== s.image) {
      current.mismatch = true;
      current.behind ||= s.box < s.image || labels < s.image;
    }
    counterOff += s.counter !== s.image ? 1 : 0;
  }
  const played = shown.filter(s => s.t >= t0);
  const intervals = played.slice(1).map((s, i) => s.t - played[i].t);
  const late = 1.5 * (1000 / fps);
  let skipped = 0;
  let backwards = 0;
  played.slice(1).forEach((s, i) => {
    const step = s.frame - played[i].frame;
    skipped += Math.max(0, step - 1);
    backwards += step < 0 ? 1 : 0;
  });
  const span =
    played.length > 1 ? played[played.length - 1].t - played[0].t : 0;
  const of = (/** @type {string} */ kind) =>
    timings.filter((/** @type {any} */ e) => e.kind === kind);
  const images = of('image');
  const frameSamples = of('sample');
  return {
    videoRequests: of('video').length,
    shown: played.length,
    fps: span > 0 ? ((played.length - 1) * 1000) / span : 0,
    p50: quantile(intervals, 0.5),
    p95: quantile(intervals, 0.95),
    max: Math.max(0, ...intervals),
    heldLate: intervals.filter(ms => ms > late).length,
    skipped,
    backwards,
    mismatched: played.filter(s => s.mismatch).length,
    behind: played.filter(s => s.behind).length,
    blank,
    counterOff,
    pixelChecks,
    pixelWrong,
    first: played[0]?.frame ?? 0,
    last: played[played.length - 1]?.frame ?? 0,
    longtasks: rec.longtasks.length,
    longestTask: Math.max(
      0,
      ...rec.longtasks.map((/** @type {any} */ e) => e.ms)
    ),
    longtaskMs: rec.longtasks.reduce(
      (/** @type {number} */ a, /** @type {any} */ e) => a + e.ms,
      0
    ),
    probeMs: rec.ticks ? rec.probeMs / rec.ticks : 0,
    images: images.length,
    imageP50: quantile(
      images.map((/** @type {any} */ e) => e.ms),
      0.5
    ),
    imageP95: quantile(
      images.map((/** @type {any} */ e) => e.ms),
      0.95
    ),
    imageWaitP50: quantile(
      images.map((/** @type {any} */ e) => e.wait),
      0.5
    ),
    imageKb: median(images.map((/** @type {any} */ e) => e.bytes)) / 1024,
    samples: frameSamples.length,
    sampleP50: quantile(
      frameSamples.map((/** @type {any} */ e) => e.ms),
      0.5
    ),
    sampleP95: quantile(
      frameSamples.map((/** @type {any} */ e) => e.ms),
      0.95
    )
  };
}

/** What each playback path is, for the section's title. */
const PATH_NAMES = /** @type {Record<string, string>} */ ({
  native: "the browser's <video> element, each picture drawn with its labels",
  images: "the server's frame images"
});

/** `median (min–max)` of one number per round ("none": no round had one). */
const spread = (/** @type {number[]} */ xs, unit = '', digits = 0) => {
  const known = xs.filter(x => !Number.isNaN(x));
  return known.length === 0
    ? 'none'
    : `${median(known).toFixed(digits)}${unit} (${Math.min(...known).toFixed(digits)}–${Math.max(...known).toFixed(digits)}${unit})`;
};

/**
 * The markdown section of the rounds.
 * @param {any[]} rounds `analyseRound`'s figures per round
 * @param {{note: string, seconds: number, fps: number, commit: string,
 *     chromium: string, load0: number[], load1: number[], path: string}} run
 */
function report(rounds, run) {
  const per = (/** @type {string} */ key, unit = '', digits = 0) =>
    spread(
      rounds.map(r => r[key]),
      unit,
      digits
    );
  const expected = run.seconds * run.fps;
  const rows = [
    [
      `frames shown in ${run.seconds} s of playing (at ${run.fps} fps: ${expected})`,
      per('shown')
    ],
    ['achieved frames per second', `${per('fps', '', 1)} of ${run.fps}`],
    [
      'interval between shown frames, p50 / p95',
      `${per('p50', ' ms')} / ${per('p95', ' ms')}`
    ],
    ['longest interval between shown frames', per('max', ' ms')],
    [
      `frames held late (next frame > ${(1500 / run.fps).toFixed(0)} ms after)`,
      per('heldLate')
    ],
    [
      'frames never painted (the next one replaced it before an animation frame)',
      per('skipped')
    ],
    [
      '**overlay frames behind the video** (shown frames whose labels were of an earlier frame at any moment)',
      `**${per('behind')} of ${per('shown')} shown frames**`
    ],
    ['shown frames whose labels were of any other frame', per('mismatched')],
    [
      'animation frames with the counter on another frame than the image',
      per('counterOff')
    ],
    ['animation frames without an image after the first frame', per('blank')],
    [
      "pictures whose drawn frame number was not their URL's or canvas's frame (of those read back)",
      `${per('pixelWrong')} of ${per('pixelChecks')}`
    ],
    ['long tasks over 50 ms while playing (count)', per('longtasks')],
    [
      'long tasks: longest / total',
      `${per('longestTask', ' ms')} / ${per('longtaskMs', ' ms')}`
    ],
    ['frame image requests while playing', per('images')],
    [
      "video file requests while playing (native playback's ranges)",
      per('videoRequests')
    ],
    [
      'frame image request (browser Resource Timing), p50 / p95',
      `${per('imageP50', ' ms')} / ${per('imageP95', ' ms')}`
    ],
    ['frame image: request sent → first byte, p50', per('imageWaitP50', ' ms')],
    ['frame image size, median', per('imageKb', ' KB', 1)],
    [
      'frame labels requests while playing (per frame, or per window)',
      per('samples')
    ],
    [
      'frame sample (labels) request, p50 / p95',
      `${per('sampleP50', ' ms')} / ${per('sampleP95', ' ms')}`
    ],
    [
      'probe cost per animation frame (every 10th image read back)',
      per('probeMs', ' ms', 2)
    ]
  ];
  const fmt = (/** @type {number[]} */ l) =>
    l.map(x => x.toFixed(2)).join(' / ');
  return [
    `## Video playback (${PATH_NAMES[run.path] ?? run.path}), 1280x720 at ${run.fps} fps with box and mask tracks (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Data: ${run.note}. The paths named by \`--paths\` alternate round by round in one run. Each round: a fresh page opens the first frame in the sample view, presses play, ` +
      `lets it play ${run.seconds} s and pauses; on every animation frame the frame shown is taken from the image's URL or the native canvas's \`data-frame\` ` +
      "(every 10th picture checked against the number drawn into its pixels), the frame of the labels from the drawn box of track 0 and the stage's `data-labels-of`. " +
      `Command: \`node benchmarks/bench_video_playback.js ${process.argv.slice(2).join(' ')}\`. ` +
      `Code: ${run.commit}. Browser: ${run.chromium}, headless, no GPU. ` +
      `Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, shared with other sessions; ` +
      `load average ${fmt(run.load0)} at the start, ${fmt(run.load1)} at the end.`,
    '',
    `| per round, median (min–max) of ${rounds.length} | result |`,
    '|---|---|',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    ''
  ].join('\n');
}

module.exports = { analyseRound, report };
