/**
 * The selection panel on the demo (its built-in embeddings serve diversity):
 * a small run from the grid's view gives its rows, the same as the stored
 * record's; "Show in grid" filters the grid to the selection's tag (the
 * filters panel's chip names it), a row opens its sample, and "Export…"
 * opens the export dialog on the K chosen samples.
 */
import { expect, test } from './fixtures';

import {
  api,
  command,
  fmt,
  openGrid,
  openSidebar,
  serverTotal
} from './helpers';

const DEMO = 'demo';
const K = 5;

test.describe('Selection', () => {
  test('select K by diversity, show them in the grid, open one', async ({
    page,
    request
  }) => {
    test.setTimeout(240 * 1000);
    const all = await serverTotal(request, DEMO, {});
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:open-selection');
    const panel = await openSidebar(page, 'visionlens-selection');
    await expect(panel.locator('.jp-VisionLens-selFrom')).toContainText(
      'the whole dataset'
    );

    // a tag of this run's own, so that a rerun of the spec counts only its own
    const tag = `ui-next-${Date.now()}`;
    await panel.locator('input[aria-label="K"]').fill(String(K));
    for (const box of await panel
      .locator('.jp-VisionLens-selStrategies input[type="checkbox"]')
      .all()) {
      await box.setChecked(
        (await box.getAttribute('data-strategy')) === 'diversity'
      );
    }
    await panel.locator('input[aria-label="Tag"]').fill(tag);
    await panel.locator('.jp-VisionLens-selRun').click();

    const detail = panel.locator('.jp-VisionLens-selDetail');
    const rows = detail.locator('.jp-VisionLens-selRow');
    await expect(rows).toHaveCount(K, { timeout: 180 * 1000 });
    await expect(panel.locator('.jp-VisionLens-selRun')).toBeEnabled();

    // the rows are the stored record's, in rank order
    const { selections } = await api(request, `datasets/${DEMO}/selections`);
    const stored = selections.find((s: any) => s.tag === tag);
    expect(stored).toBeTruthy();
    const record = await api(
      request,
      `datasets/${DEMO}/selections/${stored.id}`
    );
    const ids = record.rows.map((r: any) => String(r.sample_id));
    expect(ids).toHaveLength(K);
    expect(
      await rows.evaluateAll(trs =>
        trs.map(tr => (tr as HTMLElement).dataset.sampleId)
      )
    ).toEqual(ids);
    await expect(detail.locator('.jp-VisionLens-selSettings')).toContainText(
      tag
    );
    await expect(
      panel.locator(`.jp-VisionLens-selItem[data-id="${stored.id}"]`)
    ).toHaveClass(/jp-mod-active/);
    await expect(
      rows.first().locator('.jp-VisionLens-selBarPart[data-strategy="diversity"]')
    ).toHaveCount(1);

    // "Show in grid": the grid shows the K chosen, the filter's chip names the tag
    await detail.locator('.jp-VisionLens-selShowGrid').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(K)} of ${fmt(all)} samples`
    );
    const filters = await openSidebar(page, 'visionlens-filters');
    await expect(
      filters.locator('.jp-VisionLens-chip', { hasText: tag })
    ).toHaveCount(1);

    // a row opens its sample
    await openSidebar(page, 'visionlens-selection');
    await rows.nth(1).click();
    const overlay = grid.locator('#visionlens-sample-overlay');
    await expect(overlay).toBeVisible();
    await page.keyboard.press('Escape');

    // "Export…" takes the chosen samples directly, as the model's selection
    await detail.locator('.jp-VisionLens-selExport').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(
      `the ${fmt(K)} selected samples of “${DEMO}”`
    );
    await dialog.locator('.jp-mod-reject').click();
    await command(page, 'visionlens:clear-selection');
  });
});
