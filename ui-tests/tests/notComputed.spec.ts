/**
 * Results not computed yet are not errors (issue #47 item 10): the panels ask
 * for the last duplicates and blind-spot results of a dataset on which neither
 * ran, and the server answers "nothing yet" without a 4xx that the browser's
 * console prints as a failed request. The `visual` dataset (global-setup.js) is
 * evaluated and quality-measured, and nothing else computes on it.
 */
import { expect, test } from './fixtures';

import { apiStatus, command, openGrid } from './helpers';

const DATASET = 'visual';
const MODEL = 'simulated-model';

test.use({ autoGoto: true });

test('panels on a dataset with nothing computed yet make no failed requests', async ({
  page,
  request
}) => {
  const failed: string[] = [];
  page.on('response', response => {
    if (response.url().includes('/visionlens/api/') && response.status() >= 400) {
      failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
    }
  });
  const consoleErrors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      consoleErrors.push(message.text());
    }
  });

  await openGrid(page, DATASET);
  await command(page, 'visionlens:open-duplicates');
  const duplicates = page.locator('#visionlens-duplicates');
  await expect(duplicates.locator('.jp-VisionLens-runDuplicates')).toBeEnabled();
  await command(page, 'visionlens:open-blindspots');
  const blindSpots = page.locator('#visionlens-blindspots');
  await expect(blindSpots.locator('select[aria-label="Model"]')).toHaveValue(MODEL);
  // The panel has asked for the model's last result by now: the request is settled.
  await page.waitForLoadState('networkidle');

  // Neither result exists: the server says so with an empty answer.
  expect(await apiStatus(request, `datasets/${DATASET}/blindspots?model=${MODEL}`)).toBe(204);
  expect(await apiStatus(request, `datasets/${DATASET}/duplicates`)).toBe(204);
  // ...and an unknown dataset is still an error.
  expect(await apiStatus(request, 'datasets/no-such/duplicates')).toBe(404);

  expect(failed).toEqual([]);
  expect(consoleErrors.filter(text => /\b404\b/.test(text))).toEqual([]);
  // The panels read the empty answers as "not run yet", not as a failure.
  await expect(blindSpots.locator('.jp-VisionLens-bsCard')).toHaveCount(0);
  await expect(duplicates.locator('.jp-VisionLens-dupGroup')).toHaveCount(0);
});
