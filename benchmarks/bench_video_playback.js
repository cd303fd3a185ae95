#!/usr/bin/env node
/**
 * Playback of a 720p video with box and mask overlays in a real JupyterLab
 * server and the system Chromium (issue #52 item 9): does it play at the
 * video's frame rate, and are the labels drawn always those of the frame
 * shown (no overlay frame behind the video)?
 *
 *   node benchmarks/bench_video_playback.js [--rounds 3] [--seconds 10]
 *       [--video-seconds 20] [--cache /tmp/vl-video-playback-cache]
 *       [--port 8892] [--paths native,images] [--out FILE]
 *
 * Data (video_playback_data.py): a 1280x720 30 fps H.264 file (libx264, a
 * keyframe each second, B-frames) whose frames have their number drawn into
 * their pixels, with 3 box tracks and 3 polygon (mask) tracks holding a shape
 * on every frame (a CVAT for video 1.1 task), written once into the cache and
 * ingested with `visionlens ingest --json` into a fresh data folder.
 * Each round, in a fresh page (video_playback_probes.js records it): open the
 * first frame in the sample view, press play, play `seconds`, pause; then
 * video_playback_report.js derives the frames shown and their pace, the shown
 * frames whose labels were another frame's, the long tasks while playing and
 * the frame requests' timings. The paths alternate round by round in one
 * run: `native` (the browser's `<video>` element plays the file, each picture
 * drawn with its frame's labels) and `images` (the server's frame images;
 * the page's `requestVideoFrameCallback` is removed so that the player takes
 * that path). Prints a markdown section per path; with --out, puts them
 * at the top of that file. Needs what bench_grid.js needs (playwright-core in
 * ui-tests, Chromium, the labextension built and found by `jupyter lab`).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {
  opt,
  chromiumVersion,
  ROOT,
  startLab,
  openLab,
  runRounds,
  writeOnTop
} = require('./browser_support');
const { tool } = require('./grid_data');
const { installPlaybackProbe } = require('./video_playback_probes');
const { analyseRound, report } = require('./video_playback_report');

const ROUNDS = Number(opt('rounds', 3));
const SECONDS = Number(opt('seconds', 10));
const VIDEO_SECONDS = Number(opt('video-seconds', 20));
const CACHE = opt('cache', '/tmp/vl-video-playback-cache');
const PORT = Number(opt('port', 8892));
const OUT = opt('out', '');
const PATHS = opt('paths', 'native,images').split(',');
const NAME = 'playback';
/** video_playback_data.py's `box_left(frame) = 20 + frame`. */
const BOX_OFFSET = 20;
const WIDTH = 1280;

/** The cached task, ingested into `dataDir`; a note saying what it is. */
function prepare(/** @type {string} */ dataDir) {
  const folder = execFileSync(
    tool('python'),
    [
      path.join(__dirname, 'video_playback_data.py'),
      CACHE,
      String(VIDEO_SECONDS)
    ],
    { encoding: 'utf-8', cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
  ).trim();
  const t0 = Date.now();
  const out = execFileSync(
    tool('visionlens'),
    ['ingest', folder, '--name', NAME, '--data-dir', dataDir, '--json'],
    { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const ingested = JSON.parse(out.trim().split('\n').pop() ?? '');
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  const types = ingested.label_types;
  return `${ingested.frames} frames (${VIDEO_SECONDS} s) of ${folder}/clip.mp4, ${types.boxes} objects of ${ingested.tracks} tracks (${types.masks} with a polygon mask), ingested in ${seconds} s`;
}

/** GET or POST the VisionLens REST API of the benchmark's server. */
async function api(
  /** @type {string} */ base,
  /** @type {string} */ endpoint,
  /** @type {unknown} */ body = undefined
) {
  const r = await fetch(`${base}/visionlens/api/${endpoint}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  if (!r.ok) {
    throw new Error(`${endpoint}: ${r.status} ${await r.text()}`);
  }
  return r.json();
}

/** The video's frame rate, its first frame's sample and each frame sample's frame. */
async function videoFrames(/** @type {string} */ base) {
  const { samples } = await api(base, `datasets/${NAME}/samples/query`, {
    filter: { sample: { 'fields.frame_number': { min: 1, max: 1 } } },
    offset: 0,
    limit: 1
  });
  const first = samples[0].sample_id;
  const timeline = await api(
    base,
    `datasets/${NAME}/samples/${first}/timeline`
  );
  /** @type {Map<string, number>} */
  const frameOf = new Map();
  timeline.frames.forEach(
    (/** @type {number | null} */ id, /** @type {number} */ i) => {
      if (id !== null) {
        frameOf.set(String(id), i + 1);
      }
    }
  );
  return { first, fps: Number(timeline.video.fps), frameOf };
}

/** One round in a fresh page: open frame 1, play `SECONDS` along `path`, pause. */
async function measureRound(
  /** @type {import('playwright-core').Browser} */ browser,
  /** @type {string} */ base,
  /** @type {number} */ first,
  /** @type {string} */ path
) {
  const { page } = await openLab(browser, base, 'visionlens:open-sample');
  await page.evaluate(installPlaybackProbe, {
    boxOffset: BOX_OFFSET,
    width: WIDTH
  });
  if (path === 'images') {
    // without frame callbacks the player plays the server's images
    await page.evaluate(() => {
      const proto = /** @type {any} */ (HTMLVideoElement.prototype);
      delete proto.requestVideoFrameCallback;
    });
  }
  await page.evaluate(async ([dataset, sampleId]) => {
    const app = /** @type {any} */ (window).jupyterapp;
    await app.commands.execute('visionlens:open-grid', { dataset });
    await app.commands.execute('visionlens:open-sample', { dataset, sampleId });
  }, /** @type {[string, number]} */ ([NAME, first]));
  // frame 1 shown with its labels
  await page.waitForFunction(
    () => {
      const s = /** @type {any} */ (window).__vlPlay.rec.samples.at(-1);
      return s && s.pixel === 1 && s.box === 1 && s.labelsOf !== '';
    },
    undefined,
    { timeout: 120000 }
  );
  await page.waitForTimeout(1000);
  const round = await page.evaluate(
    ms => /** @type {any} */ (window).__vlPlay.play(ms),
    SECONDS * 1000
  );
  await page.close();
  return round;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-playback-'));
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-bench-root-'));
  const note = prepare(dataDir);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf-8'
  }).trim();
  const dirty = execFileSync(
    'git',
    ['status', '--porcelain', '--untracked-files=no'],
    {
      cwd: ROOT,
      encoding: 'utf-8'
    }
  ).trim();
  const load0 = os.loadavg();
  const lab = startLab(tool('jupyter'), String(PORT), dataDir, rootDir);
  const base = lab.base;
  /** @type {{ first: number, frameOf: Map<string, number>, fps: number }} */
  let video = { first: 0, frameOf: new Map(), fps: 0 };
  const rounds = await runRounds({
    lab,
    dirs: [rootDir, dataDir],
    count: ROUNDS * PATHS.length,
    ready: async () => {
      video = await videoFrames(base);
    },
    round: async (browser, i) => {
      const path = PATHS[i % PATHS.length];
      const round = await measureRound(browser, base, video.first, path);
      const analysed = analyseRound(round, video.frameOf, video.fps);
      console.error(`round ${i + 1} (${path}): ${JSON.stringify(analysed)}`);
      if (process.env.VL_PLAYBACK_JSON) {
        fs.writeFileSync(
          `${process.env.VL_PLAYBACK_JSON}.${i + 1}`,
          JSON.stringify(round)
        );
      }
      return { path, ...analysed };
    }
  });
  const fps = video.fps;
  const run = {
    note,
    seconds: SECONDS,
    fps,
    commit: dirty ? `${commit} with uncommitted changes` : commit,
    chromium: chromiumVersion(),
    load0,
    load1: os.loadavg()
  };
  const md = PATHS.map(path =>
    report(
      rounds.filter(r => r.path === path),
      { ...run, path }
    )
  ).join('\n');
  if (OUT) {
    writeOnTop(OUT, md);
  }
  console.log(md);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
