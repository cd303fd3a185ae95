/**
 * Track tiles (issue #52 item 3): two MOT sequences (the Python tests'
 * `write_mot`, ingested through the REST API) shown by the tracks view, one
 * tile per track: as many tiles as the server's exact total, each its
 * objects' crops in time order (through the crop route) with its class,
 * facts and video as text; a click opens the track's first frame in the
 * sample view's video view. Screenshot to build/screenshots/. Issue #52's
 * picker: the grid's own "Tracks" button opens the view, "Tracks of" picks a
 * tracker's predictions (imported through the REST API), whose tiles are the
 * server's total for that model, and a reload shows the same tracks. A
 * detector's predictions beside the tracker's (boxes without identities): its
 * boxes are drawn, and the picker offers the tracker alone.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { APIRequestContext } from '@playwright/test';

import { expect, test } from './fixtures';
import {
  api,
  clickToolbarItem,
  imagesLoaded,
  jobDone,
  openGrid,
  runEnv,
  SAMPLE_IN_TAB,
  shot
} from './helpers';

const NAME = 'ui-track-tiles';
const SOURCE = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'track-tiles');
const REPO = path.resolve(__dirname, '..', '..');
/** The sequences: frames each, 3 tracks each. */
const SEQUENCES = { V1: 60, V2: 12 };
/** A tracker's predictions: its tracks (frames of a sequence), fewer than the ground truth's. */
const TRACKER = 'toy-tracker';
const TRACKER_TRACKS: [video: string, id: number, first: number, last: number][] = [
  ['V1', 1, 1, 20],
  ['V1', 2, 21, 60],
  ['V2', 1, 1, 12]
];

/** A detector's predictions on V1: one box a frame, no identities (MOT id -1). */
const DETECTOR = 'toy-detector';

test.use({ autoGoto: true, mockSettings: SAMPLE_IN_TAB });

/** The sequences' files and the dataset (once per data folder). */
async function ingestSequences(request: APIRequestContext): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === NAME)) {
    return;
  }
  execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
    '-c',
    'import json, shutil, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
      'from tests.video_fixtures import write_mot\n' +
      'shutil.rmtree(sys.argv[2], ignore_errors=True)\n' +
      'write_mot(Path(sys.argv[2]), json.loads(sys.argv[3]), tracks=3, seed=5)',
    REPO,
    SOURCE,
    JSON.stringify(SEQUENCES)
  ]);
  const { job } = await api(request, 'datasets', {
    source: SOURCE,
    name: NAME,
    format: 'mot'
  });
  await jobDone(request, job);
}

/**
 * MOT results imported as `model`, one file of `rows` per sequence (once per
 * data folder).
 */
async function importMot(
  request: APIRequestContext,
  model: string,
  rows: Record<string, string[]>
): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  const dataset = datasets.find((d: { name: string }) => d.name === NAME);
  if (dataset.models.some((m: { name: string }) => m.name === model)) {
    return;
  }
  const results = `${SOURCE}-${model}`;
  fs.rmSync(results, { recursive: true, force: true });
  fs.mkdirSync(results, { recursive: true });
  for (const [video, lines] of Object.entries(rows)) {
    fs.writeFileSync(path.join(results, `${video}.txt`), lines.join('\n') + '\n');
  }
  const { job } = await api(request, `datasets/${NAME}/predictions`, {
    source: results,
    model,
    format: 'mot'
  });
  await jobDone(request, job);
}

/** The tracker's results: each of `TRACKER_TRACKS` a box a frame. */
function importTracker(request: APIRequestContext): Promise<void> {
  const rows = Object.fromEntries(
    Object.keys(SEQUENCES).map(video => [
      video,
      TRACKER_TRACKS.filter(t => t[0] === video).flatMap(([, id, first, last]) =>
        Array.from(
          { length: last - first + 1 },
          (_, i) => `${first + i},${id},${5 + id * 10},5,20,20,0.9,-1,-1,-1`
        )
      )
    ])
  );
  return importMot(request, TRACKER, rows);
}

/** The detector's results on V1: one box a frame, MOT's id -1. */
function importDetector(request: APIRequestContext): Promise<void> {
  const rows = Array.from(
    { length: SEQUENCES.V1 },
    (_, i) => `${i + 1},-1,60,40,30,30,0.8,-1,-1,-1`
  );
  return importMot(request, DETECTOR, { V1: rows });
}

test("the tracks view: a tile per track, its crops over time, opened at the track's first frame", async ({
  page,
  request
}) => {
  await ingestSequences(request);
  const answer = await api(request, `datasets/${NAME}/tracks/query`, {
    limit: 100
  });
  expect(answer.total).toBe(6);
  const grid = await openGrid(page, NAME);
  await clickToolbarItem(
    page,
    grid.locator('.jp-VisionLens-gridShownBar'),
    '.jp-VisionLens-openVideos'
  );
  await page.locator('#visionlens-videos-main .jp-VisionLens-tracksButton').click();
  const view = page.locator('#visionlens-tracks-main');
  await expect(view.locator('.jp-VisionLens-tracksCount')).toHaveText(
    `${answer.total} tracks`
  );
  const tiles = view.locator('.jp-VisionLens-trackTile[data-track-id]');
  await expect(tiles).toHaveCount(answer.total);
  for (const [i, track] of answer.tracks.entries()) {
    const tile = tiles.nth(i);
    await expect(tile).toHaveAttribute('data-track-id', String(track.track_id));
    await expect(tile.locator('.jp-VisionLens-trackTileClass')).toHaveText(
      `${track.label} #${track.source_id}`
    );
    await expect(tile.locator('.jp-VisionLens-trackTileVideo')).toHaveText(
      track.video
    );
    await expect(tile.locator('.jp-VisionLens-trackTileFacts')).toContainText(
      `${track.length} frame`
    );
    // the strip: the answer's objects, in time order, each its crop
    const crops = tile.locator('img.jp-VisionLens-trackTilePatch');
    await expect(crops).toHaveCount(track.patches.length);
    for (const [j, patch] of track.patches.entries()) {
      await expect(crops.nth(j)).toHaveAttribute(
        'src',
        new RegExp(`/objects/${patch.ann_id}/crop\\?size=64`)
      );
      await expect(crops.nth(j)).toHaveAttribute('title', `frame ${patch.frame_number}`);
    }
  }
  await imagesLoaded(view);
  const decoded = await tiles
    .first()
    .locator('img')
    .evaluateAll(imgs => imgs.map(i => (i as HTMLImageElement).naturalWidth));
  expect(decoded.every(w => w > 0)).toBe(true); // real crops of the frames
  // each crop a square cell of the strip, four a row, inside its tile
  const cells = await tiles
    .first()
    .locator('img')
    .evaluateAll(imgs =>
      imgs.map(i => {
        const r = i.getBoundingClientRect();
        const strip = i.parentElement!.getBoundingClientRect();
        return { w: r.width, h: r.height, x: r.left - strip.left, y: r.top - strip.top };
      })
    );
  for (const [j, cell] of cells.entries()) {
    expect(Math.abs(cell.w - cell.h)).toBeLessThan(1);
    expect(Math.round(cell.x / cell.w)).toBe(j % 4);
    expect(Math.round(cell.y / cell.h)).toBe(Math.floor(j / 4));
  }
  await shot(view, 'track-tiles');

  // a click opens the track's first frame in the video view (one that starts late)
  const late = answer.tracks.findIndex(
    (t: { first_frame: number; video: string }) => t.video === 'V1' && t.first_frame > 1
  );
  expect(late).toBeGreaterThanOrEqual(0);
  const track = answer.tracks[late];
  await tiles.nth(late).click();
  const sample = page.locator('#visionlens-sample-main .jp-VisionLens-sample');
  await expect(sample.locator('.jp-VisionLens-video')).toBeVisible();
  await expect(sample.locator('.jp-VisionLens-videoCounter')).toHaveText(
    `frame ${track.first_frame} / ${SEQUENCES.V1}`
  );
});

test('a detector beside a tracker: its boxes are drawn, the tracks view offers the tracker alone', async ({
  page,
  request
}) => {
  await ingestSequences(request);
  await importTracker(request);
  await importDetector(request);
  const detail = await api(request, `datasets/${NAME}`);
  const tracksOf = Object.fromEntries(
    detail.models.map((m: { name: string; num_tracks: number }) => [
      m.name,
      m.num_tracks
    ])
  );
  expect(tracksOf).toEqual({
    [DETECTOR]: 0,
    [TRACKER]: TRACKER_TRACKS.length
  });
  const grid = await openGrid(page, NAME);
  // V1's first frame: the detector's box beside the ground truth's and the tracker's
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: { sample: { 'fields.frame_number': { min: 1, max: 1 } } },
    limit: 10
  });
  const first = samples.find((s: { file_name: string }) =>
    s.file_name.startsWith('V1/')
  );
  const predicted = first.annotations.filter(
    (a: { source: string }) => a.source === DETECTOR
  );
  expect(predicted).toHaveLength(1);
  const tile = grid.locator(
    `.jp-VisionLens-tile[data-sample-id="${first.sample_id}"]`
  );
  await tile.scrollIntoViewIfNeeded();
  await expect(tile.locator('g.jp-VisionLens-box')).toHaveCount(
    first.annotations.length
  );

  await clickToolbarItem(
    page,
    grid.locator('.jp-VisionLens-gridShownBar'),
    '.jp-VisionLens-openTracks'
  );
  const view = page.locator('#visionlens-tracks-main');
  const picker = view.locator('select.jp-VisionLens-trackSource');
  await expect(picker.locator('option')).toHaveText([
    'Ground truth',
    `Predictions: ${TRACKER}`
  ]);
  const none = await api(request, `datasets/${NAME}/tracks/query`, {
    limit: 10,
    model: DETECTOR
  });
  expect(none.total).toBe(0);
});

test("the tracks view from the grid's button: a tracker's tracks picked, kept across a reload", async ({
  page,
  request
}) => {
  await ingestSequences(request);
  await importTracker(request);
  const truth = await api(request, `datasets/${NAME}/tracks/query`, {
    limit: 100
  });
  const tracked = await api(request, `datasets/${NAME}/tracks/query`, {
    limit: 100,
    model: TRACKER
  });
  expect(tracked.total).toBe(TRACKER_TRACKS.length);
  expect(tracked.total).not.toBe(truth.total);
  const grid = await openGrid(page, NAME);
  await clickToolbarItem(
    page,
    grid.locator('.jp-VisionLens-gridShownBar'),
    '.jp-VisionLens-openTracks'
  );
  const view = page.locator('#visionlens-tracks-main');
  const count = view.locator('.jp-VisionLens-tracksCount');
  const tiles = view.locator('.jp-VisionLens-trackTile[data-track-id]');
  await expect(count).toHaveText(`${truth.total} tracks`);
  const picker = view.locator('select.jp-VisionLens-trackSource');
  await expect(picker).toHaveValue(''); // the ground truth's
  await expect(picker.locator('option')).toHaveText([
    'Ground truth',
    `Predictions: ${TRACKER}`
  ]);

  await picker.selectOption(TRACKER);
  await expect(count).toHaveText(`${tracked.total} tracks`);
  await expect(tiles).toHaveCount(tracked.total);
  for (const [i, track] of tracked.tracks.entries()) {
    const tile = tiles.nth(i);
    await expect(tile).toHaveAttribute('data-track-id', String(track.track_id));
    await expect(tile.locator('.jp-VisionLens-trackTileFacts')).toContainText(
      `${track.length} frames`
    );
  }

  // a reload: the restorer opens the view again on the tracker's tracks
  await page.waitForTimeout(600); // the layout is saved after a short debounce
  await page.reload({ waitForIsReady: false } as Parameters<
    typeof page.reload
  >[0]);
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  const restored = page.locator('#visionlens-tracks-main');
  await expect(restored.locator('select.jp-VisionLens-trackSource')).toHaveValue(
    TRACKER
  );
  await expect(restored.locator('.jp-VisionLens-tracksCount')).toHaveText(
    `${tracked.total} tracks`
  );

  // back to the ground truth
  await restored.locator('select.jp-VisionLens-trackSource').selectOption('');
  await expect(restored.locator('.jp-VisionLens-tracksCount')).toHaveText(
    `${truth.total} tracks`
  );
});
