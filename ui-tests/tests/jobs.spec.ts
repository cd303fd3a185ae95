/**
 * The jobs panel in Chromium: a job started elsewhere (REST, like the CLI or
 * a notebook would) appears with its state; Cancel stops a running one.
 */
import { expect, test } from './fixtures';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { api, command, runEnv } from './helpers';

const DATA_DIR = runEnv('VISIONLENS_DATA_DIR');
const BASE = runEnv('TARGET_URL');

test.describe('VisionLens jobs', () => {
  test('the jobs panel follows a job to done and cancels a running one', async ({
    page,
    request
  }) => {
    await command(page, 'visionlens:open-jobs');
    const panel = page.locator('#visionlens-jobs');
    await expect(panel).toBeVisible();

    const name = 'ui-jobs';
    await request.delete(`${BASE}/visionlens/api/datasets/${name}`);
    const dir = path.join(DATA_DIR, 'ui-sources', 'small20');
    const images = fs.readFileSync(path.join(dir, 'IMAGES'), 'utf-8');
    const { job } = await api(request, 'datasets', {
      source: path.join(dir, 'instances.json'),
      name,
      format: 'coco',
      images
    });
    const row = panel.locator(`[data-job="${job.id}"]`);
    await expect(row).toHaveAttribute('data-status', 'done', { timeout: 60000 });
    await expect(row.locator('.jp-VisionLens-jobTitle')).toHaveText(`Ingest ${name}`);
    await expect(row.locator('.jp-VisionLens-jobCancel')).toHaveCount(0);
    // jobs.css is loaded (style/index.js once forgot it): a row is a bordered,
    // rounded column, not the bare block an unstyled div would be
    // (asserted with retries: the panel redraws its rows on every job event,
    // and a row replaced under a one-shot read has no computed style at all)
    await expect(row).toHaveCSS('display', 'flex');
    await expect(row).toHaveCSS('flex-direction', 'column');
    await expect(row).toHaveCSS('border-top-left-radius', '4px');
    await expect(row).toHaveCSS('border-top-style', 'solid');
    await expect(panel).toHaveCSS('display', 'flex');

    // A FIFO nobody writes to keeps an ingest running until it is cancelled.
    const fifo = path.join(DATA_DIR, 'ui-sources', 'jobs-blocked.json');
    fs.rmSync(fifo, { force: true });
    execFileSync('mkfifo', [fifo]);
    const blocked = (
      await api(request, 'datasets', { source: fifo, name: 'ui-blocked', format: 'coco' })
    ).job;
    const running = panel.locator(`[data-job="${blocked.id}"]`);
    await expect(running).toHaveAttribute('data-status', 'running', { timeout: 60000 });
    await running.locator('.jp-VisionLens-jobCancel').click();
    try {
      // The parser is blocked in open(): give it its end of file.
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // the worker is gone already
    }
    await expect(running).toHaveAttribute('data-status', 'cancelled', { timeout: 30000 });
    await expect(running.locator('.jp-VisionLens-jobCancel')).toHaveCount(0);
    await request.delete(`${BASE}/visionlens/api/datasets/${name}`);
  });

  test('a failed job shows the start of its error, the rest under Details', async ({
    page,
    request
  }) => {
    await command(page, 'visionlens:open-jobs');
    const panel = page.locator('#visionlens-jobs');
    // nothing usable in it: the error names every problem, with examples (~380 characters)
    const source = path.join(DATA_DIR, 'ui-sources', 'jobs-unusable.json');
    fs.writeFileSync(
      source,
      JSON.stringify({
        images: [],
        annotations: [
          { id: 1, image_id: 99, category_id: 7, bbox: [0, 0, 1, 1] },
          { id: 2, image_id: 98, category_id: 1, bbox: [0, 0, 1, 1] },
          { id: 3, image_id: 97, category_id: 1 }
        ],
        categories: [{ id: 1, name: 'cat' }]
      })
    );
    const { job } = await api(request, 'datasets', {
      source,
      name: 'ui-unusable',
      format: 'coco'
    });
    const row = panel.locator(`[data-job="${job.id}"]`);
    await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 60000 });
    const error: string = (await api(request, `jobs/${job.id}`)).error;
    expect(error.length).toBeGreaterThan(300);
    const headline = (await row.locator('.jp-VisionLens-jobProgress').textContent()) ?? '';
    expect(headline.startsWith('nothing usable could be read from')).toBe(true);
    expect(headline.endsWith(' …')).toBe(true);
    expect(headline.length).toBeLessThanOrEqual(142);
    const details = row.locator('.jp-VisionLens-jobError');
    await expect(details.locator('pre')).toBeHidden();
    await details.locator('summary').click();
    await expect(details.locator('pre')).toHaveText(error);
    // a redraw (the next job event) keeps it open
    const next = (await api(request, 'datasets', { source, name: 'ui-unusable-2', format: 'coco' }))
      .job;
    await expect(panel.locator(`[data-job="${next.id}"]`)).toHaveAttribute('data-status', 'failed', {
      timeout: 60000
    });
    await expect(row.locator('.jp-VisionLens-jobError pre')).toBeVisible();
  });
});
