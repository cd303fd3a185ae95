/**
 * The grid benchmark's data folder, made one of two ways:
 *
 * - `synthetic` (default): the browsing benchmark's dataset (bench_browse.py's
 *   `dataset_dir`: n images, 3 ground-truth boxes each, two prediction models
 *   of 2 boxes per image, tags, an evaluation), written once through the real
 *   ingest writer into a cache folder and reused; the catalog is copied into a
 *   fresh data folder so the server's writes never touch the cache. Its images
 *   do not exist (thumbnails answer 404), so only label drawing is measured.
 *   `labels: 'masks'` adds a mask to every object (polygons, every 10th a COCO
 *   RLE) and 5 keypoints to every 4th ground-truth object (cached apart).
 * - `coco`: the demo images cycled into a COCO file, ingested with the
 *   `visionlens` CLI (real thumbnails; practical up to ~100K).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const { ROOT } = require('./browser_support');
const { tiledCoco } = require(path.join(ROOT, 'ui-tests', 'tiled-coco'));

const BIN = path.join(ROOT, '.venv', 'bin');
/** @param {string} name */
const tool = name =>
  fs.existsSync(path.join(BIN, name)) ? path.join(BIN, name) : name;

/** Writes (or finds) the cached browse dataset of size n and prints its folder. */
const PREPARE = `
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bench_browse import dataset_dir
t0 = time.perf_counter()
path = dataset_dir(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
print(path)
print(f"{time.perf_counter() - t0:.1f}")
`;

/**
 * @param {string} dataDir
 * @param {string[]} argv
 * @returns {any} the CLI's JSON answer
 */
function cli(dataDir, argv) {
  const out = execFileSync(
    tool('visionlens'),
    [...argv, '--data-dir', dataDir, '--json'],
    {
      encoding: 'utf-8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024
    }
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '');
}

/**
 * The browse benchmark's cached dataset of n images, copied into dataDir.
 * @param {string} dataDir
 * @param {number} n
 * @param {string} cache
 * @param {'boxes' | 'masks'} labels
 */
function syntheticData(dataDir, n, cache, labels) {
  const out = execFileSync(
    tool('python'),
    ['-c', PREPARE, __dirname, cache, String(n), labels],
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
  const written = fs.readFileSync(path.join(cached, '.complete'), 'utf-8');
  const masks =
    labels === 'masks'
      ? '; every object with a mask (a polygon, every 10th a COCO RLE), every 4th ground-truth object with 5 keypoints'
      : '';
  return {
    boxes: null,
    withImages: false,
    note: `bench_browse.py's synthetic dataset (3 ground-truth boxes per image, models m1 and m2 with 2 each${masks}), cached in ${cached} (${written.trim()}; found in ${seconds} s), catalog copied into a fresh data folder`
  };
}

/**
 * The demo images cycled into a COCO file of n images, ingested with the CLI.
 * @param {string} dataDir
 * @param {number} n
 */
function cocoData(dataDir, n) {
  cli(dataDir, ['demo', '--images', '60', '--name', 'bench-demo']);
  const demo = path.join(dataDir, 'demo-sources', 'bench-demo');
  const src = JSON.parse(
    fs.readFileSync(path.join(demo, 'annotations.json'), 'utf-8')
  );
  const coco = tiledCoco(src, n);
  const file = path.join(dataDir, 'bench.json');
  fs.writeFileSync(file, JSON.stringify(coco));
  const t = Date.now();
  cli(dataDir, [
    'ingest',
    file,
    '--name',
    'bench',
    '--format',
    'coco',
    '--images',
    path.join(demo, 'images')
  ]);
  return {
    boxes: coco.annotations.length,
    withImages: true,
    note: `demo images cycled into COCO, ${coco.annotations.length.toLocaleString('en-US')} boxes, ingested through the CLI in ${((Date.now() - t) / 1000).toFixed(1)} s`
  };
}

/**
 * Fill dataDir with a dataset named `bench` of n images.
 * @param {'synthetic' | 'coco'} kind
 * @param {string} dataDir
 * @param {number} n
 * @param {string} cache
 * @param {'boxes' | 'masks'} labels the synthetic dataset's labels
 */
function prepareData(kind, dataDir, n, cache, labels) {
  return kind === 'coco'
    ? cocoData(dataDir, n)
    : syntheticData(dataDir, n, cache, labels);
}

module.exports = { prepareData, tool };
