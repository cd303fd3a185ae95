/**
 * A selection made elsewhere is brought into view (issue #47 item 3): a lasso
 * on the map scrolls the grid to its first sample in the grid's order, says
 * how many selected samples the filter hides (with the action showing them),
 * and brings the grid in front of the Patches view; selecting in the grid
 * itself never moves it. Every expected id and count is the server's answer
 * for the same shapes. Data: the 300-image demo with vectors (map_test_data.py).
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import { expect, test } from './fixtures';

import { api, command, fmt, openGrid, serverTotal } from './helpers';
import { lasso, openMap, serverIds, Shape } from './mapHelpers';

const DEMO = 'demo';

const SMALL: Shape = [
  [0.3, 0.3],
  [0.5, 0.3],
  [0.5, 0.5],
  [0.3, 0.5]
];
const LARGE: Shape = [
  [0.1, 0.1],
  [0.9, 0.1],
  [0.9, 0.9],
  [0.1, 0.9]
];
const CLUSTER: Shape = [
  [0.2, 0.2],
  [0.6, 0.15],
  [0.55, 0.5],
  [0.75, 0.8],
  [0.25, 0.7]
];

/** Draw a lasso through `fractions` of the map; answers the server's ids for it once the map
 * says how many it selected. */
async function select(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  map: Locator,
  fractions: Shape
): Promise<number[]> {
  await lasso(page, map, fractions);
  const ids = await serverIds(request, map, DEMO);
  await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(`${fmt(ids.length)} selected`);
  return ids;
}

/** Whether the grid shows the tile of `id` whole inside its scroller. */
async function tileInView(grid: Locator, id: number): Promise<boolean> {
  return grid.locator('.jp-VisionLens-gridScroller').evaluate((scroller, sampleId) => {
    const view = scroller.getBoundingClientRect();
    const tiles = scroller.querySelectorAll(`.jp-VisionLens-tile[data-sample-id="${sampleId}"]`);
    return [...tiles].some(tile => {
      if ((tile.parentElement as HTMLElement).style.display === 'none') {
        return false; // a row kept for reuse
      }
      const box = tile.getBoundingClientRect();
      return box.height > 0 && box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
    });
  }, id);
}

/** The grid's scroll position. */
function scrollTop(grid: Locator): Promise<number> {
  return grid.locator('.jp-VisionLens-gridScroller').evaluate(el => el.scrollTop);
}

/** Scroll the grid to `top` (px; past the end: the bottom) and wait for its tiles there. */
async function scrollGrid(grid: Locator, top: number): Promise<void> {
  await grid.locator('.jp-VisionLens-gridScroller').evaluate((el, y) => {
    el.scrollTop = Math.min(y, el.scrollHeight);
  }, top);
  await expect
    .poll(() =>
      grid
        .locator('.jp-VisionLens-gridScroller')
        .evaluate(el => el.querySelectorAll('.jp-VisionLens-tile.jp-mod-loading').length)
    )
    .toBe(0);
}

/** Where the server puts the first of `ids` in the unsorted view of `filter`. */
function position(request: any, ids: number[], filter: object = {}): Promise<any> {
  return api(request, `datasets/${DEMO}/position`, { filter, ids });
}

test.describe('A selection made elsewhere is brought into view', () => {
  test.beforeEach(async ({ page }) => {
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
  });

  test('a lasso on the map scrolls the grid to its first selected sample', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    const total = await serverTotal(request, DEMO, {});
    await scrollGrid(grid, 1e9); // the grid at its last samples
    const ids = await select(page, request, map, CLUSTER);
    expect(ids.length).toBeGreaterThan(0);
    const first = await position(request, ids);
    expect(first.shown).toBe(ids.length);
    expect(first.hidden).toBe(0);
    // The cluster starts far above the last rows: a grid left there shows none of it.
    expect(first.index).toBeLessThan(total - 60);
    await expect.poll(() => tileInView(grid, first.sample_id)).toBe(true);
    await expect(
      grid.locator(`.jp-VisionLens-tile[data-sample-id="${first.sample_id}"]`)
    ).toHaveAttribute('aria-selected', 'true');
    await expect(grid.locator('.jp-VisionLens-revealNote')).toBeHidden();
  });

  test('a selection partly outside the filter says how many it hides, and shows them', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    const small = await select(page, request, map, SMALL);
    expect(small.length).toBeGreaterThan(0);
    await command(page, 'visionlens:show-selected');
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      new RegExp(`^${fmt(small.length)} of`)
    );
    // Dimmed, the points outside the filter can be lassoed.
    await map.locator('.jp-VisionLens-mapFilterMode').selectOption('dim');
    const large = await select(page, request, map, LARGE);
    const inFilter = new Set(small);
    const hidden = large.filter(id => !inFilter.has(id)).length;
    const shown = large.length - hidden;
    expect(hidden).toBeGreaterThan(0);
    expect(shown).toBeGreaterThan(0);
    const answer = await position(request, large, { ids: small });
    expect([answer.shown, answer.hidden]).toEqual([shown, hidden]);
    const note = grid.locator('.jp-VisionLens-revealNote');
    await expect(note).toHaveText(
      new RegExp(`^${hidden} of the ${large.length} selected samples (is|are) hidden by the current filter\\.`)
    );
    await expect.poll(() => tileInView(grid, answer.sample_id)).toBe(true);

    await note.locator('.jp-VisionLens-revealShow').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      new RegExp(`^${fmt(large.length)} of`)
    );
    await expect(note).toBeHidden();
    await map.locator('.jp-VisionLens-mapFilterMode').selectOption('hide');
  });

  test('a lasso while the Patches view is in front brings the grid in front', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await page.evaluate(() =>
      (window as any).jupyterapp.shell.activateById('visionlens-grid-main')
    );
    await command(page, 'visionlens:open-patches');
    const patches = page.locator('#visionlens-patches-main');
    await expect(patches).toBeVisible();
    await expect(grid).toBeHidden();

    const ids = await select(page, request, map, CLUSTER);
    const first = await position(request, ids);
    await expect(grid).toBeVisible();
    await expect(patches).toBeHidden();
    await expect.poll(() => tileInView(grid, first.sample_id)).toBe(true);
    // brought in front, not activated: the map keeps the focus
    expect(
      await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget?.id)
    ).toBe('visionlens-map-main');
  });

  test('selecting in the grid itself never scrolls it', async ({ page }) => {
    const grid = await openGrid(page, DEMO);
    const tile = (i: number) => grid.locator(`.jp-VisionLens-tile[data-index="${i}"]`);
    await tile(0).click();
    // The selected tile scrolled out of view: a later click must not go back to it.
    const rowHeight = await tile(0).evaluate(el => el.getBoundingClientRect().height);
    await scrollGrid(grid, rowHeight * 4);
    const top = await scrollTop(grid);
    expect(top).toBeGreaterThan(0);
    const visible = await grid
      .locator('.jp-VisionLens-tile[data-sample-id]')
      .evaluateAll(els =>
        els
          .filter(el => {
            const box = el.getBoundingClientRect();
            const view = el.closest('.jp-VisionLens-gridScroller')!.getBoundingClientRect();
            return box.height > 0 && box.top >= view.top && box.bottom <= view.bottom;
          })
          .map(el => Number((el as HTMLElement).dataset.index))
      );
    expect(visible.length).toBeGreaterThan(2);
    await tile(visible[0]).click({ modifiers: ['Control'] });
    await tile(visible[1]).click({ modifiers: ['Shift'] });
    await page.keyboard.press('Space');
    await page.waitForTimeout(500); // a scroll would happen at the next frames
    expect(await scrollTop(grid)).toBe(top);
    await expect(tile(visible[0])).toHaveAttribute('aria-selected', 'true');
  });
});
