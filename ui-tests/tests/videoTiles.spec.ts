/**
 * Video tiles (issue #52 item 3): two MOT sequences (the Python tests'
 * `write_mot`, ingested through the REST API) shown by the videos view, one
 * tile per video with its duration, track count and frames; moving the
 * pointer across a tile scrubs through its frames (the image asks for the
 * frame under the pointer), and a click opens that frame in the sample view's
 * video view. Screenshot to build/screenshots/.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { galata } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import { expect, test } from './fixtures';
import { api, clickToolbarItem, jobDone, openGrid, runEnv, shot } from './helpers';

const NAME = 'ui-video-tiles';
const SOURCE = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'video-tiles');
const REPO = path.resolve(__dirname, '..', '..');
/** The sequences: frames each (30 fps: 3.0 s and 0.4 s), 3 tracks each. */
const SEQUENCES = { V1: 90, V2: 12 };

test.use({
  autoGoto: true,
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'visionlens_jlab:sample': { openIn: 'tab' }
  }
});

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
      'write_mot(Path(sys.argv[2]), json.loads(sys.argv[3]), tracks=3, seed=4)',
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

test('the videos view: a tile per video, scrubbed on hover, opened at the frame shown', async ({
  page,
  request
}) => {
  await ingestSequences(request);
  const grid = await openGrid(page, NAME);
  await clickToolbarItem(
    page,
    grid.locator('.jp-VisionLens-gridShownBar'),
    '.jp-VisionLens-openVideos'
  );
  const view = page.locator('#visionlens-videos-main');
  await expect(view.locator('.jp-VisionLens-videosCount')).toHaveText(
    '2 videos'
  );
  const tiles = view.locator('.jp-VisionLens-videoTile[data-video-id]');
  await expect(tiles).toHaveCount(2);
  const first = tiles.nth(0);
  await expect(first.locator('.jp-VisionLens-videoTileName')).toHaveText('V1');
  await expect(first.locator('.jp-VisionLens-videoTileFacts')).toHaveText(
    '3.0 s · 3 tracks'
  );
  await expect(first.locator('.jp-VisionLens-videoTileFrames')).toHaveText(
    '90 frames'
  );
  await expect(
    tiles.nth(1).locator('.jp-VisionLens-videoTileFacts')
  ).toHaveText('0.4 s · 3 tracks');
  await expect(first).toHaveAttribute('data-frame', '1'); // the poster

  // across the tile, left to right: later and later frames, each one asked for
  const box = (await first.boundingBox())!;
  const seen: number[] = [];
  for (const part of [0.1, 0.5, 0.9]) {
    await page.mouse.move(box.x + box.width * part, box.y + box.height / 3);
    await expect
      .poll(async () => Number(await first.getAttribute('data-frame')))
      .toBeGreaterThan(seen[seen.length - 1] ?? 0);
    seen.push(Number(await first.getAttribute('data-frame')));
    const sampleId = await first.getAttribute('data-sample-id');
    await expect(first.locator('img')).toHaveAttribute(
      'src',
      new RegExp(`/samples/${sampleId}/`)
    );
  }
  expect(seen[2]).toBeGreaterThan(60);
  await expect(first.locator('.jp-VisionLens-videoTileFrame')).toHaveText(
    `frame ${seen[2]}`
  );
  await shot(view, 'video-tiles');

  // a click opens the frame shown in the video view
  await page.mouse.click(box.x + box.width * 0.9, box.y + box.height / 3);
  const sample = page.locator('#visionlens-sample-main .jp-VisionLens-sample');
  await expect(sample.locator('.jp-VisionLens-video')).toBeVisible();
  await expect(sample.locator('.jp-VisionLens-videoCounter')).toHaveText(
    `frame ${seen[2]} / ${SEQUENCES.V1}`
  );
});
