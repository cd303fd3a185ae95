/**
 * Drawing a new keypoint object in the sample view (issue #51, item 1),
 * checked against the server: the keypoint tool (K) shows where the dataset
 * has a keypoint class; with one picked, each click places the next named
 * point, S leaves one unlabelled, and the last point sends one `add` of the
 * class with COCO's keypoints (its box: the labelled points' extent, the
 * server's rule); Accel+Z takes it back. Points in one column are refused and
 * kept; a class without point names says to pick one, and picking another
 * class drops the points placed. Screenshots in both
 * themes go to build/screenshots/. Its own dataset (small20's first image as
 * COCO with a three-point "person" class beside a plain "car" class).
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  clickToolbarItem,
  command,
  firstSampleObjects,
  ingestAnew,
  runEnv,
  SAMPLE_IN_TAB,
  screen,
  setTheme,
  shot,
  toolbarItem
} from './helpers';

test.use({ mockSettings: SAMPLE_IN_TAB });
test.use({ autoGoto: true });

const NAME = 'ui-draw-keypoints';
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

type Image = { id: number; file_name: string; width: number; height: number };
type Ann = {
  ann_id: number;
  label: string;
  bbox: number[];
  keypoints?: number[];
  num_keypoints?: number;
};

/** small20's first image with one "car" box; "person" has three named points. */
async function freshDataset(
  request: APIRequestContext,
  dir: string
): Promise<Image> {
  const coco = JSON.parse(
    fs.readFileSync(path.join(SMALL, 'instances.json'), 'utf-8')
  );
  const image: Image = coco.images[0];
  const { width: w, height: h } = image;
  const source = {
    images: [image],
    categories: [
      { id: 1, name: 'car' },
      {
        id: 2,
        name: 'person',
        keypoints: ['head', 'hip', 'foot'],
        skeleton: [
          [1, 2],
          [2, 3]
        ]
      }
    ],
    annotations: [
      {
        id: 1,
        image_id: image.id,
        category_id: 1,
        bbox: [0.05 * w, 0.05 * h, 0.2 * w, 0.2 * h],
        area: 0.04 * w * h,
        iscrowd: 0
      }
    ]
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'keypoints.json');
  fs.writeFileSync(file, JSON.stringify(source));
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8').trim();
  await ingestAnew(request, NAME, file, images);
  return image;
}

/** The dataset's one sample id and its objects, as the server has them now. */
function objects(
  request: APIRequestContext
): Promise<{ id: number; anns: Ann[] }> {
  return firstSampleObjects<Ann>(request, NAME);
}

test('draw a keypoint object point by point, a skipped point unlabelled, undoable', async ({
  page,
  request
}, testInfo) => {
  const image = await freshDataset(request, testInfo.outputPath());
  const keys = page.locator('#visionlens-sample');
  const view = page.locator('#visionlens-sample-main');
  const hint = view.locator('.jp-VisionLens-editHint');
  const stage = view.locator('.jp-VisionLens-stage');
  const picker = view.locator('.jp-VisionLens-editClass');
  const layer = view.locator('svg.jp-VisionLens-keypointLayer');
  const at = (x: number, y: number) => screen(view, image.width, x, y);
  const { id } = await objects(request);
  const count = async () => (await objects(request)).anns.length;
  const newest = async () =>
    (await objects(request)).anns.reduce((a, b) => (a.ann_id > b.ann_id ? a : b));
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty('complete', true);
  const scale = (await at(1, 0))[0] - (await at(0, 0))[0];
  const tolerance = 1.5 / Math.min(scale, 1) + 0.5; // a screen pixel in image pixels

  // the dataset has a keypoint class: the edit row offers the tool, titled with its key
  const bar = view.locator('.jp-VisionLens-sampleEditBar');
  const item = await toolbarItem(page, bar, '.jp-VisionLens-drawKeypoints');
  await expect(item.locator('.jp-ToolbarButtonComponent')).toHaveAttribute(
    'title',
    /\(K\)$/
  );

  // a class without point names: the tool says to pick a keypoint class
  await picker.selectOption('car');
  await clickToolbarItem(page, bar, '.jp-VisionLens-drawKeypoints');
  await expect(stage).toHaveAttribute('data-tool', 'keypoints');
  await expect(hint).toContainText('Pick a keypoint class');
  await page.mouse.click(...(await at(0.5 * image.width, 0.5 * image.height)));
  await expect(layer).toHaveAttribute('data-points', '0');

  // the hint over the image's foot steps aside to the top while the pointer is in the
  // strip it covers (what lies under it can be seen), and comes back after
  const stageBox = (await stage.boundingBox())!;
  const hintBox = async () => (await hint.boundingBox())!;
  const footY = stageBox.y + stageBox.height - (await hintBox()).height / 2;
  expect(Math.abs((await hintBox()).y + (await hintBox()).height - stageBox.y - stageBox.height)).toBeLessThan(2);
  await page.mouse.move(stageBox.x + stageBox.width / 2, footY, { steps: 2 });
  await expect.poll(async () => Math.round((await hintBox()).y - stageBox.y)).toBe(0);
  await page.mouse.move(stageBox.x + stageBox.width / 2, stageBox.y + stageBox.height / 2, {
    steps: 2
  });
  await expect
    .poll(async () => Math.round(stageBox.y + stageBox.height - (await hintBox()).y))
    .toBe(Math.round((await hintBox()).height));

  // "person": each click places the next named point; points in one column are refused
  // and kept, Shift+Backspace takes one back
  await picker.selectOption('person');
  await expect(hint).toContainText('Click "head" (point 1 of 3)');
  const { width: w, height: h } = image;
  const head: [number, number] = [0.5 * w, 0.2 * h];
  const foot: [number, number] = [0.6 * w, 0.8 * h];
  const headOnScreen = await at(...head);
  await page.mouse.click(...headOnScreen);
  await expect(hint).toContainText('Click "hip" (point 2 of 3)');
  // the point placed shows where it was clicked, named by its title
  const dot = layer.locator('circle');
  await expect(dot).toHaveCount(1);
  await expect(dot.locator('title')).toHaveText('head');
  const b = (await dot.boundingBox())!;
  expect(Math.abs(b.x + b.width / 2 - headOnScreen[0])).toBeLessThan(2);
  expect(Math.abs(b.y + b.height / 2 - headOnScreen[1])).toBeLessThan(2);
  await page.mouse.click(...(await at(0.5 * w, 0.5 * h)));
  await page.mouse.click(...(await at(0.5 * w, 0.7 * h)));
  await expect(hint).toContainText('at least two points apart');
  expect(await count()).toBe(1);
  await expect(layer).toHaveAttribute('data-points', '3');
  await keys.focus();
  await page.keyboard.press('Shift+Backspace');
  await page.keyboard.press('Shift+Backspace');
  await expect(layer).toHaveAttribute('data-points', '1');

  // another class drops the points placed (they were its skeleton's); back to "person",
  // the head is placed afresh
  await picker.selectOption('car');
  await expect(layer).toHaveAttribute('data-points', '0');
  await expect(hint).toContainText('Pick a keypoint class');
  await picker.selectOption('person');
  await expect(hint).toContainText('Click "head" (point 1 of 3)');
  await page.mouse.click(...headOnScreen);
  await expect(layer).toHaveAttribute('data-points', '1');

  // S skips the hip (unlabelled); the foot sends the object
  await keys.focus();
  await page.keyboard.press('s');
  await expect(hint).toContainText('Click "foot" (point 3 of 3)');
  await page.mouse.move(...(await at(...foot)), { steps: 2 });
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `keypoints-drawing-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
  await page.mouse.click(...(await at(...foot)));
  await expect.poll(count).toBe(2);
  const drawn = await newest();
  expect(drawn.label).toBe('person');
  expect(drawn.num_keypoints).toBe(2);
  const k = drawn.keypoints!;
  expect(k.slice(2, 6)).toEqual([2, 0, 0, 0]);
  expect(k[8]).toBe(2);
  for (const [got, want] of [
    [k[0], head[0]],
    [k[1], head[1]],
    [k[6], foot[0]],
    [k[7], foot[1]]
  ]) {
    expect(Math.abs(got - want)).toBeLessThan(2 * tolerance);
  }
  // its box: the labelled points' extent
  const [x, y, bw, bh] = drawn.bbox;
  expect([x, y, x + bw, y + bh].map(v => Math.round(v * 100) / 100)).toEqual([
    Math.min(k[0], k[6]),
    Math.min(k[1], k[7]),
    Math.max(k[0], k[6]),
    Math.max(k[1], k[7])
  ]);
  await expect(stage).toHaveAttribute('data-tool', 'select');
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(count).toBe(1);
});
