/**
 * The evaluation panel opens from its command beside the grid, lists the demo's
 * evaluated model (global-setup.js evaluates it) and is reopened by the layout
 * restorer after a reload. The demo's detector predicts masks and star
 * keypoints (segm and keypoints are offered, a segm evaluation gives a report);
 * its shape classifier has image labels only (a classification evaluation).
 * A COCO report shows TIDE's chart with the stored dAP per error type
 * (screenshots of both themes go to build/screenshots/), and a bar opens the
 * objects of its error type in the grid.
 */
import { expect, test } from './fixtures';

import {
  api,
  command,
  fmt,
  openGrid,
  serverTotal,
  setTheme,
  shot
} from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';
const CLASSIFIER = 'simulated-shape-classifier';

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

  test('offers no Evaluate on a dataset without predictions', async ({
    page
  }) => {
    // `hostile` (global-setup.js) has ground truth only.
    await openGrid(page, 'hostile');
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    const run = panel.locator('.jp-VisionLens-evalRun');
    const status = panel.locator('.jp-VisionLens-evalStatus');
    await expect(run).toBeDisabled();
    await expect(status).toContainText('No predictions to evaluate');
    await expect(status).toContainText('Add as predictions in VisionLens');
    await openGrid(page, DEMO);
    await expect(run).toBeEnabled();
    await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await expect(status).not.toContainText('No predictions');
  });

  test('offers the iou types the model has and shows a segm report', async ({
    page
  }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    await expect(
      panel.locator('select[aria-label="Report"] option').first()
    ).toHaveText(/^simulated-model · COCO bbox @0\.5/);
    const iouType = panel.locator('select[aria-label="IoU type"]');
    await expect(iouType.locator('option')).toHaveText([
      'bbox',
      'segm',
      'keypoints'
    ]);

    await iouType.selectOption('segm');
    await expect(panel.locator('select[aria-label="Protocol"]')).toBeDisabled();
    await expect(panel.locator('input[aria-label="OKS sigmas"]')).toBeHidden();
    await panel.getByRole('button', { name: 'Evaluate' }).click();
    const report = panel.locator('.jp-VisionLens-evalReport').first();
    await expect(report.locator('.jp-VisionLens-evalTitle')).toHaveText(
      /^simulated-model · COCO segm @0\.5/,
      { timeout: 60_000 }
    );
    const ap = report
      .locator('.jp-VisionLens-evalStat', { hasText: /^AP\d/ })
      .first();
    await expect(ap.locator('.jp-VisionLens-evalStatValue')).toHaveText(
      /^0\.\d{3}$/
    );
    await expect(panel.locator('.jp-VisionLens-evalStatus')).toHaveText('');
  });

  test('evaluates the classifier as a classification', async ({ page }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    await panel.locator('select[aria-label="Model"]').selectOption(CLASSIFIER);
    const iouType = panel.locator('select[aria-label="IoU type"]');
    await expect(iouType.locator('option')).toHaveText(['classification']);
    await panel.getByRole('button', { name: 'Evaluate' }).click();
    const view = panel.locator('.jp-VisionLens-evalClassification');
    await expect(view.locator('.jp-VisionLens-evalTitle')).toContainText(
      new RegExp(`^${CLASSIFIER} — classification, [0-9,]+ images`),
      { timeout: 60_000 }
    );
    const accuracy = view.locator('.jp-VisionLens-evalStat', {
      hasText: 'accuracy'
    });
    await expect(accuracy.locator('.jp-VisionLens-evalStatValue')).toHaveText(
      /^0\.\d{3}$/
    );
  });

  test("shows TIDE's dAP per error type as the report stores it", async ({
    page,
    request
  }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    const { evaluations } = await api(request, `datasets/${DEMO}/evaluations`);
    const bbox = evaluations.find(
      (e: { model: string; iou_type: string }) =>
        e.model === MODEL && e.iou_type === 'bbox'
    );
    expect(bbox).toBeTruthy();
    const stored = await api(
      request,
      `datasets/${DEMO}/evaluations/${encodeURIComponent(bbox.key)}`
    );
    const tide = stored.tide;
    expect(tide).toBeTruthy();
    await panel
      .locator('select[aria-label="Report"]')
      .selectOption({ value: bbox.key });
    const chart = panel.locator('.jp-VisionLens-tide');
    await expect(chart).toBeVisible({ timeout: 30_000 });
    const names = ['Cls', 'Loc', 'Both', 'Dupe', 'Bkg', 'Miss'];
    const expected = [
      ...names.map(n => tide.main[n].toFixed(2)),
      tide.special.FalsePos.toFixed(2),
      tide.special.FalseNeg.toFixed(2)
    ];
    await expect(chart.locator('.jp-VisionLens-tideName')).toHaveText([
      ...names,
      'FalsePos',
      'FalseNeg'
    ]);
    await expect(chart.locator('.jp-VisionLens-tideValue')).toHaveText(
      expected
    );
    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await chart.scrollIntoViewIfNeeded();
      await shot(chart, `evaluation-tide-${dark ? 'dark' : 'light'}`);
    }
    await setTheme(page, false);

    // A bar opens its objects: the grid filters to the samples the server
    // finds for that error type.
    expect(tide.objects).toBe(true);
    const most = names.reduce((a, b) =>
      tide.counts[b] > tide.counts[a] ? b : a
    );
    expect(tide.counts[most]).toBeGreaterThan(0);
    await chart
      .locator('.jp-VisionLens-tideRow', {
        has: page.locator('.jp-VisionLens-tideName', { hasText: most })
      })
      .first()
      .click();
    const source = most === 'Miss' ? 'ground_truth' : MODEL;
    const total = await serverTotal(request, DEMO, {
      labels: [{ source, eval: { key: bbox.key, tide: [most] } }]
    });
    expect(total).toBeGreaterThan(0);
    const count = page
      .locator('#visionlens-grid-main .jp-VisionLens-count')
      .or(page.locator('.jp-Toolbar-responsive-popup .jp-VisionLens-count'));
    await expect(count).toContainText(`${fmt(total)} of `);
    await command(page, 'visionlens:clear-filters');
  });
});
