/**
 * Semantic masks in the sample view (issue #53 item 2): a dataset of label
 * maps (the "masks" layout: images/, masks/, classes.txt), ingested through
 * the server's semantic route, opens with its mask laid over the photo in the
 * classes' colours (the background class transparent), half transparent; the
 * "Label maps" toggle hides and shows it (the instance masks' toggle leaves
 * it). Screenshots in both themes go to build/screenshots/. The PNGs are
 * written here (`pngs.ts`).
 */
import { expect, test } from './fixtures';
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  api,
  command,
  jobDone,
  openGrid,
  runEnv,
  SAMPLE_IN_TAB,
  setTheme,
  shot,
  toolbarItem
} from './helpers';
import { greyPng as pngOf } from './pngs';

test.use({ mockSettings: SAMPLE_IN_TAB });
test.use({ autoGoto: true });

const NAME = 'ui-semantic';
const W = 96;
const H = 64;
/** Class 1 ("road") fills the lower half, class 2 ("car") a block in it. */
const CLASSES = ['background', 'road', 'car'];
const ROAD: [number, number] = [10, 50];
const CAR: [number, number] = [60, 45];
const SKY: [number, number] = [40, 10];

/** An 8-bit grey PNG of the test's size. */
function greyPng(pixel: (x: number, y: number) => number): Buffer {
  return pngOf(W, H, pixel);
}

function classOf(x: number, y: number): number {
  if (x >= 50 && x < 80 && y >= 36 && y < 56) {
    return 2;
  }
  return y >= H / 2 ? 1 : 0;
}

/** The colour of the mask picture at image point `at` (drawn at its size). */
async function maskPixel(img: Locator, at: [number, number]): Promise<number[]> {
  return img.evaluate((el, [x, y]) => {
    const image = el as HTMLImageElement;
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(image, 0, 0);
    return [...ctx.getImageData(x, y, 1, 1).data];
  }, at);
}

/** The street dataset ingested anew through the semantic route; its sample id. */
async function ingestStreet(
  request: APIRequestContext,
  root: string
): Promise<number> {
  fs.mkdirSync(path.join(root, 'images'), { recursive: true });
  fs.mkdirSync(path.join(root, 'masks'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'images', 'street.png'),
    greyPng((x, y) => 60 + ((x * 2 + y) % 120))
  );
  fs.writeFileSync(path.join(root, 'masks', 'street.png'), greyPng(classOf));
  fs.writeFileSync(path.join(root, 'classes.txt'), CLASSES.join('\n') + '\n');
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === NAME)) {
    await request.delete(`${runEnv('TARGET_URL')}/visionlens/api/datasets/${NAME}`);
  }
  await jobDone(
    request,
    (await api(request, 'semantic-datasets', { source: root, name: NAME })).job
  );
  const page1 = await api(request, `datasets/${NAME}/samples/query`, { limit: 1 });
  return page1.samples[0].sample_id;
}

/** VOC's palette: road (128, 0, 0), car (0, 128, 0), opaque; the background clear. */
async function expectClassColours(mask: Locator): Promise<void> {
  expect(await maskPixel(mask, ROAD)).toEqual([128, 0, 0, 255]);
  expect(await maskPixel(mask, CAR)).toEqual([0, 128, 0, 255]);
  expect((await maskPixel(mask, SKY))[3]).toBe(0);
}

/**
 * The "Label maps" toggle of the toolbar `bar` hides `mask` and shows it
 * again; the instance masks' toggle leaves it as it is.
 */
async function expectMasksToggled(
  page: IJupyterLabPageFixture,
  bar: Locator,
  mask: Locator
): Promise<void> {
  const toggle = async (type: string) =>
    (await toolbarItem(page, bar, '.jp-VisionLens-labelTypesItem')).locator(
      `input[data-label-type="${type}"]`
    );
  await (await toggle('masks')).uncheck();
  await expect(mask).toBeVisible();
  await (await toggle('masks')).check();
  await (await toggle('label_maps')).uncheck();
  await expect(mask).toBeHidden();
  await (await toggle('label_maps')).check();
  await expect(mask).toBeVisible();
}

test('a semantic mask lies over the photo in its classes colours', async ({
  page,
  request
}, testInfo) => {
  const sampleId = await ingestStreet(request, testInfo.outputPath('semantic'));
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId });
  const view = page.locator('#visionlens-sample-main');
  const mask = view.locator('img.jp-VisionLens-semanticMask[data-source="ground_truth"]');
  await expect(mask).toBeVisible();
  await expect(mask).toHaveJSProperty('complete', true);
  expect(await mask.evaluate(el => (el as HTMLImageElement).naturalWidth)).toBe(W);
  await expectClassColours(mask);
  // laid over the image at its size, half transparent
  const [imageBox, maskBox] = await Promise.all([
    view.locator('.jp-VisionLens-fullImage').boundingBox(),
    mask.boundingBox()
  ]);
  expect(maskBox).toEqual(imageBox);
  const opacity = await mask.evaluate(el => Number(getComputedStyle(el).opacity));
  expect(opacity).toBeGreaterThan(0.2);
  expect(opacity).toBeLessThan(0.9);

  // the "masks" label type hides it and shows it again
  await expectMasksToggled(page, view.locator('.jp-VisionLens-sampleTagBar'), mask);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `semantic-mask-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
});

test("a grid tile lays its sample's mask over the thumbnail", async ({
  page,
  request
}, testInfo) => {
  const sampleId = await ingestStreet(request, testInfo.outputPath('semantic'));
  const grid = await openGrid(page, NAME);
  const tile = grid.locator(`.jp-VisionLens-tile[data-sample-id="${sampleId}"]`);
  const mask = tile.locator(
    'img.jp-VisionLens-semanticMask[data-source="ground_truth"]'
  );
  await expect(mask).toBeVisible();
  await expect(mask).toHaveJSProperty('complete', true);
  expect(await mask.getAttribute('src')).toMatch(/\?size=256$/);
  await expectClassColours(mask);
  // fitted in the tile as its image is: the same box and proportions
  const image = tile.locator('img.jp-VisionLens-tileImage');
  await expect(image).toHaveJSProperty('complete', true);
  const fit = (img: Locator) =>
    img.evaluate(el => {
      const { naturalWidth, naturalHeight } = el as HTMLImageElement;
      const style = getComputedStyle(el);
      return [naturalWidth / naturalHeight, style.objectFit];
    });
  expect(await fit(mask)).toEqual(await fit(image));
  expect(await mask.boundingBox()).toEqual(await image.boundingBox());

  await expectMasksToggled(page, grid.locator('.jp-VisionLens-gridTagBar'), mask);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(tile, `semantic-mask-tile-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
});
