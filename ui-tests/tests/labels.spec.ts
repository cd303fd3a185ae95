/**
 * Labels beyond the box, drawn: the `labels` dataset (global-setup.js:
 * tests/label_fixtures.py over demo images) has on every image a polygon
 * mask with keypoints (visible, labelled hidden, unlabelled) and an RLE mask,
 * and an image class. The grid tiles and the sample view must paint them on
 * their canvas (read back pixel by pixel), show the class chips, and hide
 * each label type with its toggle. A patch tile (the patches view) paints its
 * object's mask and keypoints over the crop the same way, and on `demo` a true
 * positive, and a false positive with the ground truth that explains it, is
 * one tile with both boxes and their IoU. The sample view names an object's
 * keypoints only while the pointer is on it (issue #47: names drawn for every
 * object buried it). Screenshots of both themes go to build/screenshots/ (not
 * committed).
 */
import { expect, test } from './fixtures';
import { Locator, Page } from '@playwright/test';

import {
  api,
  command,
  imagesLoaded,
  openGrid,
  patchTile,
  setTheme,
  setToolbarCheckbox,
  shot,
  toolbarItem
} from './helpers';

test.use({ autoGoto: true });

/** A point of the image, as fractions of its width and height. */
type Spot = [number, number];

/** Where the fixture draws (tests/label_fixtures.py). */
const INSIDE_POLYGON: Spot = [0.35, 0.7];
const INSIDE_RLE: Spot = [0.75, 0.5];
const OUTSIDE: Spot = [0.03, 0.05];
const VISIBLE_KEYPOINT: Spot = [0.27, 0.25];
const HIDDEN_KEYPOINT: Spot = [0.4, 0.45];

/**
 * RGBA of a label canvas at an image point (the canvas letterboxes like the
 * image); over a patch tile, the canvas shows the crop `region` ([x, y, w, h]
 * in image pixels) of the image.
 */
async function pixel(
  canvas: Locator,
  size: [number, number],
  spot: Spot,
  region?: number[]
): Promise<number[]> {
  return canvas.evaluate(
    (el, { size, spot, region }) => {
      const c = el as HTMLCanvasElement;
      const [w, h] = size;
      const [rx, ry, rw, rh] = region ?? [0, 0, w, h];
      const cssW = c.clientWidth;
      const cssH = c.clientHeight;
      const scale = Math.min(cssW / rw, cssH / rh);
      const ratio = c.width / cssW;
      const x = ((cssW - rw * scale) / 2 + (spot[0] * w - rx) * scale) * ratio;
      const y = ((cssH - rh * scale) / 2 + (spot[1] * h - ry) * scale) * ratio;
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      return [...ctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data];
    },
    { size, spot, region }
  );
}

/**
 * How many opaque canvas pixels lie where a keypoint's name is written: just
 * right of and above the point (screen pixels 7 to 30 right, 1 to 8 up). The
 * mask under it is translucent and the bones leave the point downwards.
 */
async function nameInk(canvas: Locator, spot: Spot): Promise<number> {
  return canvas.evaluate((el, spot) => {
    const c = el as HTMLCanvasElement;
    const k = c.width / c.getBoundingClientRect().width; // canvas px per screen px
    const x = spot[0] * c.width;
    const y = spot[1] * c.height;
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    const data = ctx.getImageData(Math.round(x + 7 * k), Math.round(y - 8 * k), Math.round(23 * k), Math.round(7 * k)).data;
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) {
      ink += data[i] > 200 ? 1 : 0;
    }
    return ink;
  }, spot);
}

/** Move the mouse over image point `spot` of the sample view's canvas. */
async function hover(page: Page, canvas: Locator, spot: Spot): Promise<void> {
  const box = await canvas.boundingBox();
  if (!box) {
    throw new Error('the label canvas is not shown');
  }
  await page.mouse.move(box.x + spot[0] * box.width, box.y + spot[1] * box.height, { steps: 4 });
}

/** RGB of a CSS colour, as the page's canvas reads it. */
async function rgb(page: Page, color: string): Promise<number[]> {
  return page.evaluate(color => {
    const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, 1, 1);
    return [...ctx.getImageData(0, 0, 1, 1).data.slice(0, 3)];
  }, color);
}

/** The stroke colour of the box of `label` in an overlay (the class colour). */
async function boxColor(root: Locator, label: string, sampleW: number): Promise<string> {
  // Each object's box is a rect in its own group; the person's box starts at 0.1 w.
  const rects = root.locator('svg.jp-VisionLens-overlay rect');
  const count = await rects.count();
  for (let i = 0; i < count; i++) {
    const x = Number(await rects.nth(i).getAttribute('x'));
    if ((label === 'person') === Math.abs(x - 0.1 * sampleW) < 1) {
      return (await rects.nth(i).getAttribute('stroke')) as string;
    }
  }
  throw new Error(`no box of ${label}`);
}

function close(a: number[], b: number[], tolerance = 12): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}

test.describe('labels beyond the box', () => {
  test('tiles and the sample view draw masks, keypoints and class chips, and hide them by type', async ({
    page,
    request
  }) => {
    const first = (await api(request, 'datasets/labels/samples/query', { limit: 1 })).samples[0];
    const size: [number, number] = [first.width, first.height];
    const grid = await openGrid(page, 'labels');
    const tile = grid.locator(`.jp-VisionLens-tile[data-sample-id="${first.sample_id}"]`);
    const canvas = tile.locator('canvas.jp-VisionLens-labelCanvas');
    await imagesLoaded(grid);

    const person = await rgb(page, await boxColor(tile, 'person', first.width));
    const blob = await rgb(page, await boxColor(tile, 'blob', first.width));
    // The RLE bitmap is made lazily after the first paint: wait for it.
    await expect.poll(async () => (await pixel(canvas, size, INSIDE_RLE))[3]).toBeGreaterThan(40);

    const polygon = await pixel(canvas, size, INSIDE_POLYGON);
    expect(polygon[3]).toBeGreaterThan(40); // translucent fill...
    expect(polygon[3]).toBeLessThan(200);
    expect(close(polygon.slice(0, 3), person)).toBe(true); // ...in the class colour
    expect(close((await pixel(canvas, size, INSIDE_RLE)).slice(0, 3), blob)).toBe(true);
    expect((await pixel(canvas, size, OUTSIDE))[3]).toBe(0); // transparent outside
    // A visible keypoint is a filled dot; a labelled hidden one a ring around the fill.
    expect((await pixel(canvas, size, VISIBLE_KEYPOINT))[3]).toBeGreaterThan(200);
    expect((await pixel(canvas, size, HIDDEN_KEYPOINT))[3]).toBeLessThan(200);
    await expect(tile.locator('.jp-VisionLens-classChip.jp-mod-gt')).toHaveText(['indoor']);

    // The toggles: masks off leaves the keypoints; classes off hides the chips.
    const toolbar = grid.locator('.jp-VisionLens-gridTagBar');
    const types = await toolbarItem(page, toolbar, '.jp-VisionLens-labelTypesItem');
    await types.locator('input[data-label-type="masks"]').uncheck();
    await expect.poll(async () => (await pixel(canvas, size, INSIDE_POLYGON))[3]).toBe(0);
    expect((await pixel(canvas, size, INSIDE_RLE))[3]).toBe(0);
    expect((await pixel(canvas, size, VISIBLE_KEYPOINT))[3]).toBeGreaterThan(200);
    const menu = await toolbarItem(page, toolbar, '.jp-VisionLens-labelTypesItem');
    await menu.locator('input[data-label-type="keypoints"]').uncheck();
    await expect.poll(async () => (await pixel(canvas, size, VISIBLE_KEYPOINT))[3]).toBe(0);
    await (await toolbarItem(page, toolbar, '.jp-VisionLens-labelTypesItem'))
      .locator('input[data-label-type="classifications"]')
      .uncheck();
    await expect(tile.locator('.jp-VisionLens-classChips')).toBeHidden();
    for (const type of ['masks', 'keypoints', 'classifications']) {
      await (await toolbarItem(page, toolbar, '.jp-VisionLens-labelTypesItem'))
        .locator(`input[data-label-type="${type}"]`)
        .check();
    }
    await page.keyboard.press('Escape'); // close the "…" menu if it was opened
    await expect.poll(async () => (await pixel(canvas, size, INSIDE_POLYGON))[3]).toBeGreaterThan(40);
    await expect(tile.locator('.jp-VisionLens-classChip')).toHaveCount(1);

    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await shot(grid, `labels-grid-${dark ? 'dark' : 'light'}`);
    }
    await setTheme(page, false);

    // The sample view: full size, the same layers.
    await command(page, 'visionlens:open-sample', {
      dataset: 'labels',
      sampleId: first.sample_id
    });
    const view = page.locator('.jp-VisionLens-sample:visible');
    const stage = view.locator('.jp-VisionLens-stage');
    const full = stage.locator('canvas.jp-VisionLens-labelCanvas');
    await imagesLoaded(stage);
    await expect.poll(async () => (await pixel(full, size, INSIDE_RLE))[3]).toBeGreaterThan(40);
    expect(close((await pixel(full, size, INSIDE_POLYGON)).slice(0, 3), person)).toBe(true);
    expect((await pixel(full, size, OUTSIDE))[3]).toBe(0);
    expect((await pixel(full, size, VISIBLE_KEYPOINT))[3]).toBeGreaterThan(200);
    await expect(stage.locator('.jp-VisionLens-classChip')).toHaveText(['indoor']);
    const bar = view.locator('.jp-VisionLens-sampleTagBar');
    await (await toolbarItem(page, bar, '.jp-VisionLens-labelTypesItem'))
      .locator('input[data-label-type="masks"]')
      .uncheck();
    await expect.poll(async () => (await pixel(full, size, INSIDE_RLE))[3]).toBe(0);
    await (await toolbarItem(page, bar, '.jp-VisionLens-labelTypesItem'))
      .locator('input[data-label-type="masks"]')
      .check();
    // No Escape for the "…" popup here: over the grid, Escape closes the sample overlay.
    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await shot(view, `labels-sample-${dark ? 'dark' : 'light'}`);
    }
    await setTheme(page, false);
  });

  test('the sample view names the keypoints of the object under the pointer only', async ({
    page,
    request
  }) => {
    const first = (await api(request, 'datasets/labels/samples/query', { limit: 1 })).samples[0];
    await openGrid(page, 'labels');
    await command(page, 'visionlens:open-sample', { dataset: 'labels', sampleId: first.sample_id });
    const stage = page.locator('.jp-VisionLens-sample:visible .jp-VisionLens-stage');
    const canvas = stage.locator('canvas.jp-VisionLens-labelCanvas');
    await imagesLoaded(stage);
    await hover(page, canvas, OUTSIDE);
    const dot = async () => (await pixel(canvas, [first.width, first.height], VISIBLE_KEYPOINT))[3];
    await expect.poll(dot).toBeGreaterThan(200); // the points are drawn...
    expect(await nameInk(canvas, VISIBLE_KEYPOINT)).toBe(0); // ...without their names

    await hover(page, canvas, VISIBLE_KEYPOINT); // on the person's head: its names
    await expect.poll(() => nameInk(canvas, VISIBLE_KEYPOINT)).toBeGreaterThan(10);
    await hover(page, canvas, OUTSIDE);
    await expect.poll(() => nameInk(canvas, VISIBLE_KEYPOINT)).toBe(0);
    // Inside the object, between its points: named too.
    await hover(page, canvas, [0.3, 0.5]);
    await expect.poll(() => nameInk(canvas, VISIBLE_KEYPOINT)).toBeGreaterThan(10);
    expect(await dot()).toBeGreaterThan(200);
    await shot(stage, 'labels-sample-keypoint-names-light');
  });

  test('patch tiles draw their mask and keypoints over the crop, and a true positive as a pair', async ({
    page,
    request
  }) => {
    await openGrid(page, 'labels');
    await command(page, 'visionlens:open-patches', { source: 'ground_truth' });
    const panel = page.locator('#visionlens-patches-main');
    const truth = await api(request, 'datasets/labels/patches', { filter: {}, limit: 100 });
    const person = truth.objects.find((o: any) => o.label === 'person');
    const blob = truth.objects.find((o: any) => o.label === 'blob');
    const size: [number, number] = [person.image_width, person.image_height];
    const tile = panel.locator(`.jp-VisionLens-patch[data-ann-id="${person.ann_id}"]`);
    const canvas = tile.locator('canvas.jp-VisionLens-labelCanvas');
    await imagesLoaded(tile);
    await expect
      .poll(async () => (await pixel(canvas, size, INSIDE_POLYGON, person.crop))[3])
      .toBeGreaterThan(40);
    const polygon = await pixel(canvas, size, INSIDE_POLYGON, person.crop);
    expect(polygon[3]).toBeLessThan(200); // the translucent fill of the grid tiles
    const corner: Spot = [(person.crop[0] + 1) / size[0], (person.crop[1] + 1) / size[1]];
    expect((await pixel(canvas, size, corner, person.crop))[3]).toBe(0);
    expect((await pixel(canvas, size, VISIBLE_KEYPOINT, person.crop))[3]).toBeGreaterThan(200);
    // the RLE mask (made lazily) of the blob, in its own tile
    const blobCanvas = panel
      .locator(`.jp-VisionLens-patch[data-ann-id="${blob.ann_id}"]`)
      .locator('canvas.jp-VisionLens-labelCanvas');
    await expect
      .poll(async () => (await pixel(blobCanvas, size, INSIDE_RLE, blob.crop))[3])
      .toBeGreaterThan(40);
    await shot(panel, 'labels-patches-light');

    // the demo's evaluation, best IoU first: a true positive and its match in one tile
    const model = 'simulated-model';
    await openGrid(page, 'demo');
    await command(page, 'visionlens:open-patches', {
      kind: 'evaluation',
      source: model,
      sort: 'iou',
      order: 'desc'
    });
    const best = (
      await api(request, 'datasets/demo/patches', {
        filter: {},
        kind: 'evaluation',
        model,
        sort: 'iou',
        order: 'desc',
        limit: 1
      })
    ).objects[0];
    expect(best.status).toBe('tp');
    const pair = patchTile(panel, 0);
    await expect(pair).toHaveAttribute('data-ann-id', String(best.ann_id));
    const svg = pair.locator('svg.jp-VisionLens-overlay');
    await expect(svg).toHaveAttribute('viewBox', best.crop.join(' '));
    await expect(svg.locator('g.jp-VisionLens-box.jp-mod-gt rect')).toHaveCount(1);
    await expect(svg.locator('g.jp-VisionLens-box.jp-mod-pred rect')).toHaveAttribute(
      'stroke-dasharray',
      /\d/
    );
    await expect(pair.locator('.jp-VisionLens-patchIoU')).toHaveText(
      `IoU ${best.iou.toFixed(2)}`
    );
    await imagesLoaded(pair);
    const natural = await pair
      .locator('img')
      .evaluate(img => [
        (img as HTMLImageElement).naturalWidth,
        (img as HTMLImageElement).naturalHeight
      ]);
    // the crop of both boxes (at most 128 px), in the region's proportions
    const [, , rw, rh] = best.crop;
    expect(Math.max(...natural)).toBe(Math.min(128, Math.max(rw, rh)));
    expect(Math.abs(natural[0] / natural[1] - rw / rh)).toBeLessThan(0.1);
    await shot(panel, 'demo-patches-pairs-light');

    // worst IoU first: a false positive with the ground truth that explains it, as a pair
    await command(page, 'visionlens:open-patches', {
      kind: 'evaluation',
      source: model,
      sort: 'iou',
      order: 'asc'
    });
    const worst = (
      await api(request, 'datasets/demo/patches', {
        filter: {},
        kind: 'evaluation',
        model,
        sort: 'iou',
        order: 'asc',
        limit: 1
      })
    ).objects[0];
    expect(worst.status).toBe('fp');
    expect(worst.match.source).toBe('ground_truth');
    expect(worst.crop_with).toBe(worst.match.ann_id);
    const fp = patchTile(panel, 0);
    await expect(fp).toHaveAttribute('data-ann-id', String(worst.ann_id));
    const fpSvg = fp.locator('svg.jp-VisionLens-overlay');
    await expect(fpSvg).toHaveAttribute('viewBox', worst.crop.join(' '));
    const truthRect = fpSvg.locator('g.jp-VisionLens-box.jp-mod-gt rect');
    await expect(truthRect).toHaveCount(1);
    expect(await truthRect.getAttribute('stroke-dasharray')).toBeNull();
    await expect(fpSvg.locator('g.jp-VisionLens-box.jp-mod-pred.jp-mod-fp rect')).toHaveAttribute(
      'stroke-dasharray',
      /\d/
    );
    await expect(fp.locator('.jp-VisionLens-patchIoU')).toHaveText(
      `IoU ${worst.match.iou.toFixed(2)}`
    );
    await expect(fp.locator('img')).toHaveAttribute('src', new RegExp(`with=${worst.crop_with}`));
  });

  test("grid tiles write their boxes' classes, and the Names toggle takes them off", async ({
    page,
    request
  }) => {
    // Issue #47: tiles carried no class names (a VOC dataset's boxes were bare shapes).
    const sample = (await api(request, 'datasets/demo/samples/query', { limit: 1 })).samples[0];
    const truth = sample.annotations
      .filter((a: { source: string }) => a.source === 'ground_truth')
      .map((a: { label: string }) => a.label);
    expect(truth.length).toBeGreaterThan(0);
    const grid = await openGrid(page, 'demo');
    const tile = grid.locator(`.jp-VisionLens-tile[data-sample-id="${sample.sample_id}"]`);
    const names = tile.locator('g.jp-VisionLens-box.jp-mod-gt text.jp-VisionLens-boxLabel');
    await expect(names).toHaveCount(truth.length);
    expect((await names.allTextContents()).sort()).toEqual([...truth].sort());
    // Predictions carry their score beside the class.
    for (const text of await tile.locator('g.jp-mod-pred text').allTextContents()) {
      expect(text).toMatch(/^.+ [01]\.\d\d$/);
    }

    const toolbar = grid.locator('.jp-VisionLens-gridTagBar');
    const toggle = async (on: boolean) => {
      await setToolbarCheckbox(
        page,
        toolbar,
        '.jp-VisionLens-labelTypesItem',
        '.jp-VisionLens-boxNames input',
        on
      );
      await page.keyboard.press('Escape'); // close the "…" menu if it was opened
    };
    await toggle(false);
    await expect(tile.locator('text.jp-VisionLens-boxLabel')).toHaveCount(0);
    await expect(tile.locator('g.jp-VisionLens-box.jp-mod-gt')).toHaveCount(truth.length);
    await toggle(true);
    await expect(names).toHaveCount(truth.length);
  });
});
