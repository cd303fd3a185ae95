/**
 * Search and duplicates in Chromium: embeddings computed from the grid with
 * the tiny open_clip checkpoint (the server's default model here), "more like
 * this" from a tile's context menu and a text search from the grid toolbar,
 * each showing exactly the server's top k in order with their scores; the
 * built-in embedder's text search shows the server's refusal; a duplicates run
 * shows its groups and a click selects one.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import { APIRequestContext, Locator } from '@playwright/test';

import { api, command, imagesLoaded, openGrid, shot } from './helpers';

const DATASET = 'searchdemo';
const SAMPLES = 30;

/** The tiles the grid shows, in grid order: [sample id, score text]. */
async function shownTiles(grid: Locator): Promise<[number, string][]> {
  return grid
    .locator('.jp-VisionLens-tile[data-sample-id]')
    .evaluateAll(tiles =>
      tiles
        .filter(t => (t as HTMLElement).style.visibility !== 'hidden')
        .map(t => {
          const el = t as HTMLElement;
          const score = el.querySelector(
            '.jp-VisionLens-tileScore'
          ) as HTMLElement;
          return [
            Number(el.dataset.index),
            Number(el.dataset.sampleId),
            score.hidden ? '' : (score.textContent ?? '')
          ] as [number, number, string];
        })
        .sort((a, b) => a[0] - b[0])
        .map(([, id, score]) => [id, score] as [number, string])
    );
}

/** The grid shows the server's answer to `query` (k = 50 > the dataset), in order. */
async function expectServerRanking(
  grid: Locator,
  request: APIRequestContext,
  query: Record<string, unknown>
): Promise<void> {
  const answer = await api(request, `datasets/${DATASET}/search`, {
    ...query,
    k: 50
  });
  const expected: [number, string][] = answer.results.map(
    (r: { sample_id: number; score: number }) => [
      r.sample_id,
      r.score.toFixed(3)
    ]
  );
  expect(expected).toHaveLength(SAMPLES);
  await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
    `${SAMPLES} most similar of ${SAMPLES} samples`
  );
  // Every tile the grid rendered shows the server's result at its rank.
  await expect
    .poll(async () => {
      const shown = await shownTiles(grid);
      const prefix = expected.slice(0, shown.length);
      return (
        shown.length > 0 && JSON.stringify(shown) === JSON.stringify(prefix)
      );
    })
    .toBe(true);
  const shown = await shownTiles(grid);
  expect(shown).toEqual(expected.slice(0, shown.length));
  await expect(grid.locator('.jp-VisionLens-searchCode code')).toHaveText(
    `import visionlens_jlab as vl\n${answer.code}`
  );
  // The space covers every sample (embedded above): no coverage warning shown.
  expect(answer.warning).toBeNull();
  await expect(grid.locator('.jp-VisionLens-searchWarning')).toBeHidden();
}

async function embedWithDefaultModel(
  page: IJupyterLabPageFixture,
  grid: Locator,
  request: APIRequestContext
): Promise<void> {
  await grid.locator('.jp-VisionLens-embedButton').click();
  const dialog = page.locator('.jp-Dialog');
  const select = dialog.locator('select.jp-VisionLens-embedModel');
  // The configured checkpoint is the default: selected, with its text tower.
  await expect(select.locator('option:checked')).toContainText('tiny-clip');
  await expect(select.locator('option:checked')).toContainText('text search');
  await expect(select.locator('option:checked')).toContainText('default');
  await dialog.locator('.jp-mod-accept').click();
  await expect(page.locator('#visionlens-jobs')).toBeVisible();
  await expect
    .poll(
      async () => {
        const { spaces } = await api(request, `datasets/${DATASET}/spaces`);
        return spaces.map(
          (s: { count: number; complete: boolean }) => s.complete && s.count
        );
      },
      { timeout: 90000 }
    )
    .toEqual([SAMPLES]);
}

test.describe('VisionLens search and duplicates', () => {
  test('more like this and text search show the server top k with scores', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DATASET);
    await embedWithDefaultModel(page, grid, request);

    const tile = grid.locator('.jp-VisionLens-tile[data-index="2"]');
    const like = Number(await tile.getAttribute('data-sample-id'));
    await tile.click({ button: 'right' });
    await page.locator('.lm-Menu-item', { hasText: 'More like this' }).click();
    await expect(grid.locator('.jp-VisionLens-searchChipText')).toHaveText(
      `Similar to sample ${like}`
    );
    await expectServerRanking(grid, request, { like });
    await imagesLoaded(grid);
    await shot(grid, 'search-more-like-this');

    const text = grid.locator('.jp-VisionLens-searchText');
    await text.fill('a red square on grass');
    await text.press('Enter');
    await expect(grid.locator('.jp-VisionLens-searchChipText')).toHaveText(
      'Matching “a red square on grass”'
    );
    await expectServerRanking(grid, request, { text: 'a red square on grass' });

    await grid.locator('.jp-VisionLens-clearSearch').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${SAMPLES} of ${SAMPLES} samples`
    );
    await expect(grid.locator('.jp-VisionLens-tileScore:visible')).toHaveCount(
      0
    );
  });

  test('text search in the built-in space shows the server refusal', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, 'demo');
    const text = grid.locator('.jp-VisionLens-searchText');
    await text.fill('a dog');
    await text.press('Enter');
    const refusal = grid.locator('.jp-VisionLens-searchMessage.jp-mod-error');
    await expect(refusal).toContainText(
      'text search needs a model with a text tower'
    );
    // it names the models with text search on this machine, as the embed dialog
    // lists them, and never one that is not here (issue #32: it named ViT-B-32)
    const listed = await api(request, 'models');
    const models = Array.isArray(listed) ? listed : listed.models;
    const here = [
      ...new Set(
        models
          .filter((m: any) => m.text && m.available_offline)
          .map((m: any) => m.name)
      )
    ];
    expect(here.length).toBeGreaterThan(0); // the run's tiny CLIP checkpoint
    await expect(refusal).toContainText(
      `Models with text search on this machine: ${here.join(', ')} (`
    );
    for (const m of models.filter((m: any) => !m.available_offline)) {
      if (!here.includes(m.name)) {
        await expect(refusal).not.toContainText(m.name);
      }
    }
    // a refused search is no active search: no chip, and nothing of it follows to
    // another dataset (issue #32: the chip and the text once carried over)
    await expect(grid.locator('.jp-VisionLens-searchChip')).toBeHidden();
    await openGrid(page, 'searchdemo');
    await expect(text).toHaveValue('');
    await expect(grid.locator('.jp-VisionLens-searchChip')).toBeHidden();
    await expect(
      grid.locator('.jp-VisionLens-searchMessage.jp-mod-error')
    ).toBeHidden();
  });

  test('a duplicates run shows its groups; a click selects one', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DATASET);
    await command(page, 'visionlens:open-duplicates');
    const panel = page.locator('#visionlens-duplicates');
    await expect(panel).toBeVisible();
    await panel.locator('.jp-VisionLens-dupThreshold').fill('0.99');
    await panel.locator('.jp-VisionLens-runDuplicates').click();
    const groups = panel.locator('.jp-VisionLens-dupGroup');
    await expect(groups.first()).toBeVisible({ timeout: 60000 });
    const last = await api(request, `datasets/${DATASET}/duplicates`);
    // Every copied image (two samples, one file) is within one group.
    const listing = await api(request, `datasets/${DATASET}/samples/query`, {
      filter: {},
      offset: 0,
      limit: SAMPLES
    });
    const byFile = new Map<string, number[]>();
    for (const s of listing.samples) {
      byFile.set(s.file_name, [
        ...(byFile.get(s.file_name) ?? []),
        s.sample_id
      ]);
    }
    const copies = [...byFile.values()].filter(ids => ids.length === 2);
    expect(copies).toHaveLength(SAMPLES - 20);
    for (const [a, b] of copies) {
      expect(
        last.groups.some((g: number[]) => g.includes(a) && g.includes(b))
      ).toBe(true);
    }
    await expect(groups).toHaveCount(last.groups.length);
    await expect(panel.locator('.jp-VisionLens-dupCode code')).toHaveText(
      `import visionlens_jlab as vl\n${last.code}`
    );
    // the group's size selects it (a click on a thumbnail opens that sample)
    await groups.first().locator('.jp-VisionLens-dupGroupSize').click();
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveAttribute(
      'data-count',
      String(last.groups[0].length)
    );
    await shot(panel, 'duplicates-panel');
  });
});
