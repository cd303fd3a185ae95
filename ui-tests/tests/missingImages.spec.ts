/**
 * Samples whose image file is missing (issue #47, item 9): the server's
 * "image missing" placeholder has the sample's recorded shape, so the grid
 * tile and the sample view draw its labels on the placeholder, not beside
 * it; a sample of unknown size is framed by the placeholder itself, and the
 * sample view keeps its labels inside that frame. Its own dataset: a COCO
 * file whose images were never copied.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import { api, command, imagesLoaded, openGrid, runEnv } from './helpers';

const NAME = 'ui-missing-images';

/** A tall sample with a box over all of it, and one of unknown size with a box below its placeholder. */
const COCO = {
  images: [
    { id: 1, file_name: 'tall.jpg', width: 480, height: 640 },
    { id: 2, file_name: 'unknown-size.jpg' }
  ],
  categories: [{ id: 1, name: 'thing' }],
  annotations: [
    {
      id: 1,
      image_id: 1,
      category_id: 1,
      bbox: [0, 0, 480, 640],
      area: 307200,
      iscrowd: 0
    },
    {
      id: 2,
      image_id: 2,
      category_id: 1,
      bbox: [0, 400, 120, 100],
      area: 12000,
      iscrowd: 0
    }
  ]
};

type Rect = { x: number; y: number; width: number; height: number };

/** Where an `object-fit: contain` image's picture is on the page. */
async function pictureBox(img: Locator): Promise<Rect> {
  return img.evaluate(el => {
    const image = el as HTMLImageElement;
    const r = image.getBoundingClientRect();
    const scale = Math.min(
      r.width / image.naturalWidth,
      r.height / image.naturalHeight
    );
    const width = image.naturalWidth * scale;
    const height = image.naturalHeight * scale;
    return {
      x: r.x + (r.width - width) / 2,
      y: r.y + (r.height - height) / 2,
      width,
      height
    };
  });
}

/** `inner` lies within `outer` (to 2 px: rounding; a spill is tens of pixels). */
function expectWithin(inner: Rect, outer: Rect): void {
  expect(inner.x).toBeGreaterThanOrEqual(outer.x - 2);
  expect(inner.y).toBeGreaterThanOrEqual(outer.y - 2);
  expect(inner.x + inner.width).toBeLessThanOrEqual(outer.x + outer.width + 2);
  expect(inner.y + inner.height).toBeLessThanOrEqual(
    outer.y + outer.height + 2
  );
}

test.use({ autoGoto: true });

/** The dataset (made once per data folder) and the id of its sample `fileName`. */
async function sampleId(
  request: APIRequestContext,
  fileName: string
): Promise<number> {
  const { datasets } = await api(request, 'datasets');
  if (!datasets.some((d: { name: string }) => d.name === NAME)) {
    const dir = path.join(
      runEnv('VISIONLENS_DATA_DIR'),
      'ui-sources',
      'missing-images'
    );
    fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'instances.json'), JSON.stringify(COCO));
    const { job } = await api(request, 'datasets', {
      source: path.join(dir, 'instances.json'),
      name: NAME,
      format: 'coco',
      images: path.join(dir, 'images')
    });
    await expect
      .poll(async () => (await api(request, `jobs/${job.id}`)).status, {
        timeout: 60000
      })
      .toBe('done');
  }
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: {},
    offset: 0,
    limit: 10
  });
  return samples.find((s: { file_name: string }) => s.file_name === fileName)
    .sample_id;
}

/** The sample view of sample `id`, its (placeholder) picture loaded. */
async function openSampleView(
  page: IJupyterLabPageFixture,
  id: number
): Promise<{ stage: Locator; img: Locator }> {
  await openGrid(page, NAME);
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  const stage = page.locator('.jp-VisionLens-stage');
  const img = stage.locator('.jp-VisionLens-fullImage');
  await expect(img).toHaveJSProperty('complete', true);
  return { stage, img };
}

test.describe('samples whose image is missing', () => {
  test('a tile draws the boxes on the placeholder, not beside it', async ({
    page,
    request
  }) => {
    const id = await sampleId(request, 'tall.jpg');
    const grid = await openGrid(page, NAME);
    const tile = grid.locator(`.jp-VisionLens-tile[data-sample-id="${id}"]`);
    await imagesLoaded(grid);
    const box = tile.locator('.jp-VisionLens-overlay rect').first();
    await expect(box).toBeVisible();
    // read again until the grid's layout has settled (its toolbar may wrap
    // while the first tiles load, moving them between two reads)
    await expect(async () => {
      const picture = await pictureBox(
        tile.locator('.jp-VisionLens-tileImage')
      );
      // a tall placeholder for a tall sample
      expect(picture.height).toBeGreaterThan(picture.width);
      const drawn = (await box.boundingBox())!;
      expectWithin(drawn, picture);
      // the box covers the whole image, so it covers the whole placeholder
      expect(drawn.height).toBeGreaterThan(picture.height - 4);
    }).toPass({ timeout: 15000 });
  });

  test('the sample view shows the placeholder in the sample’s shape, its labels on it', async ({
    page,
    request
  }) => {
    const id = await sampleId(request, 'tall.jpg');
    const { stage, img } = await openSampleView(page, id);
    // not a 4:3 picture stretched into the tall frame
    const [w, h] = await img.evaluate(el => [
      (el as HTMLImageElement).naturalWidth,
      (el as HTMLImageElement).naturalHeight
    ]);
    expect(w / h).toBeCloseTo(480 / 640, 2);
    await expect(async () => {
      const picture = (await img.boundingBox())!;
      const drawn = (await stage
        .locator('.jp-VisionLens-overlay rect')
        .first()
        .boundingBox())!;
      expectWithin(drawn, picture);
    }).toPass({ timeout: 15000 });
  });

  test('the sample view keeps labels inside a placeholder of unknown size', async ({
    page,
    request
  }) => {
    const id = await sampleId(request, 'unknown-size.jpg');
    const { stage, img } = await openSampleView(page, id);
    const picture = (await img.boundingBox())!;
    const box = stage.locator('.jp-VisionLens-overlay rect').first();
    await expect(box).toHaveCount(1);
    // The box (y 400-500) starts below the 4:3 placeholder (384 px high): the
    // part of it in the stage's margin under the picture is not drawn there.
    const drawn = (await box.boundingBox())!;
    expect(drawn.y + drawn.height).toBeGreaterThan(picture.y + picture.height);
    const below = {
      x: drawn.x + drawn.width / 2,
      y: Math.min(
        drawn.y + drawn.height - 2,
        (await stage.boundingBox())!.y + (await stage.boundingBox())!.height - 2
      )
    };
    expect(below.y).toBeGreaterThan(picture.y + picture.height);
    // Hit testing follows what is painted: with the overlay's rects made
    // hittable, nothing of them is under a point the overlay must not paint.
    await page.addStyleTag({
      content: '.jp-VisionLens-overlay rect { pointer-events: all !important; }'
    });
    const hit = await page.evaluate(
      ({ x, y }) =>
        document
          .elementsFromPoint(x, y)
          .some(el => el.closest('.jp-VisionLens-overlay') !== null),
      below
    );
    expect(hit).toBe(false);
  });
});
