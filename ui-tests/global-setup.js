/**
 * Creates the datasets the UI tests need, with the real `visionlens` CLI
 * (which goes through the server's REST API when one owns the data folder).
 *
 * - `demo`: the generated demo (shapes + a simulated model, evaluated), 300 images;
 * - `big10k`: 10,000 samples whose images cycle through the demo images
 *   (a generated COCO file), to scroll a large grid;
 * - `searchdemo`: 30 samples cycling through 20 demo images (so 10 exact
 *   duplicates, some across splits), without embeddings: the search tests
 *   compute them with the tiny open_clip checkpoint written here;
 * - `hostile`: the dataset of hostile names of tests/hostile_fixtures.py;
 * - `labels`: masks (polygons, RLE), keypoints and image classes over 6 demo
 *   images (tests/label_document.py, ingested as the `ui-labels` plugin format);
 * - `visual`: a 24-image demo, evaluated, its label and image quality
 *   measured, for visual.spec.ts alone.
 * The data folder is the run's own (see playwright.config.js); when it is
 * kept between runs (VISIONLENS_UI_DATA_DIR) both are created once.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { tiledCoco } = require('./tiled-coco');

const HERE = __dirname;
/** Set by playwright.config.js for every run. */
const DATA_DIR = /** @type {string} */ (process.env.VISIONLENS_DATA_DIR);

/** The CLI: $VISIONLENS_CLI, the repo's venv, or `visionlens` on PATH. */
function cli() {
  if (process.env.VISIONLENS_CLI) {
    return process.env.VISIONLENS_CLI;
  }
  const venv = path.join(HERE, '..', '.venv', 'bin', 'visionlens');
  return fs.existsSync(venv) ? venv : 'visionlens';
}

/**
 * @param {string[]} args
 * @returns {any} the CLI's JSON answer
 */
function run(args) {
  const out = execFileSync(cli(), [...args, '--data-dir', DATA_DIR, '--json'], {
    encoding: 'utf-8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, VISIONLENS_DATA_DIR: DATA_DIR },
    timeout: 600 * 1000
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * A COCO file of `n` samples cycling through the demo's images and boxes.
 * @param {number} n
 * @param {string} target
 */
function writeBigCoco(n, target) {
  const demoRoot = path.join(DATA_DIR, 'demo-sources', 'demo');
  const demo = JSON.parse(
    fs.readFileSync(path.join(demoRoot, 'annotations.json'), 'utf-8')
  );
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(
    target,
    JSON.stringify(tiledCoco(demo, n, demo.images.slice(0, 60)))
  );
  return path.join(demoRoot, 'images');
}

/**
 * The tiny random open_clip checkpoint of the search tests (the same model the
 * Python embed tests build), where the server's checkpoint setting points.
 */
function writeTinyClip() {
  const target = process.env.VISIONLENS_UI_CHECKPOINT;
  if (!target || fs.existsSync(target)) {
    return;
  }
  execFileSync(
    python(),
    [
      '-c',
      'import sys, pathlib; from tests.embed_fixtures import save_tiny_clip; ' +
        'save_tiny_clip(pathlib.Path(sys.argv[1]))',
      target
    ],
    { cwd: path.join(HERE, '..'), stdio: ['ignore', 'inherit', 'inherit'] }
  );
}

/** The Python of the CLI (the repo's venv), for the fixtures written in Python. */
function python() {
  return (
    process.env.VISIONLENS_PYTHON ||
    (path.isAbsolute(cli())
      ? path.join(path.dirname(cli()), 'python')
      : 'python')
  );
}

/**
 * `hostile`: the one dataset of hostile names (tests/hostile_fixtures.py:
 * `constructor`, `__proto__`, markup and bidi controls as class, field and
 * file names, files outside the media root, impossible names), embedded with
 * the built-in model so that the map and search panels run on it too.
 * @param {Set<string>} names the datasets already there
 */
function writeHostile(names) {
  if (names.has('hostile')) {
    return;
  }
  const base = path.join(sourcesDir(), 'hostile');
  if (!fs.existsSync(base)) {
    execFileSync(
      python(),
      [
        '-c',
        'import sys, pathlib; from tests.hostile_fixtures import write_hostile_dataset; ' +
          'write_hostile_dataset(pathlib.Path(sys.argv[1]))',
        base
      ],
      { cwd: path.join(HERE, '..'), stdio: ['ignore', 'inherit', 'inherit'] }
    );
  }
  const annotations = path.join(base, 'allowed', 'hostile', 'annotations.json');
  run(['ingest', annotations, '--name', 'hostile', '--format', 'coco']);
  run(['embed', 'hostile', '--model', 'builtin-color-gradient']);
}

/**
 * `labels`: the label document of tests/label_document.py over 6 demo images.
 * @param {Set<string>} names the datasets already there
 */
function writeLabels(names) {
  if (names.has('labels')) {
    return;
  }
  const demoRoot = path.join(DATA_DIR, 'demo-sources', 'demo');
  const demo = JSON.parse(
    fs.readFileSync(path.join(demoRoot, 'annotations.json'), 'utf-8')
  );
  const images = demo.images
    .slice(0, 6)
    .map(
      (
        /** @type {{file_name: string, width: number, height: number}} */ i
      ) => ({
        file_name: i.file_name,
        width: i.width,
        height: i.height,
        location: path.join(demoRoot, 'images', i.file_name)
      })
    );
  const target = path.join(sourcesDir(), 'labels.vllabels.json');
  execFileSync(
    python(),
    [
      '-c',
      'import sys, json, pathlib; from tests.label_document import write_label_document; ' +
        'write_label_document(pathlib.Path(sys.argv[1]), json.loads(sys.argv[2]))',
      target,
      JSON.stringify(images)
    ],
    { cwd: path.join(HERE, '..'), stdio: ['ignore', 'inherit', 'inherit'] }
  );
  run(['ingest', target, '--name', 'labels', '--format', 'ui-labels']);
}

/** A 20-image COCO file for the ingest-form test (path in SMALL_COCO). */
function writeSmallCoco() {
  const target = path.join(DATA_DIR, 'ui-sources', 'small20', 'instances.json');
  const images = writeBigCoco(20, target);
  fs.writeFileSync(path.join(path.dirname(target), 'IMAGES'), images);
}

module.exports = async function globalSetup() {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  run(['demo', '--images', '300', '--name', 'demo']);
  // the blind-spots panel needs an evaluated model (idempotent: the same key is replaced)
  run(['evaluate', 'demo', '--model', 'simulated-model']);
  // the visual-regression spec's own dataset: nothing else changes it
  run(['demo', '--images', '24', '--name', 'visual', '--no-embed']);
  run(['evaluate', 'visual', '--model', 'simulated-model']);
  run(['label-quality', 'visual', '--model', 'simulated-model']);
  run(['image-quality', 'visual']);
  const names = new Set(
    run(['datasets']).datasets.map((/** @type {{name: string}} */ d) => d.name)
  );
  if (!names.has('big10k')) {
    const coco = path.join(DATA_DIR, 'ui-sources', 'big10k.json');
    const images = writeBigCoco(10000, coco);
    run([
      'ingest',
      coco,
      '--name',
      'big10k',
      '--format',
      'coco',
      '--images',
      images
    ]);
  }
  writeSmallCoco();
  writeTinyClip();
  writeHostile(names);
  writeLabels(names);
  if (!names.has('searchdemo')) {
    const coco = path.join(sourcesDir(), 'searchdemo.json');
    const demoRoot = path.join(DATA_DIR, 'demo-sources', 'demo');
    const demo = JSON.parse(
      fs.readFileSync(path.join(demoRoot, 'annotations.json'), 'utf-8')
    );
    fs.writeFileSync(
      coco,
      JSON.stringify(tiledCoco(demo, 30, demo.images.slice(0, 20)))
    );
    run([
      'ingest',
      coco,
      '--name',
      'searchdemo',
      '--format',
      'coco',
      '--images',
      path.join(demoRoot, 'images')
    ]);
  }
};

/** The folder of the generated COCO files. */
function sourcesDir() {
  const dir = path.join(DATA_DIR, 'ui-sources');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
