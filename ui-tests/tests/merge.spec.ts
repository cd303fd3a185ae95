/**
 * "Merge another dataset into this one…" in Chromium: a dataset of the first
 * ten images of small20 gets all twenty merged in by file name from the
 * grid's toolbar; the jobs panel follows the job to done, its result says ten
 * matched and ten added, and the grid reloads to twenty samples. Its own
 * datasets, so the other tests' counts stay.
 */
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from './fixtures';
import {
  api,
  clickToolbarItem,
  ingestAnew,
  openGrid,
  runEnv
} from './helpers';

const TARGET = 'ui-merge-into';
const SOURCE = 'ui-merge-from';
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

/** small20's first ten images with their boxes, as a COCO file; its path. */
function firstTen(): string {
  const coco = JSON.parse(
    fs.readFileSync(path.join(SMALL, 'instances.json'), 'utf-8')
  );
  const images = coco.images.slice(0, 10);
  const ids = new Set(images.map((im: { id: number }) => im.id));
  const annotations = coco.annotations.filter((a: { image_id: number }) =>
    ids.has(a.image_id)
  );
  const file = path.join(SMALL, 'first10.json');
  fs.writeFileSync(file, JSON.stringify({ ...coco, images, annotations }));
  return file;
}

test.describe('VisionLens merge', () => {
  test('merges another dataset through the toolbar and reloads the grid', async ({
    page,
    request
  }) => {
    const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
    await ingestAnew(request, TARGET, firstTen(), images);
    await ingestAnew(request, SOURCE, path.join(SMALL, 'instances.json'), images);

    const grid = await openGrid(page, TARGET);
    const count = grid
      .locator('.jp-VisionLens-count')
      .or(page.locator('.jp-Toolbar-responsive-popup .jp-VisionLens-count'));
    await expect(count).toHaveText(/ of 10 samples/);
    await clickToolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridShownBar'),
      '.jp-VisionLens-mergeInto'
    );
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(`one of “${TARGET}”`);
    await dialog.locator('.jp-VisionLens-mergeFrom').selectOption(SOURCE);
    await dialog.locator('.jp-VisionLens-mergeKey').selectOption('file_name');
    await dialog.locator('.jp-mod-accept').click();

    const panel = page.locator('#visionlens-jobs');
    await expect(panel).toBeVisible();
    const title = `Merge ${SOURCE} into ${TARGET}`;
    const row = panel.locator('[data-job]').filter({ hasText: title });
    await expect(row).toHaveAttribute('data-status', 'done', {
      timeout: 90000
    });
    const { jobs } = await api(request, 'jobs');
    const job = jobs.find((j: { title: string }) => j.title === title);
    expect(job.result).toMatchObject({ matched: 10, added: 10 });
    await expect(count).toHaveText(/ of 20 samples/); // the grid read it again
  });
});
