/**
 * Opening datasets from the datasets panel (issue #32, item 3): another
 * dataset opened while the grid's tab is hidden shows its grid from the top;
 * choosing the dataset already open again keeps its filter and sample view.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import { Locator } from '@playwright/test';

import {
  command,
  fmt,
  openGrid,
  openSidebar,
  SAMPLE_IN_TAB,
  serverTotal
} from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';
const BIG = 'big10k';

/** Choose `dataset` by its name in the datasets panel (what a user clicks). */
async function chooseInPanel(
  page: IJupyterLabPageFixture,
  dataset: string
): Promise<void> {
  await command(page, 'visionlens:open-panel');
  const panel = page.locator('#visionlens-datasets');
  await panel
    .locator(
      `.jp-VisionLens-datasetCard[data-dataset="${dataset}"] .jp-VisionLens-datasetName`
    )
    .click();
}

/** The grid's scroller. */
function scroller(grid: Locator): Locator {
  return grid.locator('.jp-VisionLens-gridScroller');
}

/** The position of the first tile wholly in the grid's view (-1: none). */
function firstShown(grid: Locator): Promise<number> {
  return scroller(grid).evaluate(el => {
    const view = el.getBoundingClientRect();
    const shown = [
      ...el.querySelectorAll<HTMLElement>('.jp-VisionLens-tile[data-sample-id]')
    ]
      .filter(tile => {
        const r = tile.getBoundingClientRect();
        return r.height > 0 && r.top >= view.top && r.bottom <= view.bottom;
      })
      .map(tile => Number(tile.dataset.index));
    return shown.length ? Math.min(...shown) : -1;
  });
}

test.describe('Reopening datasets', () => {
  test('a dataset opened while the grid is hidden starts at the top', async ({
    page
  }) => {
    const grid = await openGrid(page, BIG);
    await command(page, 'visionlens:clear-filters');
    await scroller(grid).evaluate(el => (el.scrollTop = 20000));
    await expect.poll(() => firstShown(grid)).toBeGreaterThan(100);

    // the sample view's tab hides the grid's
    const index = await firstShown(grid);
    await grid.locator(`.jp-VisionLens-tile[data-index="${index}"]`).dblclick();
    await expect(page.locator('#visionlens-sample-main')).toBeVisible();
    await expect(grid).toBeHidden();

    await chooseInPanel(page, DEMO);
    await expect(grid).toBeVisible();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(300)} of ${fmt(300)} samples`
    );
    await expect.poll(() => firstShown(grid)).toBe(0);
    expect(await scroller(grid).evaluate(el => el.scrollTop)).toBe(0);
  });

  test('choosing the open dataset again keeps the filter and the sample view', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await openSidebar(page, 'visionlens-filters');
    const value = page
      .locator(
        '#visionlens-filters details[data-facet="label@ground_truth"] .jp-VisionLens-facetValue'
      )
      .first();
    const cls = (await value.getAttribute('data-value')) as string;
    await value.locator('input').check();
    const all = await serverTotal(request, DEMO, {});
    const total = await serverTotal(request, DEMO, {
      labels: [{ source: 'ground_truth', classes: [cls] }]
    });
    expect(total).toBeLessThan(all);
    const count = `${fmt(total)} of ${fmt(all)} samples`;
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(count);

    const tile = grid.locator('.jp-VisionLens-tile[data-index="1"]');
    const name = (await tile.getAttribute('aria-label')) as string;
    await tile.dblclick();
    const view = page.locator('#visionlens-sample-main');
    const position = `2 of ${fmt(total)}`;
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(
      position
    );
    await expect(view.locator('.jp-VisionLens-sampleName')).toHaveText(name);

    await chooseInPanel(page, DEMO);
    await expect(grid).toBeVisible();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(count);
    await expect(value.locator('input')).toBeChecked();
    // the sample view still shows the same sample at the same position (its
    // toolbar may have moved these items into its "…" menu while hidden)
    await expect(view).toHaveCount(1);
    const item = (selector: string) =>
      view
        .locator(selector)
        .or(page.locator(`.jp-Toolbar-responsive-popup ${selector}`));
    await expect(item('.jp-VisionLens-samplePosition')).toHaveText(position);
    await expect(item('.jp-VisionLens-sampleName')).toHaveText(name);
    await command(page, 'visionlens:clear-filters');
  });
});
