/**
 * The evaluation panel opens from its command beside the grid, lists the demo's
 * evaluated model (global-setup.js evaluates it) and is reopened by the layout
 * restorer after a reload. The demo's ground truth has masks but its simulated
 * model only boxes: a segm evaluation shows the server's error.
 */
import { expect, test } from '@jupyterlab/galata';

import { command, openGrid } from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

test.describe('Evaluation panel', () => {
  test('opens from its command and comes back after a reload', async ({
    page
  }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await expect(
      page.getByRole('tab', { name: 'VisionLens Evaluation' })
    ).toBeVisible();
    await page.waitForTimeout(600); // the layout is saved after a short debounce

    await page.reload({ waitForIsReady: false } as Parameters<
      typeof page.reload
    >[0]);
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const restored = page.locator('#visionlens-evaluation-main');
    await expect(restored.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await expect(page.locator('#visionlens-grid-main')).toBeAttached();
  });

  test('labels evaluations with their iou type and shows why segm cannot run', async ({
    page
  }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    await expect(
      panel.locator('select[aria-label="Report"] option').first()
    ).toHaveText(/^simulated-model · COCO bbox @0\.5/);

    await panel.locator('select[aria-label="IoU type"]').selectOption('segm');
    await expect(panel.locator('select[aria-label="Protocol"]')).toBeDisabled();
    await expect(panel.locator('input[aria-label="OKS sigmas"]')).toBeHidden();
    await panel.getByRole('button', { name: 'Evaluate' }).click();
    await expect(panel.locator('.jp-VisionLens-evalStatus')).toContainText(
      "model 'simulated-model' has no masks"
    );
  });
});
