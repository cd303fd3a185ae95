/**
 * Browsing a saved version read-only: version 1 is saved, then another
 * client deletes every ground-truth object of one class. "Browse" on version
 * 1 in the versions panel shows its banner over the grid; the filters count
 * the class again and the grid's count for it is version 1's (the server's
 * answer with `version=1`), while "Back to current" shows the current count
 * (none). The sample view's edit tools are off on the version and back on
 * the current labels; the server refuses an edit naming the version. The
 * sample view and the map show the banner too, and "Back to current" in the
 * map's returns every view. Its own dataset (small20), so the other tests'
 * counts stay.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { api, clickToolbarItem, command, fmt, openGrid, openSidebar, runEnv, SAMPLE_IN_TAB } from './helpers';

// the sample view in its own tab: the grid's banner stays in reach
test.use({ autoGoto: true, mockSettings: SAMPLE_IN_TAB });

const NAME = 'ui-version-browse';
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

/** `ui-version-browse` anew: small20's boxes as ground truth. */
async function freshDataset(request: APIRequestContext): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === NAME)) {
    await request.delete(`${runEnv('TARGET_URL')}/visionlens/api/datasets/${NAME}`);
  }
  const source = path.join(SMALL, 'instances.json');
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
  const { job } = await api(request, 'datasets', { source, name: NAME, format: 'coco', images });
  await expect
    .poll(async () => (await api(request, `jobs/${job.id}`)).status, { timeout: 60000 })
    .toBe('done');
}

/** The number of samples matching `filter` (at `version`, or now). */
async function total(request: APIRequestContext, filter: unknown, version?: number): Promise<number> {
  const body = { filter, offset: 0, limit: 0, ...(version ? { version } : {}) };
  return (await api(request, `datasets/${NAME}/samples/query`, body)).total;
}

test('browse a saved version read-only in the grid, then back to current', async ({ page, request }) => {
  await freshDataset(request);
  const { version } = await api(request, `datasets/${NAME}/versions`, { message: 'as ingested' });
  const facets = await api(request, `datasets/${NAME}/facets`);
  const label = facets.facets.find((f: any) => f.name === 'label' && f.source === 'ground_truth');
  const cls: string = label.values[0].value;
  const only = { labels: [{ source: 'ground_truth', classes: [cls] }] };
  // another client deletes every object of that class
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, { filter: only, offset: 0, limit: 1000 });
  const doomed = samples.flatMap((s: any) =>
    s.annotations.filter((a: any) => a.source === 'ground_truth' && a.label === cls)
  );
  await api(request, `datasets/${NAME}/edits`, {
    operations: doomed.map((a: any) => ({ op: 'delete', annotation_id: a.ann_id }))
  });
  const then = await total(request, only, version);
  expect(then).toBe(samples.length);
  expect(await total(request, only)).toBe(0);
  const all = await total(request, {});

  const grid = await openGrid(page, NAME);
  const banner = grid.locator('.jp-VisionLens-versionBanner');
  await expect(banner).toBeHidden();
  await clickToolbarItem(page, grid.locator('.jp-VisionLens-gridShownBar'), '.jp-VisionLens-openVersions');
  const panel = page.locator('#visionlens-versions-main');
  await panel.locator(`tr[data-version="${version}"] .jp-VisionLens-browseVersion`).click();
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(`Version ${version} (read-only)`);
  await expect(banner).toContainText('as ingested');

  // the filters count the deleted class on the version: pick it
  await openSidebar(page, 'visionlens-filters');
  const filters = page.locator('#visionlens-filters');
  const facet = filters.locator('details[data-facet="label@ground_truth"]');
  const value = facet.locator(`.jp-VisionLens-facetValue[data-value="${cls}"]`);
  await expect(value.locator('.jp-VisionLens-valueCount')).toHaveText(fmt(label.values[0].count));
  await value.locator('input').check();
  const count = grid.locator('.jp-VisionLens-count');
  await expect(count).toHaveText(`${fmt(then)} of ${fmt(all)} samples`);

  // the sample view on the version: its edit tools are off
  const first = samples[0].sample_id;
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: first });
  const view = page.locator('#visionlens-sample-main');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty('complete', true);
  await expect(view.locator('.jp-VisionLens-sampleEditBar')).toBeHidden();
  // the server refuses an edit that names the version
  const refused = await request.post(`${runEnv('TARGET_URL')}/visionlens/api/datasets/${NAME}/edits`, {
    data: { operations: [], version }
  });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).message).toContain('read-only');

  // every view reading the version shows its banner: the sample view, the map
  const viewBanner = view.locator('.jp-VisionLens-versionBanner');
  await expect(viewBanner).toBeVisible();
  await expect(viewBanner).toContainText(`Version ${version} (read-only)`);
  await command(page, 'visionlens:open-map', { dataset: NAME });
  const mapBanner = page.locator('#visionlens-map-main .jp-VisionLens-versionBanner');
  await expect(mapBanner).toBeVisible();
  await expect(mapBanner).toContainText(`Version ${version} (read-only)`);

  // back to current from the map: every banner goes, edits are on again, the
  // same filter counts none (the jest test goes back from the sample views)
  await mapBanner.locator('.jp-VisionLens-versionBack').click();
  await expect(mapBanner).toBeHidden();
  await expect(viewBanner).toHaveClass(/lm-mod-hidden/);
  await expect(banner).toHaveClass(/lm-mod-hidden/);
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: first });
  await expect(viewBanner).toBeHidden();
  await expect(view.locator('.jp-VisionLens-sampleEditBar')).toBeVisible();
  await command(page, 'visionlens:open-grid', { dataset: NAME }); // the grid in front again
  await expect(banner).toBeHidden();
  await expect(count).toHaveText(`0 of ${fmt(all)} samples`);
});
