/**
 * Browsing (issue #16) in a real JupyterLab: the grid's sort control and the
 * view's notebook call, and multi-pick facets in the filter sidebar. Every
 * expected number and id comes from the server's REST answer for the same state.
 */
import { expect, test } from './fixtures';

import { api, command, fmt, openGrid, openSidebar, SAMPLE_IN_TAB, serverTotal } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';

test.describe('Browsing', () => {
  test('sort control orders the grid as the REST page and shows its code', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const code = grid.locator('.jp-VisionLens-viewCode');
    await expect(code.locator('code')).toHaveText(
      `import visionlens_jlab as vl\nvl.dataset('${DEMO}').samples()`
    );
    await grid.locator('.jp-VisionLens-sortField').selectOption('box_count.ground_truth');
    await grid.locator('.jp-VisionLens-sortOrder').click();
    await expect(code.locator('code')).toHaveText(
      `import visionlens_jlab as vl\n` +
        `vl.dataset('${DEMO}').samples(sort='box_count.ground_truth', order='desc')`
    );
    const rest = await api(request, `datasets/${DEMO}/samples/query`, {
      filter: {},
      sort: 'box_count.ground_truth',
      order: 'desc',
      offset: 0,
      limit: 5
    });
    expect(rest.code).toBe(
      `vl.dataset('${DEMO}').samples(sort='box_count.ground_truth', order='desc')`
    );
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    await expect
      .poll(async () =>
        (await tiles.evaluateAll(els => els.map(e => Number((e as HTMLElement).dataset.sampleId)))).slice(0, 5)
      )
      .toEqual(rest.samples.map((s: any) => s.sample_id));
  });

  test('tiles are grid cells the keyboard moves through, selects and opens', async ({
    page
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
    await expect(grid.locator('[role="grid"] [role="row"] [role="gridcell"]').first()).toBeVisible();
    const tile = (i: number) => grid.locator(`.jp-VisionLens-tile[data-index="${i}"]`);
    await tile(0).click();
    await expect(tile(0)).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowRight');
    await expect(tile(1)).toBeFocused();
    await expect(tile(1)).toHaveAttribute('tabindex', '0');
    await page.keyboard.press('Space');
    await expect(tile(1)).toHaveAttribute('aria-selected', 'true');
    await expect(tile(0)).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await expect(tile(1)).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(grid.locator('[aria-selected="true"]')).toHaveCount(0);
    await page.keyboard.press('Enter');
    const view = page.locator('#visionlens-sample-main');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(/^2 of /);
  });

  test('checking one facet value keeps the others with their counts', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const all = await serverTotal(request, DEMO, {});
    const facets = await api(request, `datasets/${DEMO}/facets`);
    const label = facets.facets.find(
      (f: any) => f.name === 'label' && f.source === 'ground_truth'
    );
    const [first, second] = label.values as { value: string; count: number }[];
    await openSidebar(page, 'visionlens-filters');
    const filters = page.locator('#visionlens-filters');
    const facet = filters.locator('details[data-facet="label@ground_truth"]');
    await facet.locator(`.jp-VisionLens-facetValue[data-value="${first.value}"] input`).check();
    const one = { labels: [{ source: 'ground_truth', classes: [first.value] }] };
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(await serverTotal(request, DEMO, one))} of ${fmt(all)} samples`
    );
    // the second class is still listed, with its count over the whole dataset
    const other = facet.locator(`.jp-VisionLens-facetValue[data-value="${second.value}"]`);
    await expect(other.locator('.jp-VisionLens-valueCount')).toHaveText(fmt(second.count));
    await other.locator('input').check();
    const two = { labels: [{ source: 'ground_truth', classes: [first.value, second.value] }] };
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(await serverTotal(request, DEMO, two))} of ${fmt(all)} samples`
    );
    await expect(filters.locator('.jp-VisionLens-filterCode code')).toContainText(
      `samples(filter={'labels': [{'source': 'ground_truth', 'classes': [`
    );
  });
});
