/**
 * What a FiftyOne user reaches for (#32 item 7): tiles draw only the labels
 * that match the filter (a toggle brings every label back), and the
 * selection becomes the view ("Show only selected", undone by Undo).
 */
import { expect, test } from './fixtures';

import { api, clickToolbarItem, command, fmt, openGrid, openUnfiltered, SAMPLE_IN_TAB, serverTotal, toolbarItem } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';

test.describe('Views', () => {
  test('tiles draw only the labels that match the filter', async ({ page, request }) => {
    const { grid, filters } = await openUnfiltered(page, DEMO);
    const classes = filters.locator(
      'details[data-facet="label@ground_truth"] .jp-VisionLens-facetValue'
    );
    const cls = (await classes.first().getAttribute('data-value')) as string;
    await classes.first().locator('input').check();
    const filter = { labels: [{ source: 'ground_truth', classes: [cls] }] };
    const total = await serverTotal(request, DEMO, filter);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      new RegExp(`^${fmt(total)} of `)
    );
    const tile = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const id = Number(await tile.getAttribute('data-sample-id'));
    const found = await api(request, `datasets/${DEMO}/samples/query`, {
      filter,
      offset: 0,
      limit: 50
    });
    const sample = found.samples.find((s: any) => s.sample_id === id);
    const objects: any[] = sample.annotations;
    // The page says which objects match: exactly the ground-truth boxes of the class.
    expect(objects.filter(a => a.match).length).toBe(
      objects.filter(a => a.source === 'ground_truth' && a.label === cls).length
    );
    const threshold = Number(
      await (
        await toolbarItem(page, grid.locator('.jp-VisionLens-gridTagBar'), '.jp-VisionLens-confidence')
      ).inputValue()
    );
    await page.keyboard.press('Escape');
    const visible = objects.filter(
      a => a.source === 'ground_truth' || a.score === null || a.score >= threshold
    );
    const boxes = tile.locator('.jp-VisionLens-box');
    await expect(boxes).toHaveCount(visible.filter(a => a.match).length);
    expect(visible.length).toBeGreaterThan(visible.filter(a => a.match).length);

    // "Matching only" off: every label of the sample again.
    const only = await toolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridTagBar'),
      '.jp-VisionLens-onlyMatching input'
    );
    await expect(only).toBeChecked();
    await only.uncheck();
    await expect(boxes).toHaveCount(visible.length);
    await only.check();
    await expect(boxes).toHaveCount(visible.filter(a => a.match).length);
    await page.keyboard.press('Escape');
    await command(page, 'visionlens:clear-filters');
    // Without label conditions every label is drawn.
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(/^([\d,]+) of \1 samples$/);
  });

  test('the selection becomes the view, and Undo goes back', async ({ page, request }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
    const all = fmt(await serverTotal(request, DEMO, {}));
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(`${all} of ${all} samples`);
    const bar = grid.locator('.jp-VisionLens-gridShownBar');
    const show = await toolbarItem(page, bar, '.jp-VisionLens-showSelected');
    await expect(show.locator('button')).toBeDisabled();
    await page.keyboard.press('Escape');

    const first = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const third = grid.locator('.jp-VisionLens-tile[data-index="2"]');
    const ids = [
      Number(await first.getAttribute('data-sample-id')),
      Number(await third.getAttribute('data-sample-id'))
    ];
    await first.click();
    await third.click({ modifiers: ['Control'] });
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('2 selected');
    await clickToolbarItem(page, bar, '.jp-VisionLens-showSelected');
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(`2 of ${all} samples`);
    const shown = await grid
      .locator('.jp-VisionLens-tile[data-sample-id]')
      .evaluateAll(tiles => tiles.map(t => Number((t as HTMLElement).dataset.sampleId)));
    expect(shown.sort((a, b) => a - b)).toEqual(ids.sort((a, b) => a - b));
    await command(page, 'visionlens:undo-filter');
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(`${all} of ${all} samples`);
    await command(page, 'visionlens:clear-selection');
  });

  test('grid keys: pages, ends, T to tag, Enter to open, Escape back', async ({
    page,
    request
  }) => {
    const tag = 'keyboard-tag';
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
    const total = await serverTotal(request, DEMO, {});
    const focusedIndex = () =>
      page.evaluate(() => Number((document.activeElement as HTMLElement)?.dataset.index));
    // Rows out of view keep their old tiles, hidden: the shown one.
    const first = grid.locator('.jp-VisionLens-tile[data-index="0"]:visible');
    await first.click();
    await expect(first).toBeFocused();
    await page.keyboard.press('PageDown');
    await expect.poll(focusedIndex).toBeGreaterThan(0);
    await page.keyboard.press('End');
    await expect.poll(focusedIndex).toBe(total - 1);
    await page.keyboard.press('Home');
    await expect.poll(focusedIndex).toBe(0);

    // T asks for a tag for the selection (the clicked tile).
    const id = Number(await first.getAttribute('data-sample-id'));
    await page.keyboard.press('t');
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('input').fill(tag);
    await dialog.locator('.jp-mod-accept').click();
    await expect
      .poll(async () => (await api(request, `datasets/${DEMO}/ids`, { filter: { tags: { any: [tag] } } })).ids)
      .toEqual([id]);

    // Enter opens the sample, → steps, Escape comes back to the grid on that sample.
    await first.focus();
    await page.keyboard.press('Enter');
    const view = page.locator('#visionlens-sample-main');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`1 of ${fmt(total)}`);
    await view.locator('.jp-VisionLens-sample').focus();
    await page.keyboard.press('ArrowRight');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`2 of ${fmt(total)}`);
    await page.keyboard.press('Escape');
    await expect(view).toHaveCount(0);
    await expect.poll(focusedIndex).toBe(1);
    await expect(grid).toBeVisible();

    await api(request, `datasets/${DEMO}/tags`, {
      filter: { tags: { any: [tag] } },
      add: [],
      remove: [tag]
    });
    await command(page, 'visionlens:clear-selection');
  });
});
