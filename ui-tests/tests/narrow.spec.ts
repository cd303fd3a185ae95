/**
 * Layouts that hold when space is short (#32 item 5): at a 250 px sidebar and
 * a half-width grid the code snippets' Copy buttons are whole and inside their
 * panel, and in the sample view ground-truth and prediction labels do not
 * cover each other and the boxes tables fit the side panel.
 */
import { expect, test } from './fixtures';
import type { Locator } from '@playwright/test';

import { command, openGrid, openSidebar, SAMPLE_IN_TAB } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';

/** The visible Copy buttons under `root` that are cut or stick out of `root`. */
async function cutCopyButtons(root: Locator): Promise<string[]> {
  return root.evaluate(node => {
    const outer = node.getBoundingClientRect();
    const cut: string[] = [];
    for (const copy of node.querySelectorAll<HTMLElement>(
      '.jp-VisionLens-copyCode'
    )) {
      if (copy.offsetParent === null) {
        continue;
      }
      const box = copy.getBoundingClientRect();
      const where = copy.parentElement?.className ?? '';
      if (copy.scrollWidth > copy.clientWidth) {
        cut.push(`${where}: "${copy.textContent}" cut`);
      }
      if (box.right > outer.right + 0.5 || box.left < outer.left - 0.5) {
        cut.push(`${where}: outside its panel`);
      }
    }
    return cut;
  });
}

test.describe('Narrow layouts', () => {
  test('Copy buttons stay whole in a 250 px sidebar and a half-width grid', async ({
    page
  }) => {
    await page.setViewportSize({ width: 1000, height: 800 });
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await openSidebar(page, 'visionlens-filters');
    await page.sidebar.setWidth(250, 'right');
    const filters = page.locator('#visionlens-filters');
    // A filter, so the filters panel shows its notebook call.
    await filters
      .locator(
        'details[data-facet="split"] .jp-VisionLens-facetValue[data-value="val"] input'
      )
      .check();
    await expect(filters.locator('.jp-VisionLens-filterCode')).toBeVisible();
    await expect(grid.locator('.jp-VisionLens-viewCode')).toBeVisible();
    for (const root of [filters, grid]) {
      await expect.poll(() => cutCopyButtons(root)).toEqual([]);
    }
    await command(page, 'visionlens:clear-filters');
  });

  test('the sample view keeps its labels apart and its boxes tables inside', async ({
    page
  }) => {
    await page.setViewportSize({ width: 900, height: 800 });
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await page.sidebar.close('left');
    await page.sidebar.close('right');
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const view = page.locator('#visionlens-sample-main');
    // The demo model predicts most ground-truth boxes: both kinds are drawn.
    await expect(
      view.locator('.jp-VisionLens-box.jp-mod-gt').first()
    ).toBeAttached();
    for (let step = 0; step < 4; step++) {
      await expect(
        view.locator('.jp-VisionLens-box.jp-mod-pred').first()
      ).toBeAttached();
      const overlapping = await view.evaluate(node => {
        const boxes = [...node.querySelectorAll('.jp-VisionLens-boxLabel')].map(
          t => t.getBoundingClientRect()
        );
        const hits: string[] = [];
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const [a, b] = [boxes[i], boxes[j]];
            const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (dx > 1 && dy > 1) {
              hits.push(`${i}/${j}`);
            }
          }
        }
        return { labels: boxes.length, hits };
      });
      expect(overlapping.labels).toBeGreaterThan(1);
      expect(overlapping.hits).toEqual([]);
      await expect(
        view.locator('.jp-VisionLens-boxesTable caption').first()
      ).toHaveText(/^Ground truth \(\d+\)$/);
      const side = view.locator('.jp-VisionLens-sampleSide');
      const fits = await side.evaluate(
        node => node.scrollWidth <= node.clientWidth
      );
      expect(fits).toBe(true);
      await view.locator('.jp-VisionLens-sample').focus();
      await page.keyboard.press('ArrowRight');
    }
  });
});
