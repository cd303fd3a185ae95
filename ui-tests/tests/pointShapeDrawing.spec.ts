/**
 * Drawing new rotated boxes and lines in the sample view, and adding and
 * deleting a line's points (issue #51, item 1), checked against the server:
 * the rotated-box tool (R) takes a dragged first edge then a click for the
 * width, the line tool (L) clicks and a click on the last point again; each
 * is one `add` of the picked class with the server's `obb` / `polyline`, and
 * Accel+Z takes it back. A gesture that leaves no shape (no width, one point)
 * sends nothing and says why. Alt-click on the selected line adds a point
 * there, on a point deletes it (one `reshape` each). The brush's size circle
 * follows the pointer. Screenshots in both themes go to build/screenshots/.
 * Its own dataset (a CVAT export of one of small20's images with one line).
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  clickToolbarItem,
  drag,
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

const NAME = 'ui-draw-shapes';
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

type Image = { file_name: string; width: number; height: number };
type Ann = {
  ann_id: number;
  label: string;
  bbox: number[];
  obb?: number[];
  polyline?: number[];
};

/**
 * A line across the image's lower half, from left to right (not level without
 * its middle point: the server refuses a box of no height).
 */
function line({ width, height }: Image): number[] {
  return [0.1, 0.6, 0.5, 0.85, 0.9, 0.7].map((f, i) =>
    Math.round(f * (i % 2 ? height : width))
  );
}

/** small20's first image as a CVAT export with one line of class "lane". */
async function freshDataset(
  request: APIRequestContext,
  dir: string
): Promise<Image> {
  const coco = JSON.parse(
    fs.readFileSync(path.join(SMALL, 'instances.json'), 'utf-8')
  );
  const image: Image = coco.images[0];
  const from = path.join(
    fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8').trim(),
    image.file_name
  );
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.copyFileSync(from, path.join(dir, 'images', image.file_name));
  const p = line(image);
  const pairs = [0, 2, 4].map(i => `${p[i]},${p[i + 1]}`).join(';');
  fs.writeFileSync(
    path.join(dir, 'annotations.xml'),
    `<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
  <meta><task><labels><label><name>lane</name><type>polyline</type></label></labels></task></meta>
  <image id="0" name="${image.file_name}" width="${image.width}" height="${image.height}">
    <polyline label="lane" occluded="0" points="${pairs}" z_order="0"/>
  </image>
</annotations>
`
  );
  await ingestAnew(request, NAME, dir, undefined, 'cvat');
  return image;
}

/** The dataset's one sample id and its objects, as the server has them now. */
function objects(
  request: APIRequestContext
): Promise<{ id: number; anns: Ann[] }> {
  return firstSampleObjects<Ann>(request, NAME);
}

test('draw a rotated box and a line, add and delete a line point, each undoable', async ({
  page,
  request
}, testInfo) => {
  const image = await freshDataset(request, testInfo.outputPath());
  const keys = page.locator('#visionlens-sample');
  const view = page.locator('#visionlens-sample-main');
  const hint = view.locator('.jp-VisionLens-editHint');
  const stage = view.locator('.jp-VisionLens-stage');
  const at = (x: number, y: number) => screen(view, image.width, x, y);
  const { id, anns } = await objects(request);
  expect(anns.length).toBe(1);
  const original = anns[0];
  expect(original.polyline).toEqual(line(image));
  const count = async () => (await objects(request)).anns.length;
  const newest = async () =>
    (await objects(request)).anns.reduce((a, b) => (a.ann_id > b.ann_id ? a : b));
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty('complete', true);
  await expect(view.locator('.jp-VisionLens-editClass')).toHaveValue('lane');
  const scale = (await at(1, 0))[0] - (await at(0, 0))[0];
  const tolerance = 1.5 / Math.min(scale, 1) + 0.5; // a screen pixel in image pixels
  const near = (got: number[], want: number[]) => {
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(2 * tolerance));
  };

  // the edit row has the two tools' buttons, titled with their keys; the
  // rotated-box one turns its tool on, and the hint it shows lies over the
  // image: the image does not move
  const bar = view.locator('.jp-VisionLens-sampleEditBar');
  for (const [tool, key] of [
    ['drawRotatedBox', 'R'],
    ['drawPolyline', 'L']
  ]) {
    const item = await toolbarItem(page, bar, `.jp-VisionLens-${tool}`);
    await expect(item.locator('.jp-ToolbarButtonComponent')).toHaveAttribute(
      'title',
      new RegExp(`\\(${key}\\)$`)
    );
  }
  const canvas = view.locator('.jp-VisionLens-canvas');
  await expect(hint).toBeHidden();
  const still = await canvas.boundingBox();
  await clickToolbarItem(page, bar, '.jp-VisionLens-drawRotatedBox');
  await expect(stage).toHaveAttribute('data-tool', 'obb');
  await expect(hint).toContainText('Drag the first edge');
  await expect(hint).toBeVisible();
  expect(await canvas.boundingBox()).toEqual(still);
  await keys.focus();
  await page.keyboard.press('r'); // off again: the hint goes with it
  await expect(stage).toHaveAttribute('data-tool', 'select');
  await expect(hint).toBeHidden();

  // the rotated box: its first edge dragged, a click on that edge's line (no width)
  // sends nothing and says why, a click below sets the width and adds it
  const { width: w, height: h } = image;
  const [x0, y0, x1, y1] = [0.2 * w, 0.2 * h, 0.6 * w, 0.3 * h];
  await keys.focus();
  await page.keyboard.press('r');
  await expect(stage).toHaveAttribute('data-tool', 'obb');
  await expect(hint).toContainText('Drag the first edge');
  await drag(page, await at(x0, y0), await at(x1, y1));
  const drawing = view.locator('svg.jp-VisionLens-obbLayer');
  await expect(drawing).toHaveAttribute('data-phase', 'width');
  await page.mouse.click(...(await at((x0 + x1) / 2, (y0 + y1) / 2)));
  await expect(hint).toContainText('no width');
  expect(await count()).toBe(1);
  // the far edge through a point 0.15 h below the first edge's middle, square to it
  const length = Math.hypot(x1 - x0, y1 - y0);
  const [nx, ny] = [-(y1 - y0) / length, (x1 - x0) / length];
  const d = 0.15 * h;
  const [px, py] = [(x0 + x1) / 2 + nx * d, (y0 + y1) / 2 + ny * d];
  await page.mouse.move(...(await at(px, py)), { steps: 3 });
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `obb-drawing-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
  await page.mouse.click(...(await at(px, py)));
  await expect.poll(count).toBe(2);
  await expect(hint).not.toContainText('Move the pointer'); // the width is set
  const box = await newest();
  expect(box.label).toBe('lane');
  near(box.obb!, [x0, y0, x1, y1, x1 + nx * d, y1 + ny * d, x0 + nx * d, y0 + ny * d]);
  expect(box.bbox[0]).toBeCloseTo(Math.min(...box.obb!.filter((_, i) => i % 2 === 0)), 1);
  await expect(stage).toHaveAttribute('data-tool', 'select');
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(count).toBe(1);

  // the line: one point and Enter says why nothing is sent; two more and a click on
  // the last one again add it
  const clicks: [number, number][] = [
    [0.15 * w, 0.1 * h],
    [0.45 * w, 0.4 * h],
    [0.8 * w, 0.15 * h]
  ];
  await keys.focus();
  await page.keyboard.press('l');
  await expect(stage).toHaveAttribute('data-tool', 'polyline');
  await page.mouse.click(...(await at(...clicks[0])));
  await keys.focus();
  await page.keyboard.press('Enter');
  await expect(hint).toContainText('at least 2 points');
  expect(await count()).toBe(1);
  for (const point of clicks.slice(1)) {
    await page.mouse.click(...(await at(...point)));
  }
  await expect(view.locator('svg.jp-VisionLens-polylineLayer')).toHaveAttribute(
    'data-points',
    '3'
  );
  await page.mouse.click(...(await at(...clicks[2])));
  await expect.poll(count).toBe(2);
  const drawn = await newest();
  expect(drawn.label).toBe('lane');
  near(drawn.polyline!, clicks.flat());
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(count).toBe(1);

  // the existing line: Alt-click on its first segment adds a point there, on its
  // middle point deletes it; each is one reshape, one undo
  const p = original.polyline!;
  const layer = view.locator('svg.jp-VisionLens-editLayer');
  const [mx, my] = [(p[0] + p[2]) / 2, (p[1] + p[3]) / 2];
  await page.mouse.click(...(await at(mx, my)));
  await expect(layer).toHaveAttribute('data-selected', String(original.ann_id));
  await expect(hint).toContainText('Alt-click a point to delete it');
  const polyline = async () => (await objects(request)).anns[0].polyline;
  await page.keyboard.down('Alt');
  await page.mouse.click(...(await at(mx, my)));
  await page.keyboard.up('Alt');
  await expect.poll(async () => (await polyline())?.length).toBe(8);
  const added = (await polyline())!;
  near(added, [p[0], p[1], mx, my, ...p.slice(2)]);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(polyline).toEqual(p);
  // the view shows the undone line again before the next gesture (else it expects the old box)
  await expect(layer.locator('.jp-VisionLens-editVertex')).toHaveCount(3);
  await page.keyboard.down('Alt');
  await page.mouse.click(...(await at(p[2], p[3])));
  await page.keyboard.up('Alt');
  await expect.poll(polyline).toEqual([...p.slice(0, 2), ...p.slice(4)]);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect.poll(polyline).toEqual(p);

  // the brush's size circle follows the pointer, its diameter the size in image pixels
  await keys.focus();
  await page.keyboard.press('u');
  await page.mouse.move(...(await at(0.5 * w, 0.5 * h)), { steps: 2 });
  const circle = view.locator('svg.jp-VisionLens-brushLayer .jp-VisionLens-brushCursor');
  await expect(circle).toHaveCount(1);
  const size = Number(await view.locator('svg.jp-VisionLens-brushLayer').getAttribute('data-size'));
  expect(Number(await circle.getAttribute('r'))).toBe(size / 2);
  expect(Number(await circle.getAttribute('cx'))).toBeCloseTo(0.5 * w, 0);
  const drawnBox = await circle.boundingBox();
  expect(Math.abs(drawnBox!.width - size * scale)).toBeLessThan(3);
  await page.keyboard.press('e'); // the eraser too
  await page.mouse.move(...(await at(0.3 * w, 0.4 * h)), { steps: 2 });
  await expect(circle).toHaveCount(1);
  expect(Number(await circle.getAttribute('cx'))).toBeCloseTo(0.3 * w, 0);
});
