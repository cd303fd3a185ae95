/**
 * Labels beyond the box, drawn: the `labels` dataset (global-setup.js:
 * tests/label_fixtures.py over demo images) has on every image a polygon
 * mask with keypoints (visible, labelled hidden, unlabelled) and an RLE mask,
 * and an image class. The grid tiles and the sample view must paint them on
 * their canvas (read back pixel by pixel), show the class chips, and hide
 * each label type with its toggle. Screenshots of both themes go to
 * build/screenshots/ (not committed).
 */
import { expect, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import { api, command, imagesLoaded, openGrid, setTheme, shot, toolbarItem } from './helpers';

test.use({ autoGoto: true });

/** A point of the image, as fractions of its width and height. */
type Spot = [number, number];

/** Where the fixture draws (tests/label_fixtures.py). */
const INSIDE_POLYGON: Spot = [0.35, 0.7];
const INSIDE_RLE: Spot = [0.75, 0.5];
const OUTSIDE: Spot = [0.03, 0.05];
const VISIBLE_KEYPOINT: Spot = [0.27, 0.25];
const HIDDEN_KEYPOINT: Spot = [0.4, 0.45];

/** RGBA of a label canvas at an image point (the canvas letterboxes like the image). */
async function pixel(canvas: Locator, size: [number, number], spot: Spot): Promise<number[]> {
  return canvas.evaluate(
    (el, { size, spot }) => {
      const c = el as HTMLCanvasElement;
      const [w, h] = size;
      const cssW = c.clientWidth;
      const cssH = c.clientHeight;
      const scale = Math.min(cssW / w, cssH / h);
      const ratio = c.width / cssW;
      const x = ((cssW - w * scale) / 2 + spot[0] * w * scale) * ratio;
      const y = ((cssH - h * scale) / 2 + spot[1] * h * scale) * ratio;
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      return [...ctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data];
    },
    { size, spot }
  );
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
    await page.keyboard.press('Escape');
    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await shot(view, `labels-sample-${dark ? 'dark' : 'light'}`);
    }
    await setTheme(page, false);
  });
});
