/**
 * Export in Chromium: "Export…" in the grid toolbar exports the selection as
 * COCO into a folder under the server's root; the jobs panel follows the job
 * to done and the files are there, as pycocotools-shaped JSON.
 */
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import { api, command, openGrid, runEnv, toolbarItem } from './helpers';

const DEMO = 'demo';
const ROOT = runEnv('JUPYTERLAB_GALATA_ROOT_DIR');

test.describe('VisionLens export', () => {
  test('Export… writes the selected samples as COCO through a job', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
    const tile = (i: number) => grid.locator(`.jp-VisionLens-tile[data-index="${i}"]`);
    await tile(0).click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect(grid.locator('[aria-selected="true"]')).toHaveCount(2);
    const ids = (
      await grid.locator('[aria-selected="true"]').evaluateAll(els =>
        els.map(el => Number((el as HTMLElement).dataset.sampleId))
      )
    ).sort((a, b) => a - b);

    const button = await toolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridShownBar'),
      '.jp-VisionLens-exportView'
    );
    await button.click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(`the 2 selected samples of “${DEMO}”`);
    // the demo has no videos: the formats that write videos are not offered
    const formats = await dialog
      .locator('.jp-VisionLens-exportFormat option')
      .evaluateAll(els => els.map(el => (el as HTMLOptionElement).value));
    expect(formats).toContain('coco');
    expect(formats).not.toContain('mot');
    expect(formats).not.toContain('cvat-video');
    const out = `ui-exports/demo-coco-${Date.now()}`;
    await dialog.locator('.jp-VisionLens-exportOut').fill(out);
    await expect(dialog.locator('.jp-VisionLens-exportMinScore')).toBeDisabled();
    await dialog.locator('.jp-mod-accept').click();

    const panel = page.locator('#visionlens-jobs');
    await expect(panel).toBeVisible();
    const title = `Export ${DEMO} as COCO to ${path.basename(out)}`;
    const row = panel.locator('[data-job]').filter({ hasText: title });
    await expect(row).toHaveAttribute('data-status', 'done', { timeout: 90000 });

    const { jobs } = await api(request, 'jobs');
    const job = jobs.find((j: { title: string }) => j.title === title);
    expect(job.result).toMatchObject({
      out: path.join(ROOT, out),
      format: 'coco',
      samples: 2,
      files: 3
    });
    const labels = JSON.parse(
      fs.readFileSync(path.join(ROOT, out, 'labels.json'), 'utf-8')
    );
    expect(labels.images).toHaveLength(2);
    expect(labels.annotations).toHaveLength(job.result.annotations);
    for (const image of labels.images) {
      expect(fs.existsSync(path.join(ROOT, out, 'data', image.file_name))).toBe(true);
    }
    // the samples written are the two selected ones
    const samples = await Promise.all(
      ids.map(id => api(request, `datasets/${DEMO}/samples/${id}`))
    );
    expect(labels.images.map((im: { file_name: string }) => path.basename(im.file_name)).sort()).toEqual(
      samples.map((s: { file_name: string }) => path.basename(s.file_name)).sort()
    );
    await command(page, 'visionlens:clear-selection');
  });
});
