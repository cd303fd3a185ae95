/**
 * Duplicate groups and blind-spot evidence as thumbnails (issue #32, item 9)
 * on the demo (built-in embeddings with planted copies, an evaluated
 * simulated model: global-setup.js): each shows the samples the server
 * listed, first ones and "+K more", loaded images, and a click opens that
 * sample in the sample view.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import { APIRequestContext, Locator } from '@playwright/test';

import { api, command, imagesLoaded, openGrid, runBlindSpots, SAMPLE_IN_TAB, shot } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';
const MODEL = 'simulated-model';
/** Thumbnails shown at most per row (src/ui/sampleThumbs.ts). */
const MAX_THUMBS = 6;

/**
 * `row` shows the thumbnails of `ids` (the first ones, "+K more"), their
 * images load, and a click on the last one opens it in the sample view.
 */
async function expectThumbs(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  row: Locator,
  ids: number[]
): Promise<void> {
  const thumbs = row.locator('img.jp-VisionLens-thumb');
  const shown = ids.slice(0, MAX_THUMBS);
  await expect(thumbs).toHaveCount(shown.length);
  expect(
    await thumbs.evaluateAll(imgs =>
      imgs.map(img => Number((img as HTMLElement).dataset.sampleId))
    )
  ).toEqual(shown);
  await expect(thumbs.first()).toHaveAttribute('loading', 'lazy');
  await expect(thumbs.first()).toHaveAttribute('alt', `sample ${shown[0]}`);
  const more = row.locator('.jp-VisionLens-thumbsMore');
  if (ids.length > MAX_THUMBS) {
    await expect(more).toHaveText(`+${ids.length - MAX_THUMBS} more`);
  } else {
    await expect(more).toHaveCount(0);
  }
  const last = thumbs.last();
  await last.scrollIntoViewIfNeeded();
  await expect
    .poll(() => last.evaluate(img => (img as HTMLImageElement).naturalWidth))
    .toBeGreaterThan(0);

  const id = shown[shown.length - 1];
  const sample = await api(request, `datasets/${DEMO}/samples/${id}`);
  await last.click();
  const view = page.locator('#visionlens-sample-main');
  await expect(view).toBeVisible();
  await expect(view.locator('.jp-VisionLens-sampleName')).toHaveText(
    sample.file_name
  );
}

test.describe('Thumbnails of samples in panels', () => {
  test('duplicate groups show thumbnails that open the sample', async ({
    page,
    request
  }) => {
    test.setTimeout(180 * 1000);
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:open-duplicates');
    const panel = page.locator('#visionlens-duplicates');
    await panel.locator('.jp-VisionLens-dupThreshold').fill('0.99');
    const run = panel.locator('.jp-VisionLens-runDuplicates');
    await run.click();
    // enabled again once the run ended (an earlier run's groups show until then)
    await expect(run).toBeEnabled({ timeout: 120000 });
    const groups = panel.locator('.jp-VisionLens-dupGroup');
    await expect(groups.first()).toBeVisible();
    const last = await api(request, `datasets/${DEMO}/duplicates`);
    await expect(groups).toHaveCount(Math.min(last.groups.length, 200));

    // a thumbnail opens its sample and does not select the group
    await expect(
      grid.locator('.jp-VisionLens-selectionCount')
    ).not.toHaveAttribute('data-count', String(last.groups[0].length));
    await imagesLoaded(groups.first());
    await shot(panel, 'duplicates-thumbnails');
    await expectThumbs(page, request, groups.first(), last.groups[0]);
    await expect(
      grid.locator('.jp-VisionLens-selectionCount')
    ).not.toHaveAttribute('data-count', String(last.groups[0].length));
  });

  test('blind-spot evidence shows thumbnails that open the sample', async ({
    page,
    request
  }) => {
    test.setTimeout(300 * 1000);
    await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:open-blindspots');
    const panel = page.locator('#visionlens-blindspots');
    await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await runBlindSpots(panel);
    const result = await api(
      request,
      `datasets/${DEMO}/blindspots?model=${MODEL}`
    );
    const finding = result.findings.find((f: any) => f.evidence.length > 0);
    expect(finding).toBeTruthy();
    const card = panel.locator(
      `.jp-VisionLens-bsCard[data-finding="${finding.id}"]`
    );
    const evidence = card.locator('.jp-VisionLens-bsEvidence');
    await evidence.scrollIntoViewIfNeeded();
    await expect(evidence).toBeVisible();
    await imagesLoaded(evidence);
    await shot(card, 'blindspots-evidence');
    await expectThumbs(page, request, evidence, finding.evidence);
  });
});
