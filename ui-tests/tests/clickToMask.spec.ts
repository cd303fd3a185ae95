/**
 * Click-to-mask in the sample view, against the server with a tiny randomly
 * initialised SAM built here (tests/segment_fixtures.py; nothing is
 * downloaded): M turns the tool on, a click on the image draws the mask the
 * server answers, Enter keeps it as a new object (the object count grows by
 * one, the object has the mask), Accel+Z takes it back, Escape drops a
 * prompt without closing the view, and Shift+Enter makes a mask the selected
 * box's (its box kept; undone too); the brush and eraser refine a mask
 * before Enter keeps it (the kept mask's area is the refined one). Screenshots of the mask
 * in both themes go to build/screenshots/. Its own dataset (small20), so the
 * other tests' counts stay.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { galata } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import { expect, test } from './fixtures';
import {
  api,
  command,
  ingestAnew,
  runEnv,
  setTheme,
  shot
} from './helpers';

const NAME = 'ui-masks';
const SOURCES = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources');
const SMALL = path.join(SOURCES, 'small20');
const SAM = path.join(SOURCES, 'tiny-sam');
const REPO = path.resolve(__dirname, '..', '..');

test.use({
  autoGoto: true,
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'visionlens_jlab:sample': {
      openIn: 'tab',
      segmentModel: SAM,
      segmentPrefetch: true
    }
  }
});

/** The tiny SAM checkpoint the Python tests build, saved once per run. */
function writeTinySam(): void {
  if (fs.existsSync(path.join(SAM, 'config.json'))) {
    return;
  }
  execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
    '-c',
    'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
      'from tests.segment_fixtures import save_tiny_sam\n' +
      'save_tiny_sam(Path(sys.argv[2]))',
    REPO,
    SAM
  ]);
}

/** `ui-masks` anew: small20's boxes as ground truth. */
async function freshDataset(request: APIRequestContext): Promise<void> {
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
  await ingestAnew(request, NAME, path.join(SMALL, 'instances.json'), images);
}

async function objects(request: APIRequestContext, sampleId: number) {
  const sample = await api(request, `datasets/${NAME}/samples/${sampleId}`);
  return sample.annotations as {
    ann_id: number;
    bbox: [number, number, number, number];
    segmentation?: unknown;
    mask_area?: number | null;
  }[];
}

test('click a mask into existence, keep it as an object, undo it', async ({
  page,
  request
}) => {
  // a model load, several masks and edits, and the brush's strokes: past the default 2 minutes on a loaded machine
  test.setTimeout(240 * 1000);
  writeTinySam();
  await freshDataset(request);
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: {},
    offset: 0,
    limit: 1
  });
  const id: number = samples[0].sample_id;
  const imageWidth: number = samples[0].width;
  const had = (await objects(request, id)).map(a => a.ann_id);
  const before = had.length;
  await command(page, 'visionlens:open-sample', {
    dataset: NAME,
    sampleId: id
  });
  const view = page.locator('#visionlens-sample-main');
  const keys = page.locator('#visionlens-sample');
  const layer = view.locator('svg.jp-VisionLens-maskLayer');
  const status = view.locator('.jp-VisionLens-maskStatus');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty(
    'complete',
    true
  );

  await keys.focus();
  await page.keyboard.press('m');
  await expect(view.locator('.jp-VisionLens-stage')).toHaveAttribute(
    'data-tool',
    'mask'
  );
  await expect(status).toHaveText(/^Click on an object/);

  // a click in the image's middle: the server's mask is drawn over it
  const canvas = view.locator('.jp-VisionLens-canvas');
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await expect(layer).toHaveAttribute('data-state', 'ready', {
    timeout: 60000
  });
  await expect(layer).toHaveAttribute('data-points', '1');
  await expect(layer.locator('.jp-VisionLens-maskPositive')).toHaveCount(1);
  await expect(status).toHaveText(/^Mask of [\d,]+ pixels, score/);
  const d = await layer
    .locator('.jp-VisionLens-maskPreview')
    .getAttribute('d');
  expect(d).toMatch(/^M\d/);
  for (const dark of [false, true]) {
    await setTheme(page, dark);
    await shot(view, `click-to-mask-${dark ? 'dark' : 'light'}`);
  }
  await setTheme(page, false);

  // the brush (U) refines the mask before it is kept: a stroke along the
  // image's top edge sets its pixels there, the eraser (E) over the same path
  // clears them, so the second leaves fewer pixels than the first; the prompt
  // and its keys stay
  const shownArea = async () =>
    Number(
      /Mask of ([\d,]+) pixels/
        .exec((await status.textContent()) ?? '')![1]
        .replace(/,/g, '')
    );
  const clicked = await shownArea();
  const edge: [number, number][] = [
    [box.x + box.width * 0.1, box.y + 3],
    [box.x + box.width * 0.3, box.y + 3]
  ];
  const strokeAlong = async (key: string) => {
    await keys.focus();
    await page.keyboard.press(key);
    await page.mouse.move(...edge[0]);
    await page.mouse.down();
    await page.mouse.move(...edge[1], { steps: 4 });
    await page.mouse.up();
  };
  await strokeAlong('u');
  await expect(view.locator('.jp-VisionLens-stage')).toHaveAttribute(
    'data-tool',
    'brush'
  );
  await expect(layer).toHaveAttribute('data-points', '1');
  await expect.poll(shownArea).toBeGreaterThanOrEqual(clicked);
  const painted = await shownArea();
  await strokeAlong('e');
  await expect.poll(shownArea).toBeLessThan(painted);
  const refined = await shownArea();

  // Enter keeps it: one more object, with the refined mask, inside the image
  await keys.focus();
  await page.keyboard.press('Enter');
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before + 1);
  const added = (await objects(request, id)).find(a => !had.includes(a.ann_id));
  expect(added?.segmentation).toMatchObject({ size: expect.any(Array) });
  expect(added?.mask_area).toBe(refined);
  await keys.focus();
  await page.keyboard.press('m'); // back to the mask tool
  await expect(layer).toHaveAttribute('data-state', 'idle');

  // Accel+Z takes it back
  await keys.focus();
  await page.keyboard.press('Control+z');
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before);

  // Escape drops a prompt (the view stays open); a second Escape closes it
  await page.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
  await expect(layer).toHaveAttribute('data-state', 'ready', {
    timeout: 60000
  });
  await keys.focus();
  await page.keyboard.press('Escape');
  await expect(layer).toHaveAttribute('data-state', 'idle');
  await expect(view).toBeVisible();

  // the mask of an existing box: select it (M again: the select tool), then
  // M, a click, Shift+Enter; its box stays, and Accel+Z gives the old mask back
  const smallest = (await objects(request, id)).sort(
    (a, b) => a.bbox[2] * a.bbox[3] - b.bbox[2] * b.bbox[3]
  )[0];
  const scale = box.width / imageWidth;
  const [bx, by, bw, bh] = smallest.bbox;
  const centre: [number, number] = [
    box.x + (bx + bw / 2) * scale,
    box.y + (by + bh / 2) * scale
  ];
  // the image is where it was when `box` was read: the rows of text that came
  // since ("Saved (edit …)", the mask's status) lie over it, and the toolbars
  // never grow a row (a shift of a few pixels made this click miss the box)
  expect(await canvas.boundingBox()).toEqual(box);
  await keys.focus();
  await page.keyboard.press('m');
  await page.mouse.click(...centre);
  await expect(view.locator('svg.jp-VisionLens-editLayer')).toHaveAttribute(
    'data-selected',
    String(smallest.ann_id)
  );
  await keys.focus();
  await page.keyboard.press('m');
  await page.mouse.click(...centre);
  await expect(layer).toHaveAttribute('data-state', 'ready', {
    timeout: 60000
  });
  await expect(status).toContainText('Shift+Enter');
  await keys.focus();
  await page.keyboard.press('Shift+Enter');
  const masked = async () =>
    (await objects(request, id)).find(a => a.ann_id === smallest.ann_id)!;
  await expect
    .poll(async () => JSON.stringify((await masked()).segmentation))
    .not.toBe(JSON.stringify(smallest.segmentation));
  expect((await masked()).bbox).toEqual(smallest.bbox);
  await keys.focus();
  await page.keyboard.press('Control+z');
  await expect
    .poll(async () => JSON.stringify((await masked()).segmentation))
    .toBe(JSON.stringify(smallest.segmentation));
});
