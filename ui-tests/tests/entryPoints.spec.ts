/**
 * Where a new user looks for the panels (issue #47, item 7: "Evaluation is
 * reachable only from the command palette; Quality, Duplicates and Blind
 * spots are unlabelled icons"): Evaluation has a launcher card beside the
 * grid's and a labelled button in the grid's toolbar, as the sidebar panels
 * have; every VisionLens sidebar tab shows its name beside its icon.
 */
import { expect, test } from './fixtures';

import { clickToolbarItem, openGrid, shot, toolbarItem } from './helpers';

/** The grid toolbar's buttons to the panels: class, label, the panel's DOM id. */
const BUTTONS: [string, string, string][] = [
  ['.jp-VisionLens-openEvaluation', 'Evaluation', 'visionlens-evaluation-main'],
  ['.jp-VisionLens-openQuality', 'Quality', 'visionlens-quality'],
  ['.jp-VisionLens-openDuplicates', 'Duplicates', 'visionlens-duplicates'],
  ['.jp-VisionLens-openBlindSpots', 'Blind spots', 'visionlens-blindspots']
];

/** The sidebar tabs and the names they show. */
const TABS: [string, string][] = [
  ['visionlens-datasets', 'Datasets'],
  ['visionlens-filters', 'Filters'],
  ['visionlens-jobs', 'Jobs'],
  ['visionlens-duplicates', 'Duplicates'],
  ['visionlens-blindspots', 'Blind Spots'],
  ['visionlens-quality', 'Quality'],
  ['visionlens-selection', 'Selection']
];

test('the launcher has an Evaluation card beside the grid', async ({ page }) => {
  const launcher = page.locator('.jp-Launcher');
  const card = launcher.locator('.jp-LauncherCard', { hasText: 'VisionLens Evaluation' });
  await expect(launcher.locator('.jp-LauncherCard', { hasText: 'VisionLens Grid' })).toBeVisible();
  await expect(card).toBeVisible();
  await card.click();
  await expect(page.locator('#visionlens-evaluation-main')).toBeVisible();
});

test('the grid toolbar opens Evaluation, Quality, Duplicates and Blind spots by name', async ({
  page
}) => {
  const grid = await openGrid(page, 'demo');
  const bar = grid.locator('.jp-VisionLens-gridShownBar');
  for (const [selector, label, id] of BUTTONS) {
    await expect(await toolbarItem(page, bar, selector)).toHaveText(label);
    await clickToolbarItem(page, bar, selector);
    await expect(page.locator(`#${id}`)).toBeVisible();
    await page.keyboard.press('Escape'); // close the "…" menu if it was opened
  }
});

test('every VisionLens sidebar tab shows its name, whole', async ({ page }) => {
  await openGrid(page, 'demo');
  for (const [id, name] of TABS) {
    const tab = page.locator(`.jp-SideBar .lm-TabBar-tab[data-id="${id}"]`);
    const label = tab.locator('.lm-TabBar-tabLabel');
    await expect(label).toHaveText(name);
    await expect(label).toBeVisible();
    // Not cut: the whole label inside its tab, the tab inside its bar.
    const cut = await tab.evaluate(node => {
      const text = node.querySelector('.lm-TabBar-tabLabel') as HTMLElement;
      const own = node.getBoundingClientRect();
      const bar = (node.closest('.lm-TabBar') as HTMLElement).getBoundingClientRect();
      return (
        text.scrollHeight > text.clientHeight + 1 ||
        text.scrollWidth > text.clientWidth + 1 ||
        own.top < bar.top - 0.5 ||
        own.bottom > bar.bottom + 0.5
      );
    });
    expect(cut, id).toBe(false);
    await expect(tab).toHaveAttribute('title', new RegExp(`^VisionLens `));
  }
  await shot(page.locator('.jp-SideBar.jp-mod-right'), 'sidebar-tab-names-right-bar');
  await shot(page.locator('.jp-SideBar.jp-mod-left'), 'sidebar-tab-names-left-bar');
});
