/**
 * The mask brush and eraser in the sample view (issue #51, items 1 and 2),
 * checked against the server's stored masks: on a ring of the demo (an RLE
 * mask) a brush stroke through its hole adds the hole's pixels under the
 * stroke and the eraser clears the ring's pixels under its stroke (the
 * stored mask's pixels counted here, in bands around the stroke's line), and
 * Accel+Z gives the exact mask back each time; ] makes the brush larger; a
 * box without a mask gets one from a stroke (its box kept), undone too.
 * Screenshots of a stroke in both themes go to build/screenshots/. Its own
 * dataset (the demo's first images), so the other tests' data stay.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import {
  api,
  command,
  ingestAnew,
  runEnv,
  SAMPLE_IN_TAB,
  screen,
  setTheme,
  shot
} from './helpers';

test.use({ mockSettings: SAMPLE_IN_TAB });
test.use({ autoGoto: true });

const NAME = 'ui-brush';
const DEMO = path.join(runEnv('VISIONLENS_DATA_DIR'), 'demo-sources', 'demo');
const IMAGES = 12;

type Box = [number, number, number, number];
type Rle = { size: [number, number]; counts: string };
type Ann = {
  ann_id: number;
  label: string;
  bbox: Box;
  segmentation?: Rle | number[][] | null;
  mask_area?: number | null;
};
type Found = { id: number; width: number; height: number; ann: Ann };

/** The demo's first images; rings keep their RLE masks, the other shapes are bare boxes. */
async function freshDataset(
  request: APIRequestContext,
  dir: string
): Promise<void> {
  const coco = JSON.parse(
    fs.readFileSync(path.join(DEMO, 'annotations.json'), 'utf-8')
  );
  const ring = coco.categories.find((c: any) => c.name === 'ring').id;
  coco.images = coco.images.slice(0, IMAGES);
  const ids = new Set(coco.images.map((i: any) => i.id));
  coco.annotations = coco.annotations.filter((a: any) => ids.has(a.image_id));
  for (const a of coco.annotations) {
    if (a.category_id !== ring) {
      delete a.segmentation;
    }
  }
  const source = path.join(dir, 'brush.json');
  fs.writeFileSync(source, JSON.stringify(coco));
  await ingestAnew(request, NAME, source, path.join(DEMO, 'images'));
}

async function object(
  request: APIRequestContext,
  sampleId: number,
  annId: number
): Promise<Ann> {
  const sample = await api(request, `datasets/${NAME}/samples/${sampleId}`);
  return sample.annotations.find((a: Ann) => a.ann_id === annId);
}

/** The largest object that `pick` takes whose box centre lies in no other box (a click there selects it). */
async function isolated(
  request: APIRequestContext,
  pick: (a: Ann) => boolean
): Promise<Found> {
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: {},
    offset: 0,
    limit: IMAGES
  });
  let found: Found | null = null;
  for (const s of samples) {
    const all: Ann[] = (
      await api(request, `datasets/${NAME}/samples/${s.sample_id}`)
    ).annotations;
    for (const a of all.filter(pick)) {
      const [cx, cy] = [a.bbox[0] + a.bbox[2] / 2, a.bbox[1] + a.bbox[3] / 2];
      const alone = all.every(
        o =>
          o === a ||
          !(
            cx >= o.bbox[0] &&
            cx <= o.bbox[0] + o.bbox[2] &&
            cy >= o.bbox[1] &&
            cy <= o.bbox[1] + o.bbox[3]
          )
      );
      const size = a.bbox[2] * a.bbox[3];
      if (alone && (!found || size > found.ann.bbox[2] * found.ann.bbox[3])) {
        found = { id: s.sample_id, width: s.width, height: s.height, ann: a };
      }
    }
  }
  expect(found).not.toBeNull();
  return found!;
}

/** The column-major bitmap of a COCO compressed RLE (pycocotools' rleFrString, plainly). */
function decode(rle: Rle): Uint8Array {
  const runs: number[] = [];
  const s = rle.counts;
  for (let p = 0; p < s.length; ) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      const c = s.charCodeAt(p++) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      k++;
      if (!more && c & 0x10) {
        x |= -1 << (5 * k);
      }
    }
    runs.push(runs.length > 2 ? x + runs[runs.length - 2] : x);
  }
  const [h, w] = rle.size;
  const out = new Uint8Array(h * w);
  let at = 0;
  runs.forEach((n, i) => {
    if (i % 2) {
      out.fill(1, at, at + n);
    }
    at += n;
  });
  return out;
}

/**
 * Pixels of `bits` (an `h`-row column-major bitmap) equal to `value` in
 * columns [x0, x1] and the rows whose centre lies within `half` of `yc`.
 */
function band(
  bits: Uint8Array,
  h: number,
  [x0, x1]: [number, number],
  yc: number,
  half: number,
  value: 0 | 1
): number {
  let n = 0;
  for (let x = Math.max(0, Math.ceil(x0)); x <= x1 && x * h < bits.length; x++) {
    for (let y = 0; y < h; y++) {
      if (Math.abs(y + 0.5 - yc) <= half && bits[x * h + y] === value) {
        n++;
      }
    }
  }
  return n;
}

test('paint and erase a mask with the brush, and give a box a mask, each undoable', async ({
  page,
  request
}, testInfo) => {
  await freshDataset(request, testInfo.outputPath());
  const ring = await isolated(request, a => a.label === 'ring');
  const { id, width, height, ann } = ring;
  expect((ann.segmentation as Rle).size).toEqual([height, width]);
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  const view = page.locator('#visionlens-sample-main');
  const keys = page.locator('#visionlens-sample');
  const stage = view.locator('.jp-VisionLens-stage');
  const brushLayer = view.locator('svg.jp-VisionLens-brushLayer');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty(
    'complete',
    true
  );
  const at = (x: number, y: number) => screen(view, width, x, y);
  const [bx, by, bw, bh] = ann.bbox;
  const [cx, cy] = [bx + bw / 2, by + bh / 2];
  await page.mouse.click(...(await at(cx, cy)));
  await expect(view.locator('svg.jp-VisionLens-editLayer')).toHaveAttribute(
    'data-selected',
    String(ann.ann_id)
  );

  // U: the brush; ] twice: 16 → 24 → 32 image pixels
  await keys.focus();
  await page.keyboard.press('u');
  await expect(stage).toHaveAttribute('data-tool', 'brush');
  await page.keyboard.press(']');
  await page.keyboard.press(']');
  await expect(brushLayer).toHaveAttribute('data-size', '32');
  await expect(view.locator('.jp-VisionLens-brushSizeText')).toHaveText('32 px');
  const r = 16;
  const scale = (await at(1, 0))[0] - (await at(0, 0))[0];
  const slack = 1 / Math.min(scale, 1) + 1; // a screen pixel in image pixels, and a pixel's rounding

  // a stroke across the ring's middle, from the hole's left quarter to its right one
  const before = decode(ann.segmentation as Rle);
  const [x0, x1] = [cx - bw / 8, cx + bw / 8];
  await page.mouse.move(...(await at(x0, cy)));
  await page.mouse.down();
  await page.mouse.move(...(await at(cx, cy)), { steps: 4 });
  await page.mouse.move(...(await at(x1, cy)), { steps: 4 });
  await expect(brushLayer.locator('.jp-VisionLens-brushStroke')).toHaveCount(1);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `mask-brush-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);
  await page.mouse.up();
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).mask_area)
    .toBeGreaterThan(ann.mask_area!);
  const painted = await object(request, id, ann.ann_id);
  const gained = painted.mask_area! - ann.mask_area!;
  // at least the hole's pixels well inside the stroke, at most those near it
  const least = band(before, height, [x0 + slack, x1 - slack], cy, r - slack, 0);
  const most = band(
    before,
    height,
    [x0 - r - slack, x1 + r + slack],
    cy,
    r + slack,
    0
  );
  expect(least).toBeGreaterThan(0);
  expect(gained).toBeGreaterThanOrEqual(least);
  expect(gained).toBeLessThanOrEqual(most);
  // the stored mask is the old one plus the stroke: nothing it had is gone
  const after = decode(painted.segmentation as Rle);
  expect(before.findIndex((v, i) => v !== 0 && !after[i])).toBe(-1);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation)
    .toEqual(ann.segmentation);
  expect((await object(request, id, ann.ann_id)).bbox).toEqual(ann.bbox);

  // E: the eraser, a stroke through the whole ring (past both sides): its
  // pixels within the stroke's half-size of the line go
  await page.keyboard.press('e');
  await expect(stage).toHaveAttribute('data-tool', 'erase');
  const [e0, e1] = [bx - 4, bx + bw + 4];
  await page.mouse.move(...(await at(e0, cy)));
  await page.mouse.down();
  await page.mouse.move(...(await at(cx, cy)), { steps: 4 });
  await page.mouse.move(...(await at(e1, cy)), { steps: 4 });
  await page.mouse.up();
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).mask_area)
    .toBeLessThan(ann.mask_area!);
  const erased = ann.mask_area! - (await object(request, id, ann.ann_id)).mask_area!;
  expect(erased).toBeGreaterThanOrEqual(
    band(before, height, [e0, e1], cy, r - slack, 1)
  );
  expect(erased).toBeLessThanOrEqual(
    band(before, height, [e0 - r, e1 + r], cy, r + slack, 1)
  );
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await object(request, id, ann.ann_id)).segmentation)
    .toEqual(ann.segmentation);

  // a box without a mask: a stroke gives it one, its box kept; undone, it has none again
  const bare = await isolated(request, a => !a.segmentation);
  await command(page, 'visionlens:open-sample', {
    dataset: NAME,
    sampleId: bare.id
  });
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty(
    'complete',
    true
  );
  await keys.focus();
  await page.keyboard.press('u');
  const [qx, qy, qw, qh] = bare.ann.bbox;
  const centre: [number, number] = [qx + qw / 2, qy + qh / 2];
  const onBare = (x: number, y: number) => screen(view, bare.width, x, y);
  // nothing selected: the brush says so and sends nothing
  await page.mouse.click(...(await onBare(...centre)));
  await expect(view.locator('.jp-VisionLens-maskStatus')).toContainText(
    'Select an object first'
  );
  await keys.focus();
  await page.keyboard.press('u'); // back to select
  await page.mouse.click(...(await onBare(...centre)));
  await expect(view.locator('svg.jp-VisionLens-editLayer')).toHaveAttribute(
    'data-selected',
    String(bare.ann.ann_id)
  );
  await keys.focus();
  await page.keyboard.press('u');
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  await expect(brushLayer).toHaveAttribute('data-size', '16');
  await page.mouse.move(...(await onBare(centre[0] - qw / 4, centre[1])));
  await page.mouse.down();
  await page.mouse.move(...(await onBare(centre[0] + qw / 4, centre[1])), {
    steps: 4
  });
  await page.mouse.up();
  await expect
    .poll(async () => (await object(request, bare.id, bare.ann.ann_id)).mask_area ?? 0)
    .toBeGreaterThan(0);
  const masked = await object(request, bare.id, bare.ann.ann_id);
  expect(masked.bbox).toEqual(bare.ann.bbox);
  expect((masked.segmentation as Rle).size).toEqual([bare.height, bare.width]);
  // a 16-pixel brush over half the box's width: about 16 × (w/2 + 16 π/4) pixels
  const expected = 16 * (qw / 2) + Math.PI * 64;
  expect(masked.mask_area!).toBeGreaterThan(expected * 0.8);
  expect(masked.mask_area!).toBeLessThan(expected * 1.2);
  await keys.focus();
  await page.keyboard.press('ControlOrMeta+z');
  await expect
    .poll(async () => (await object(request, bare.id, bare.ann.ann_id)).segmentation ?? null)
    .toBeNull();
});
