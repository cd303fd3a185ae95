/**
 * Editing polygons and keypoints in the sample view (issue #51, item 1),
 * checked against the server: a selected object shows its polygon's
 * vertices and its keypoints; dragging a vertex reshapes the mask (the box
 * follows), Accel+Z takes it back, dragging an edge adds a vertex, Alt-click
 * deletes one, dragging a keypoint moves it and Alt-click hides it; the
 * polygon tool (P) draws a new object vertex by vertex, closed by a click on
 * its first vertex or by Enter.
 * Screenshots in both themes go to build/screenshots/. Its own dataset
 * (small20 with a polygon and two keypoints on every box), so the other
 * tests' data stay.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  api,
  command,
  drag,
  ingestAnew,
  runEnv,
  SAMPLE_IN_TAB,
  screen,
  setTheme,
  shot
} from './helpers';

test.use({ mockSettings: SAMPLE_IN_TAB });
test.use({ autoGoto: true });

const NAME = 'ui-shapes';
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

type Box = [number, number, number, number];
type Ann = {
  ann_id: number;
  bbox: Box;
  segmentation: number[][];
  keypoints: number[];
};

/** small20's boxes, each with a polygon inset from its box and two keypoints on its middle line. */
async function freshDataset(
  request: APIRequestContext,
  dir: string
): Promise<void> {
  const coco = JSON.parse(
    fs.readFileSync(path.join(SMALL, 'instances.json'), 'utf-8')
  );
  for (const c of coco.categories) {
    c.keypoints = ['top', 'bottom'];
    c.skeleton = [[1, 2]];
  }
  for (const a of coco.annotations) {
    const [x, y, w, h] = a.bbox;
    const at = (fx: number, fy: number) => [
      Math.round((x + fx * w) * 10) / 10,
      Math.round((y + fy * h) * 10) / 10
    ];
    a.segmentation = [
      [...at(0.2, 0.2), ...at(0.8, 0.2), ...at(0.8, 0.8), ...at(0.2, 0.8)]
    ];
    a.keypoints = [...at(0.5, 0.3), 2, ...at(0.5, 0.7), 2];
    a.num_keypoints = 2;
  }
  const source = path.join(dir, 'shapes.json');
  fs.writeFileSync(source, JSON.stringify(coco));
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
  await ingestAnew(request, NAME, source, images);
}

async function object(
  request: APIRequestContext,
  sampleId: number,
  annId: number
): Promise<Ann> {
  const sample = await api(request, `datasets/${NAME}/samples/${sampleId}`);
  return sample.annotations.find((a: Ann) => a.ann_id === annId);
}

test('drag, add and delete polygon vertices and drag and hide keypoints, each undoable', async ({
  page,
  request
}, testInfo) => {
  await freshDataset(request, testInfo.outputPath());
  // the largest box whose centre lies in no other box: a click there picks it
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: {},
    offset: 0,
    limit: 20
  });
  let found: { id: number; width: number; ann: Ann } | null = null;
  for (const s of samples) {
    const all: Ann[] = (await api(request, `datasets/${NAME}/samples/${s.sample_id}`))
      .annotations;
    for (const a of [...all].sort((p, q) => q.bbox[2] * q.bbox[3] - p.bbox[2] * p.bbox[3])) {
      const [cx, cy] = [a.bbox[0] + a.bbox[2] / 2, a.bbox[1] + a.bbox[3] / 2];
      const alone = all.every(
        o =>
          o === a ||
          !(cx >= o.bbox[0] && cx <= o.bbox[0] + o.bbox[2] && cy >= o.bbox[1] && cy <= o.bbox[1] + o.bbox[3])
      );
      if (alone && (!found || a.bbox[2] * a.bbox[3] > found.ann.bbox[2] * found.ann.bbox[3])) {
        found = { id: s.sample_id, width: s.width, ann: a };
      }
    }
  }
  expect(found).not.toBeNull();
  const { id, width, ann } = found!;
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  const view = page.locator('#visionlens-sample-main');
  const keys = page.locator('#visionlens-sample');
  const layer = view.locator('svg.jp-VisionLens-editLayer');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty('complete', true);
  const at = (x: number, y: number) => screen(view, width, x, y);
  const [bx, by, bw, bh] = ann.bbox;
  await page.mouse.click(...(await at(bx + bw / 2, by + bh / 2)));
  await expect(layer).toHaveAttribute('data-selected', String(ann.ann_id));
  await expect(layer.locator('.jp-VisionLens-editVertex')).toHaveCount(4);
  await expect(layer.locator('.jp-VisionLens-editKeypoint')).toHaveCount(2);
  await expect(view.locator('.jp-VisionLens-editHint')).toContainText('Drag a vertex');
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `shape-editing-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);

  // a vertex dragged up and left: the mask and the box follow, one undo takes it back
  const polygon = ann.segmentation[0];
  const scale = (await at(1, 0))[0] - (await at(0, 0))[0];
  const [vx, vy] = [polygon[0], polygon[1]];
  await drag(page, await at(vx, vy), await at(vx - 12, vy - 9));
  const tolerance = 1.5 / Math.min(scale, 1) + 0.5; // a screen pixel in image pixels
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation[0][0])
    .toBeLessThan(vx - 12 + tolerance);
  const reshaped = await object(request, id, ann.ann_id);
  expect(Math.abs(reshaped.segmentation[0][1] - (vy - 9))).toBeLessThan(tolerance);
  expect(reshaped.segmentation[0].slice(2)).toEqual(polygon.slice(2));
  expect(reshaped.bbox[0]).toBe(reshaped.segmentation[0][0]);
  expect(reshaped.bbox[1]).toBe(reshaped.segmentation[0][1]);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation)
    .toEqual(ann.segmentation);

  // the top edge dragged up adds a fifth vertex; Alt-click on it deletes it again
  await page.mouse.click(...(await at(bx + bw / 2, by + bh / 2)));
  await expect(layer).toHaveAttribute('data-selected', String(ann.ann_id));
  const edge: [number, number] = [(polygon[0] + polygon[2]) / 2, polygon[1]];
  await drag(page, await at(...edge), await at(edge[0], edge[1] - 10));
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation[0].length)
    .toBe(10);
  await expect(layer.locator('.jp-VisionLens-editVertex')).toHaveCount(5);
  const added = (await object(request, id, ann.ann_id)).segmentation[0];
  await page.keyboard.down('Alt');
  await page.mouse.click(...(await at(added[2], added[3])));
  await page.keyboard.up('Alt');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation)
    .toEqual(ann.segmentation);

  // a keypoint dragged right; Alt-click hides the other one; each one undo
  const [k0x, k0y, , k1x, k1y] = ann.keypoints;
  await expect(layer.locator('.jp-VisionLens-editKeypoint')).toHaveCount(2);
  await drag(page, await at(k0x, k0y), await at(k0x + 15, k0y));
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).keypoints[0])
    .toBeGreaterThan(k0x + 15 - tolerance);
  await page.keyboard.down('Alt');
  await page.mouse.click(...(await at(k1x, k1y)));
  await page.keyboard.up('Alt');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).keypoints[5])
    .toBe(1);
  await expect(layer.locator('.jp-VisionLens-editKeypoint.jp-mod-hidden')).toHaveCount(1);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).keypoints)
    .toEqual(ann.keypoints);

  // the polygon tool: four clicks and a click on the first vertex add an object
  const count = async () =>
    (await api(request, `datasets/${NAME}/samples/${id}`)).annotations.length;
  const before = await count();
  await keys.focus();
  await page.keyboard.press('p');
  await expect(view.locator('.jp-VisionLens-stage')).toHaveAttribute('data-tool', 'polygon');
  const corners: [number, number][] = [
    [10, 10],
    [60, 12],
    [58, 50],
    [12, 48]
  ];
  for (const [x, y] of corners) {
    await page.mouse.click(...(await at(x, y)));
  }
  const drawing = view.locator('svg.jp-VisionLens-polygonLayer');
  await expect(drawing).toHaveAttribute('data-vertices', '4');
  await page.mouse.click(...(await at(10, 10)));
  await expect.poll(count).toBe(before + 1);
  const all: Ann[] = (await api(request, `datasets/${NAME}/samples/${id}`)).annotations;
  const drawn = all.reduce((a, b) => (a.ann_id > b.ann_id ? a : b));
  expect(drawn.segmentation[0].length).toBe(8);
  drawn.segmentation[0].forEach((v, i) =>
    expect(Math.abs(v - corners[i >> 1][i & 1])).toBeLessThan(tolerance)
  );
  expect(drawn.bbox[0]).toBe(Math.min(...drawn.segmentation[0].filter((_, i) => i % 2 === 0)));
  // three clicks, the last taken back, one more and Enter: a triangle
  await keys.focus();
  await page.keyboard.press('p');
  for (const [x, y] of [
    [70, 10],
    [100, 10],
    [5, 5],
    [85, 40]
  ]) {
    await page.mouse.click(...(await at(x, y)));
    if (x === 5) {
      await keys.focus();
      await page.keyboard.press('Shift+Backspace');
    }
  }
  await expect(drawing).toHaveAttribute('data-vertices', '3');
  await keys.focus();
  await page.keyboard.press('Enter');
  await expect.poll(count).toBe(before + 2);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(count).toBe(before);
});
