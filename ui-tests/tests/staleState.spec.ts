/**
 * Panels follow work done elsewhere (issue #32, item 3): an ingest, a
 * prediction import and an evaluation started through the REST API, as the
 * CLI and notebooks do, reach the open panels through the server's job events,
 * with no Refresh and nothing re-opened.
 */
import { expect, test } from './fixtures';
import * as path from 'path';

import { api, command, runEnv } from './helpers';

const DATA_DIR = runEnv('VISIONLENS_DATA_DIR');
const BASE = runEnv('TARGET_URL');
const DEMO_SOURCES = path.join(DATA_DIR, 'demo-sources', 'demo');
const NAME = 'ui-elsewhere';
const MODEL = 'elsewhere-model';

test.describe('State made elsewhere', () => {
  test('datasets, evaluation and blind-spots panels follow jobs they did not start', async ({
    page,
    request
  }) => {
    test.setTimeout(180 * 1000);
    await request.delete(`${BASE}/visionlens/api/datasets/${NAME}`);
    await command(page, 'visionlens:open-panel');
    const datasets = page.locator('#visionlens-datasets');
    await expect(datasets).toBeVisible();
    const card = datasets.locator('.jp-VisionLens-datasetCard', {
      has: page.locator('.jp-VisionLens-datasetName', { hasText: NAME })
    });
    await expect(card).toHaveCount(0);

    // an ingest the panel did not start shows up without Refresh
    await api(request, 'datasets', {
      source: path.join(DEMO_SOURCES, 'annotations.json'),
      name: NAME,
      format: 'coco',
      images: path.join(DEMO_SOURCES, 'images')
    });
    await expect(card).toHaveCount(1, { timeout: 60000 });

    // the evaluation panel, opened before the dataset, drops "Open a dataset first."
    await command(page, 'visionlens:open-evaluation');
    const evaluation = page.locator('#visionlens-evaluation');
    await expect(evaluation).toContainText('Open a dataset first.');
    await command(page, 'visionlens:open-grid', { dataset: NAME });
    // ... for what this dataset lacks (it has no predictions yet)
    const status = evaluation.locator('.jp-VisionLens-evalStatus');
    await expect(status).toHaveText(/^No predictions to evaluate/);

    await command(page, 'visionlens:open-blindspots');
    const blindSpots = page.locator('#visionlens-blindspots');
    await expect(blindSpots).toContainText('No evaluated model');

    // predictions imported elsewhere: the dataset card lists the model
    const imported = await api(request, `datasets/${NAME}/predictions`, {
      source: path.join(DEMO_SOURCES, 'predictions.json'),
      model: MODEL
    });
    await expect(card).toContainText(MODEL, { timeout: 60000 });
    // ... and the evaluation panel offers to evaluate them
    await expect(status).toHaveText('');
    await expect(evaluation.locator('.jp-VisionLens-evalRun')).toBeEnabled();

    // an evaluation run elsewhere: the blind-spots panel offers its model,
    // the evaluation panel lists its report
    expect(imported.job.id).toBeTruthy();
    await api(request, `datasets/${NAME}/evaluations`, { model: MODEL });
    await expect(
      blindSpots.locator('select[aria-label="Model"]')
    ).toHaveValue(MODEL, { timeout: 60000 });
    await expect(blindSpots).not.toContainText('No evaluated model');
    await expect(
      evaluation.locator('select[aria-label="Report"] option', {
        hasText: MODEL
      })
    ).not.toHaveCount(0);

    await request.delete(`${BASE}/visionlens/api/datasets/${NAME}`);
  });
});
