/**
 * Hostile dataset text in every panel (issue #33), on the `hostile` dataset
 * of tests/hostile_fixtures.py (global-setup.js): class, field and tag names
 * `constructor`, `__proto__`, `toString`; markup that must never run; bidi
 * controls shown escaped (`[U+202E]`), never applied.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';

import { api, command, openGrid, SAMPLE_IN_TAB } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DATASET = 'hostile';
const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
const RTL_FILE = 'invoice\u202egnp.exe.jpg';
const RTL_SHOWN = 'invoice[U+202E]gnp.exe.jpg';
const RTL_CLASS_SHOWN = 'cat[U+202E]god';

/** Page errors and dialogs (an `alert` from markup in a name) while a test runs. */
function watch(page: IJupyterLabPageFixture): { errors: string[]; dialogs: string[] } {
  const seen = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', error => seen.errors.push(error.message));
  page.on('dialog', dialog => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return seen;
}

test.describe('VisionLens with hostile names', () => {
  test.beforeEach(async ({ page }) => {
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
  });

  test('grid, filters and sample view escape bidi controls and run nothing', async ({
    page,
    request
  }) => {
    const seen = watch(page);
    const grid = await openGrid(page, DATASET);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText('10 of 10 samples');
    const rtl = grid.locator(`.jp-VisionLens-tile[aria-label="${RTL_SHOWN}"]`);
    await expect(rtl).toHaveCount(1);

    // the class facet lists every class by its name, with its colour
    await command(page, 'visionlens:open-filters');
    const label = page.locator('#visionlens-filters details[data-facet="label@ground_truth"]');
    for (const name of [...PROTO_NAMES, '<img src=x onerror=alert(1)>']) {
      const row = label.locator(`.jp-VisionLens-facetValue[data-value="${name}"]`);
      await expect(row.locator('.jp-VisionLens-valueText')).toHaveText(name);
      const colour = await row
        .locator('.jp-VisionLens-valueBar')
        .evaluate(el => (el as HTMLElement).style.background);
      expect(colour, name).toMatch(/^rgb\(/);
    }
    await expect(
      label.locator('.jp-VisionLens-valueText', { hasText: RTL_CLASS_SHOWN })
    ).toHaveCount(1);

    // tags named like Object.prototype members, in the tag facet and the sample view
    const samples = await api(request, `datasets/${DATASET}/samples/query`, {
      filter: {},
      offset: 0,
      limit: 20
    });
    const target = samples.samples.find((s: any) => s.file_name === RTL_FILE);
    await api(request, `datasets/${DATASET}/tags`, {
      filter: { ids: [target.sample_id] },
      add: ['constructor', '__proto__', 'toString']
    });
    await rtl.dblclick();
    const view = page.locator('#visionlens-sample-main');
    await expect(view.locator('.jp-VisionLens-sampleName')).toHaveText(RTL_SHOWN);
    for (const tag of ['constructor', '__proto__', 'toString']) {
      await expect(view.locator('.jp-VisionLens-sampleTags')).toContainText(tag);
    }
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors).toEqual([]);
  });

  test('a class named constructor keeps its colour on the map', async ({ page }) => {
    const seen = watch(page);
    await openGrid(page, DATASET);
    await command(page, 'visionlens:open-map', { dataset: DATASET, method: 'pca' });
    const map = page.locator('#visionlens-map-main .jp-VisionLens-map');
    await expect(map).toHaveAttribute('data-points', /\d+/, { timeout: 60000 });
    await map.locator('.jp-VisionLens-mapColor').selectOption('top_class');
    const legend = map.locator('.jp-VisionLens-mapLegend');
    await expect(legend.locator('.jp-VisionLens-mapLegendTitle')).toHaveText('top_class');
    for (const name of PROTO_NAMES) {
      const item = legend.locator('.jp-VisionLens-mapLegendItem', {
        has: page.locator('.jp-VisionLens-mapLegendLabel', { hasText: name })
      });
      const colour = await item
        .first()
        .locator('.jp-VisionLens-mapSwatch')
        .evaluate(el => (el as HTMLElement).style.background);
      expect(colour, name).toMatch(/^rgb\(/);
    }
    await expect(
      legend.locator('.jp-VisionLens-mapLegendLabel', { hasText: RTL_CLASS_SHOWN })
    ).toHaveCount(1);
    expect(seen.dialogs).toEqual([]);
    expect(seen.errors).toEqual([]);
  });
});
