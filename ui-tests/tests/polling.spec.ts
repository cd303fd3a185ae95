/**
 * Polling only while needed (issue #15): a lab with the VisionLens panels open
 * but hidden, and no job running, sends the server no VisionLens request (a
 * hub culls idle servers by their proxied traffic); showing the jobs panel
 * again refreshes it at once.
 */
import { expect, test } from './fixtures';

import { command } from './helpers';

const QUIET_MS = 20000;

test('an idle lab with hidden panels makes no VisionLens requests', async ({ page }) => {
  await command(page, 'visionlens:open-panel');
  await expect(page.locator('#visionlens-datasets')).toBeVisible();
  await command(page, 'visionlens:open-filters');
  await command(page, 'visionlens:open-jobs');
  const jobs = page.locator('#visionlens-jobs');
  await expect(jobs).toBeVisible();
  await expect(jobs.locator('.jp-VisionLens-empty, .jp-VisionLens-jobRow').first()).toBeVisible();

  // Hide both side areas: the panels stay open (attached) but are not shown.
  await command(page, 'application:toggle-left-area');
  await command(page, 'application:toggle-right-area');
  await expect(jobs).toBeHidden();
  await expect(page.locator('#visionlens-datasets')).toBeHidden();
  // Let requests already in flight (and their follow-ups) settle first.
  await page.waitForTimeout(2000);

  const requests: string[] = [];
  const count = (request: { url(): string }) => {
    if (new URL(request.url()).pathname.includes('/visionlens/api/')) {
      requests.push(request.url());
    }
  };
  page.on('request', count);
  expect(await page.evaluate(() => document.visibilityState)).toBe('visible');
  await page.waitForTimeout(QUIET_MS);
  expect(requests).toEqual([]);

  // Showing the jobs panel again asks for the list at once.
  await command(page, 'application:toggle-right-area');
  await command(page, 'visionlens:open-jobs');
  await expect(jobs).toBeVisible();
  await expect.poll(() => requests.some(url => url.includes('/visionlens/api/jobs'))).toBe(true);
  page.off('request', count);
});
