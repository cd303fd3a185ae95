/**
 * Semantic regions in the quality view (issue #53 item 5): a dataset of label
 * maps and a model's masks that call each image's car "road" (the "masks"
 * layout, ingested through the server's semantic routes), scored by the
 * label-quality job, shows one row in the Quality panel: the regions the
 * model gives another class, with their count per class, the server's. Its
 * button opens exactly those regions as patches, worst first, each tile
 * captioned with its class against the model's and its score (its size in
 * its title). A third image whose car the model gets right adds no region.
 * Screenshots of the panel and the patches in both themes go to
 * build/screenshots/.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  api,
  command,
  jobDone,
  openGrid,
  patchTiles,
  runEnv,
  setTheme,
  shot
} from './helpers';
import { greyPng } from './pngs';

test.use({ autoGoto: true });

const NAME = 'ui-regions';
const MODEL = 'segmenter';
const W = 96;
const H = 64;
const CLASSES = ['background', 'road', 'car'];
/** Each image's car: its left edge (a 30 x 20 block in the road). */
const CARS = [10, 50, 30];
/** The images whose car the model calls road (the third one it gets right). */
const MISSED = 2;
const CAR_PIXELS = 30 * 20;

function classOf(carX: number, x: number, y: number): number {
  if (x >= carX && x < carX + 30 && y >= 36 && y < 56) {
    return 2;
  }
  return y >= H / 2 ? 1 : 0;
}

/** The dataset and the model's masks written and ingested anew. */
async function ingestStreets(
  request: APIRequestContext,
  root: string
): Promise<void> {
  const data = path.join(root, 'dataset');
  const predictedAt = path.join(root, 'predicted');
  for (const folder of [path.join(data, 'images'), path.join(data, 'masks'), predictedAt]) {
    fs.mkdirSync(folder, { recursive: true });
  }
  CARS.forEach((carX, i) => {
    const file = `street${i}.png`;
    const photo = greyPng(W, H, (x, y) => 60 + ((x * 2 + y + i * 7) % 120));
    fs.writeFileSync(path.join(data, 'images', file), photo);
    fs.writeFileSync(
      path.join(data, 'masks', file),
      greyPng(W, H, (x, y) => classOf(carX, x, y))
    );
    const predicted = (x: number, y: number) => {
      const c = classOf(carX, x, y);
      return c === 2 && i < MISSED ? 1 : c;
    };
    fs.writeFileSync(path.join(predictedAt, file), greyPng(W, H, predicted));
  });
  fs.writeFileSync(path.join(data, 'classes.txt'), CLASSES.join('\n') + '\n');
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === NAME)) {
    await request.delete(`${runEnv('TARGET_URL')}/visionlens/api/datasets/${NAME}`);
  }
  await jobDone(
    request,
    (await api(request, 'semantic-datasets', { source: data, name: NAME })).job
  );
  await jobDone(
    request,
    (
      await api(request, `datasets/${NAME}/semantic-predictions`, {
        source: predictedAt,
        model: MODEL
      })
    ).job
  );
  await jobDone(
    request,
    (await api(request, `datasets/${NAME}/label-quality`, { model: MODEL })).job
  );
}

test("a semantic run's mislabelled regions: counted per class, opened as patches worst first", async ({
  page,
  request
}, testInfo) => {
  test.setTimeout(180 * 1000);
  await ingestStreets(request, testInfo.outputPath('regions'));
  const stored = await api(request, `datasets/${NAME}/label-quality?model=${MODEL}`);
  // the oracle: one region per missed car, all of it predicted as road
  expect(stored.regions.map((r: any) => [r.class, r.predicted, r.score, r.pixels])).toEqual(
    Array(MISSED).fill(['car', 'road', 0, CAR_PIXELS])
  );

  await openGrid(page, NAME);
  await command(page, 'visionlens:open-quality');
  const panel = page.locator('#visionlens-quality');
  await panel.locator('select[aria-label="Model"]').selectOption(MODEL);
  const row = panel.locator('.jp-VisionLens-qualityRow[data-issue="mislabeled_region"]');
  await expect(row).toHaveAttribute('data-count', String(MISSED));
  await expect(row.locator('.jp-VisionLens-qualityClasses')).toHaveText(`car: ${MISSED}`);
  // the long issue name wraps in the narrow sidebar: nothing of it cut off,
  // the code toggle beside it inside the panel
  const open = row.locator('.jp-VisionLens-qualityOpen');
  await expect(open).toHaveText(`Regions predicted as another class: ${MISSED}`);
  expect(await open.evaluate(el => el.scrollWidth <= el.clientWidth)).toBe(true);
  // polled: the row may be drawn again meanwhile (a box read then is null)
  const toggle = row.locator('.jp-VisionLens-qualityCodeToggle');
  await expect(toggle).toBeVisible();
  await expect
    .poll(async () => {
      const [toggleBox, panelBox] = await Promise.all([toggle.boundingBox(), panel.boundingBox()]);
      return toggleBox && panelBox
        ? toggleBox.x + toggleBox.width - (panelBox.x + panelBox.width)
        : Infinity;
    })
    .toBeLessThanOrEqual(0);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(panel, `quality-regions-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);

  await row.locator('.jp-VisionLens-qualityOpen').click();
  const patches = page.locator('#visionlens-patches-main');
  await expect(patches.locator('.jp-VisionLens-patchesCount')).toHaveText(`${MISSED} regions`);
  const tiles = patchTiles(patches);
  await expect(tiles).toHaveCount(MISSED);
  await expect(tiles.locator('.jp-VisionLens-patchCaption')).toHaveText(
    Array(MISSED).fill('car → road · 0.00')
  );
  await expect(tiles.first()).toHaveAttribute('title', new RegExp(`, ${CAR_PIXELS} px\\)$`));
  // each tile is its region's crop, served by the region route
  const crops = tiles.locator('img');
  await expect(crops.first()).toHaveAttribute('src', /\/regions\/\d+\/crop\?.*model=segmenter/);
  await expect
    .poll(() => crops.evaluateAll(els => els.every(e => (e as HTMLImageElement).naturalWidth > 0)))
    .toBe(true);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(patches, `patches-regions-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
});
