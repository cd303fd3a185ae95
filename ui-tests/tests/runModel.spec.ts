/**
 * "Run a model…" in Chromium against the real server: the dialog opened from
 * the jobs panel's header runs a random torchvision Faster R-CNN (the
 * checkpoint the Python tests build) on a dataset as a predict job; the jobs
 * panel follows it to done and the dataset gains its prediction set. A form
 * without a model is refused with what to fix, and nothing starts.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { expect, test } from './fixtures';
import { api, command, ingestAnew, runEnv } from './helpers';

const NAME = 'ui-run-model';
const SOURCES = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources');
const SMALL = path.join(SOURCES, 'small20');
const WEIGHTS = path.join(SOURCES, 'faster-random', 'faster.pth');
const REPO = path.resolve(__dirname, '..', '..');
const CLASSES = 'potted plant, sofa, zebra';

/** The random Faster R-CNN of the Python tests, saved once per run. */
function writeWeights(): void {
  if (fs.existsSync(WEIGHTS)) {
    return;
  }
  execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
    '-c',
    'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
      'from tests.test_accelerator import save_spread_faster\n' +
      'save_spread_faster(Path(sys.argv[2]))',
    REPO,
    WEIGHTS
  ]);
}

test('run a detector on a dataset from the jobs panel', async ({
  page,
  request
}) => {
  test.setTimeout(240000);
  writeWeights();
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
  await ingestAnew(request, NAME, path.join(SMALL, 'instances.json'), images);
  await command(page, 'visionlens:open-grid', { dataset: NAME });
  await command(page, 'visionlens:open-jobs');
  const panel = page.locator('#visionlens-jobs');
  await panel.locator('.jp-VisionLens-runModel').click();

  const dialog = page.locator('.jp-Dialog');
  const form = dialog.locator('.jp-VisionLens-predictForm');
  await expect(form).toBeVisible();
  // no model: refused with what to type, and no job starts
  await dialog.locator('.jp-mod-accept').click();
  const error = page.locator('.jp-Dialog', { hasText: 'Name the model' });
  await expect(error).toBeVisible();
  await error.locator('.jp-Dialog-button').last().click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  await panel.locator('.jp-VisionLens-runModel').click();
  await expect(form).toBeVisible();
  await form.locator('.jp-VisionLens-predictTask').selectOption('detect');
  await form
    .locator('.jp-VisionLens-predictModel')
    .fill(`torchvision:fasterrcnn_mobilenet_v3_large_320_fpn=${WEIGHTS}`);
  await form.locator('.jp-VisionLens-predictName').fill('ui-faster');
  await form.locator('.jp-VisionLens-predictClasses').fill(CLASSES);
  await form.locator('.jp-VisionLens-predictMinScore').fill('0.5');
  await form.locator('.jp-VisionLens-predictDevice').selectOption('cpu');
  await form.locator('.jp-VisionLens-predictScope').selectOption('all');
  await dialog.locator('.jp-mod-accept').click();

  const row = panel.locator('.jp-VisionLens-jobRow', {
    hasText: `Detect ${NAME} with`
  });
  await expect(row).toHaveAttribute('data-status', 'done', {
    timeout: 180000
  });
  const detail = await api(request, `datasets/${NAME}`);
  const models = detail.models as { name: string }[];
  expect(models.map(m => m.name)).toContain('ui-faster');
});
