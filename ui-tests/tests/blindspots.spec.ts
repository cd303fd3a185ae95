/**
 * The blind-spots panel on the demo (global-setup.js evaluates its simulated
 * model): a run gives finding cards, "Show in grid" filters the grid to the
 * finding's slice, and a verdict survives a reload.
 */
import { expect, test } from './fixtures';

import { api, command, fmt, openGrid, serverTotal , runBlindSpots } from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

test.describe('Blind spots', () => {
  test('run, show in grid, confirm across a reload', async ({
    page,
    request
  }) => {
    test.setTimeout(300 * 1000);
    const all = await serverTotal(request, DEMO, {});
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-blindspots');
    const panel = page.locator('#visionlens-blindspots');
    await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );

    // the demo has built-in embeddings: cluster them, so slices by cluster are tested too
    const { spaces } = await api(request, `datasets/${DEMO}/spaces`);
    const space = spaces.find((s: any) => s.count > 0).space;
    await panel
      .locator('select[aria-label="Cluster space"]')
      .selectOption(space);

    const cards = await runBlindSpots(panel);

    // every number on the cards is the stored result's
    const result = await api(
      request,
      `datasets/${DEMO}/blindspots?model=${MODEL}`
    );
    expect(result.findings.length).toBeGreaterThan(0);
    await expect(cards).toHaveCount(result.findings.length);
    const rejected = result.tests.filter(
      (t: any) => t.outcome === 'rejected'
    ).length;
    // the counts come with what they count
    const tested = panel.locator('.jp-VisionLens-bsTested');
    await expect(tested).toContainText(
      `${fmt(result.tested)} slice tests (a metric on a slice of the images, against the rest)`
    );
    await expect(tested).toContainText(
      `${fmt(result.findings.length)} blind spot${result.findings.length === 1 ? '' : 's'} found`
    );
    await expect(tested).toContainText(
      `${fmt(rejected)} rejected: no significant gap, or not confirmed on the held-out half`
    );
    expect(
      result.tests.some((t: any) =>
        t.slice.includes('computed.embedding_cluster = c')
      )
    ).toBe(true);
    const finding = result.findings[0];
    const card = panel.locator(
      `.jp-VisionLens-bsCard[data-finding="${finding.id}"]`
    );
    await expect(card.locator('.jp-VisionLens-bsClaim')).toHaveText(
      finding.summary
    );
    await expect(card.locator('.jp-VisionLens-codeText')).toContainText(
      finding.python
    );

    // "Show in grid": the grid shows exactly the finding's slice
    const expected = await serverTotal(request, DEMO, finding.filter);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(all);
    await card.locator('.jp-VisionLens-bsShow').click();
    const grid = page.locator('#visionlens-grid-main');
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expected)} of ${fmt(all)} samples`
    );

    // a verdict is stored and shown again after a reload
    await card.locator('.jp-VisionLens-bsConfirm').click();
    await expect(card).toHaveAttribute('data-review', 'confirmed');
    // the restored layout shows the grid, not the Launcher galata waits for
    await page.reload({ waitForIsReady: false } as Parameters<
      typeof page.reload
    >[0]);
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    await command(page, 'visionlens:open-blindspots');
    const again = page.locator(
      `#visionlens-blindspots .jp-VisionLens-bsCard[data-finding="${finding.id}"]`
    );
    await expect(again).toHaveAttribute('data-review', 'confirmed');
    await expect(again.locator('.jp-VisionLens-bsVerdict')).toHaveText(
      'confirmed'
    );
    const stored = await api(
      request,
      `datasets/${DEMO}/blindspots?model=${MODEL}`
    );
    expect(stored.findings.find((f: any) => f.id === finding.id).review).toBe(
      'confirmed'
    );
  });
});
