/**
 * VisionLens in a real JupyterLab with a real server and real Chromium.
 * Datasets come from global-setup.js (`demo`: 300 images, `big10k`: 10,000).
 */
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import { api, clickToolbarItem, command, fmt, imagesLoaded, openGrid, openSidebar, openUnfiltered, runEnv, SAMPLE_IN_TAB, serverTotal, setTheme, shot, suggestedName } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

/** The run's own data folder and server (both set by playwright.config.js). */
const DATA_DIR = runEnv('VISIONLENS_DATA_DIR');
const BASE = runEnv('TARGET_URL');
const DEMO = 'demo';
const BIG = 'big10k';
/**
 * The facet holding the demo's train/val split: the split column, or
 * `fields.split` when the COCO parser kept it as an extra image field.
 */
let SPLIT = 'split';

test.beforeAll(async ({ request }) => {
  const facets = await api(request, `datasets/${DEMO}/facets`);
  const column = facets.facets.find(
    (f: any) => f.name === 'split' && f.values.some((v: any) => v.value === 'val')
  );
  SPLIT = column ? 'split' : 'fields.split';
});

test.describe('VisionLens', () => {
  test('side panel lists the datasets with their server counts', async ({
    page,
    request
  }) => {
    const { datasets } = await api(request, 'datasets');
    const demo = datasets.find((d: any) => d.name === DEMO);
    expect(demo).toBeTruthy();

    await expect(page.locator('.jp-LauncherCard', { hasText: 'VisionLens Grid' })).toBeVisible();
    await page.sidebar.openTab('visionlens-datasets');
    const panel = page.locator('#visionlens-datasets');
    const card = panel.locator(`.jp-VisionLens-datasetCard[data-dataset="${DEMO}"]`);
    await expect(card).toBeVisible();
    await expect(card.locator('[data-stat="samples"] .jp-VisionLens-statValue')).toHaveText(
      fmt(demo.num_samples)
    );
    await expect(card.locator('[data-stat="labels"] .jp-VisionLens-statValue')).toHaveText(
      fmt(demo.num_annotations)
    );
    for (const model of demo.models) {
      await expect(card.locator('[data-stat="models"]')).toContainText(model.name);
    }
    const actions = card.locator('.jp-VisionLens-cardActions');
    await clickToolbarItem(page, actions, '.jp-VisionLens-showReport');
    await expect(card.locator('.jp-VisionLens-report')).not.toHaveText('Loading report…');
    await shot(panel, 'sidepanel-light');
  });

  test('file browser context menu opens the pre-filled ingest form', async ({
    page,
    tmpPath
  }) => {
    await page.contents.uploadContent('{}', 'text', `${tmpPath}/instances.json`);
    await page.contents.uploadContent('x', 'text', `${tmpPath}/notes.md`);
    await page.filebrowser.openDirectory(tmpPath);
    const item = page.locator('.jp-DirListing-item', { hasText: 'instances.json' });
    await item.click({ button: 'right' });
    const menu = page.locator('.lm-Menu');
    await menu.getByText('Ingest into VisionLens').click();
    const form = page.locator('.jp-VisionLens-ingestForm');
    await expect(form).toBeVisible();
    await expect(form.locator('input[name="source"]')).toHaveValue(
      new RegExp(`^/.*${tmpPath}/instances\\.json$`)
    );
    // 'instances' says what the file is, not which data: the folder names it
    await expect(form.locator('input[name="name"]')).toHaveValue(suggestedName(tmpPath));
    // Not offered on files it cannot ingest.
    await page.sidebar.openTab('filebrowser');
    await page.locator('.jp-DirListing-item', { hasText: 'notes.md' }).click({ button: 'right' });
    await expect(page.locator('.lm-Menu').getByText('Ingest into VisionLens')).toBeHidden();
    await expect(page.locator('.lm-Menu').getByText('Add as predictions in VisionLens')).toBeHidden();
    await page.keyboard.press('Escape');
    // A folder (Ultralytics' labels/ of per-image txt files) may hold either.
    await page.contents.uploadContent('0 0.5 0.5 0.1 0.1 0.9', 'text', `${tmpPath}/preds/a.txt`);
    await page.filebrowser.refresh();
    await page.locator('.jp-DirListing-item', { hasText: 'preds' }).click({ button: 'right' });
    await expect(page.locator('.lm-Menu').getByText('Ingest into VisionLens')).toBeVisible();
    await expect(page.locator('.lm-Menu').getByText('Add as predictions in VisionLens')).toBeVisible();
    await page.keyboard.press('Escape');
  });

  test('ingest form runs a job with progress, then delete asks first', async ({
    page,
    request
  }) => {
    const name = 'ui-small';
    await request.delete(`${BASE}/visionlens/api/datasets/${name}`);
    const dir = path.join(DATA_DIR, 'ui-sources', 'small20');
    const images = fs.readFileSync(path.join(dir, 'IMAGES'), 'utf-8');
    await openSidebar(page, 'visionlens-datasets');
    const panel = page.locator('#visionlens-datasets');
    const header = panel.locator('.jp-VisionLens-panelHeader');
    await clickToolbarItem(page, header, '.jp-VisionLens-ingestToggle');
    const form = panel.locator('.jp-VisionLens-ingestForm');
    await form.locator('input[name="source"]').fill(path.join(dir, 'instances.json'));
    await form.locator('input[name="name"]').fill(name);
    await form.locator('select[name="format"]').selectOption('coco');
    await form.locator('input[name="images"]').fill(images);
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    await expect(form.locator('.jp-VisionLens-jobText')).toHaveText(
      new RegExp(`^Done: '${name}' \\(20 samples, `),
      { timeout: 60000 }
    );
    const card = panel.locator(`.jp-VisionLens-datasetCard[data-dataset="${name}"]`);
    await expect(card.locator('[data-stat="samples"] .jp-VisionLens-statValue')).toHaveText('20');

    // A bad path gives the server's message, not a traceback.
    await form.locator('input[name="source"]').fill('/no/such/file.json');
    await form.locator('input[name="name"]').fill('ui-broken');
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    await expect(form.locator('.jp-VisionLens-jobText')).toHaveClass(/jp-mod-error/, {
      timeout: 60000
    });
    await expect(form.locator('.jp-VisionLens-jobText')).not.toContainText('Traceback');

    const actions = card.locator('.jp-VisionLens-cardActions');
    await clickToolbarItem(page, actions, '.jp-VisionLens-delete');
    await page.locator('.jp-Dialog .jp-mod-reject').click();
    await expect(card).toBeVisible();
    await clickToolbarItem(page, actions, '.jp-VisionLens-delete');
    await page.locator('.jp-Dialog .jp-mod-warn').click();
    await expect(card).toHaveCount(0);
    const { datasets } = await api(request, 'datasets');
    expect(datasets.map((d: any) => d.name)).not.toContain(name);
  });

  test('grid shows the exact count and draws boxes', async ({ page, request }) => {
    const total = await serverTotal(request, DEMO, {});
    const grid = await openGrid(page, DEMO);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(total)} of ${fmt(total)} samples`
    );
    // Thumbnails are plain HTTP URLs, never blob: URLs.
    const src = await grid.locator('.jp-VisionLens-tile[data-sample-id] img').first().getAttribute('src');
    expect(src).toMatch(/\/visionlens\/api\/datasets\/demo\/samples\/\d+\/image\?size=256$/);
    await expect(grid.locator('.jp-VisionLens-box.jp-mod-gt').first()).toBeAttached();
    await expect(grid.locator('.jp-VisionLens-box.jp-mod-pred').first()).toBeAttached();
    // Hover: file name, box count, class summary as text.
    await grid.locator('.jp-VisionLens-tile[data-sample-id]').first().hover();
    await expect(grid.locator('.jp-VisionLens-tooltip')).toContainText(/\d+ box/);
    await imagesLoaded(grid);
    await shot(grid, 'grid-light');

    // Other contents under a still pointer: the card never describes a sample
    // that is no longer under it (issue #32: it once stayed, stale).
    const first = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const before = await first.getAttribute('data-sample-id');
    await expect(grid.locator('.jp-VisionLens-tooltip')).toHaveAttribute(
      'data-sample-id',
      before as string
    );
    await command(page, 'visionlens:open-grid', { dataset: BIG });
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText('10,000 of 10,000 samples');
    await expect
      .poll(() =>
        grid.evaluate(node => {
          const card = node.querySelector<HTMLElement>('.jp-VisionLens-tooltip');
          const tile = node.querySelector('.jp-VisionLens-tile[data-index="0"]');
          return card?.hidden || card?.dataset.sampleId === tile?.getAttribute('data-sample-id');
        })
      )
      .toBe(true);
  });

  test('a 10K grid scrolls to the end with a bounded number of tiles', async ({
    page,
    request
  }) => {
    const total = await serverTotal(request, BIG, {});
    expect(total).toBe(10000);
    const grid = await openGrid(page, BIG);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText('10,000 of 10,000 samples');
    const scroller = grid.locator('.jp-VisionLens-gridScroller');
    let maxTiles = 0;
    for (let step = 1; step <= 12; step++) {
      await scroller.evaluate((el, f) => {
        el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      }, step / 12);
      await page.waitForTimeout(150);
      maxTiles = Math.max(maxTiles, await grid.locator('.jp-VisionLens-tile').count());
    }
    // The last sample is rendered with its data once its page arrives.
    await expect(grid.locator('.jp-VisionLens-tile[data-index="9999"][data-sample-id]')).toBeVisible();
    const { ids } = await api(request, `datasets/${BIG}/ids`, { filter: {} });
    await expect(grid.locator('.jp-VisionLens-tile[data-index="9999"]')).toHaveAttribute(
      'data-sample-id',
      String(ids[ids.length - 1])
    );
    // Only the visible rows (+ overscan) exist: far below 10,000 tiles.
    expect(maxTiles).toBeGreaterThan(0);
    expect(maxTiles).toBeLessThan(200);
  });

  test('filters: shown counts equal the server counts, undo and clear', async ({
    page,
    request
  }) => {
    const { grid, filters } = await openUnfiltered(page, DEMO);
    const split = filters.locator(`details[data-facet="${SPLIT}"]`);
    await split.locator('.jp-VisionLens-facetValue[data-value="val"] input').check();
    const byVal = { sample: { [SPLIT]: { in: ['val'] } } };
    const expected = await serverTotal(request, DEMO, byVal);
    const all = await serverTotal(request, DEMO, {});
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expected)} of ${fmt(all)} samples`
    );
    await expect(filters.locator('.jp-VisionLens-filterTotal')).toHaveText(
      `${fmt(expected)} matching samples`
    );
    await expect(filters.locator('.jp-VisionLens-chip')).toHaveText([`${SPLIT} is val×`]);

    // A class filter on the ground truth composes with the split.
    const label = filters.locator('details[data-facet="label@ground_truth"]');
    const firstClass = label.locator('.jp-VisionLens-facetValue').first();
    const cls = (await firstClass.getAttribute('data-value')) as string;
    await firstClass.locator('input').check();
    const both = {
      ...byVal,
      labels: [{ source: 'ground_truth', classes: [cls] }]
    };
    const expectedBoth = await serverTotal(request, DEMO, both);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expectedBoth)} of ${fmt(all)} samples`
    );
    const facets = await api(
      request,
      `datasets/${DEMO}/facets?filter=${encodeURIComponent(JSON.stringify(both))}`
    );
    expect(facets.total).toBe(expectedBoth);
    await expect(filters.locator('.jp-VisionLens-filterTotal')).toHaveText(
      `${fmt(expectedBoth)} matching samples`
    );
    await shot(filters, 'filters-light');

    // A numeric range (min/max inputs of the histogram) composes too.
    const boxes = filters.locator('details[data-facet="box_count@ground_truth"]');
    await boxes.locator('input[data-bound="min"]').fill('2');
    await boxes.locator('input[data-bound="min"]').press('Enter');
    const ranged = { ...both, box_count: { source: 'ground_truth', min: 2 } };
    const expectedRanged = await serverTotal(request, DEMO, ranged);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expectedRanged)} of ${fmt(all)} samples`
    );
    await filters.locator('.jp-VisionLens-undo').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expectedBoth)} of ${fmt(all)} samples`
    );
    await filters.locator('.jp-VisionLens-undo').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(expected)} of ${fmt(all)} samples`
    );
    await filters.locator('.jp-VisionLens-clearAll').click();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(all)} of ${fmt(all)} samples`
    );
    await expect(filters.locator('.jp-VisionLens-chip')).toHaveCount(0);
  });

  test('select with click / shift-click / ctrl-click and tag', async ({ page, request }) => {
    const tag = 'ui-test-tag';
    await api(request, `datasets/${DEMO}/tags`, {
      filter: { tags: { any: [tag] } },
      add: [],
      remove: [tag]
    });
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    await tiles.nth(0).click();
    await tiles.nth(4).click({ modifiers: ['Shift'] });
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('5 selected');
    await tiles.nth(2).click({ modifiers: ['Control'] });
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('4 selected');
    await expect(grid.locator('.jp-VisionLens-tile.jp-mod-selected')).toHaveCount(4);
    const chosen = await grid
      .locator('.jp-VisionLens-tile.jp-mod-selected')
      .evaluateAll(els => els.map(e => Number((e as HTMLElement).dataset.sampleId)).sort((a, b) => a - b));

    await grid.locator('.jp-VisionLens-tagInput').fill(tag);
    await grid.locator('.jp-VisionLens-tagButton').click();
    await expect(grid.locator('.jp-VisionLens-tagStatus')).toHaveText('Tagged 4 samples');
    const { ids } = await api(request, `datasets/${DEMO}/ids`, { filter: { tags: { any: [tag] } } });
    expect(ids).toEqual(chosen);

    // Tags are a facet: filtering on it shows exactly the tagged samples.
    await openSidebar(page, 'visionlens-filters');
    const tags = page.locator('#visionlens-filters details[data-facet="tags"]');
    await tags.locator(`.jp-VisionLens-facetValue[data-value="${tag}"] input`).check();
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(/^4 of /);

    // "All matching" selects the 4 filtered samples; untag them all.
    await grid.locator('.jp-VisionLens-selectAll').click();
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('4 selected');
    await grid.locator('.jp-VisionLens-untagButton').click();
    await expect(grid.locator('.jp-VisionLens-tagStatus')).toHaveText('Untagged 4 samples');
    expect(await serverTotal(request, DEMO, { tags: { any: [tag] } })).toBe(0);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
  });

  test('sample view steps through the filter with the arrow keys', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const total = await serverTotal(request, DEMO, {});
    const first3 = await api(request, `datasets/${DEMO}/samples/query`, {
      filter: {},
      offset: 0,
      limit: 3
    });
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const view = page.locator('#visionlens-sample-main');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`1 of ${fmt(total)}`);
    await expect(view.locator('.jp-VisionLens-sampleName')).toHaveText(first3.samples[0].file_name);
    await view.locator('.jp-VisionLens-sample').focus();
    await page.keyboard.press('ArrowRight');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`2 of ${fmt(total)}`);
    await page.keyboard.press('ArrowRight');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`3 of ${fmt(total)}`);
    await expect(view.locator('.jp-VisionLens-sampleName')).toHaveText(first3.samples[2].file_name);
    await page.keyboard.press('ArrowLeft');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(`2 of ${fmt(total)}`);
    await expect(view.locator('.jp-VisionLens-boxesTable tbody tr')).toHaveCount(
      first3.samples[1].annotations.length
    );
    // Box labels are drawn on the full image, masks on the labels canvas
    // under them (tests/labels.spec.ts checks where their pixels are).
    await expect(view.locator('.jp-VisionLens-boxLabel').first()).toBeAttached();
    const masks = first3.samples[1].annotations.some((a: any) => a.segmentation);
    if (masks) {
      const canvas = view.locator('canvas.jp-VisionLens-labelCanvas');
      await expect
        .poll(() =>
          canvas.evaluate((c: HTMLCanvasElement) => {
            const pixels = c.width ? c.getContext('2d')?.getImageData(0, 0, c.width, c.height) : null;
            let painted = 0;
            for (let i = 3; pixels && i < pixels.data.length; i += 4) {
              painted += pixels.data[i] > 0 ? 1 : 0;
            }
            return painted;
          })
        )
        .toBeGreaterThan(0);
    }
    await imagesLoaded(view);
    await shot(view, 'sample-light');
  });

  test('filters and selection survive a reload', async ({ page, request }) => {
    const { grid, filters } = await openUnfiltered(page, DEMO);
    await filters
      .locator(`details[data-facet="${SPLIT}"] .jp-VisionLens-facetValue[data-value="val"] input`)
      .check();
    await grid.locator('.jp-VisionLens-tile[data-index="1"]').click();
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('1 selected');
    const expected = await serverTotal(request, DEMO, { sample: { [SPLIT]: { in: ['val'] } } });
    const countText = `${fmt(expected)} of ${fmt(await serverTotal(request, DEMO, {}))} samples`;
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(countText);
    await page.waitForTimeout(600); // state is saved after a short debounce

    // The restored layout shows the grid, not the Launcher galata waits for.
    await page.reload({ waitForIsReady: false } as Parameters<typeof page.reload>[0]);
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const restored = page.locator('#visionlens-grid-main');
    await expect(restored.locator('.jp-VisionLens-count')).toHaveText(countText);
    await expect(restored.locator('.jp-VisionLens-selectionCount')).toHaveText('1 selected');
    await openSidebar(page, 'visionlens-filters');
    await expect(page.locator('#visionlens-filters .jp-VisionLens-chip')).toHaveText([
      `${SPLIT} is val×`
    ]);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
  });
});

test.describe('VisionLens screenshots', () => {
  test('panels in the dark theme', async ({ page }) => {
    await setTheme(page, true);
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await openSidebar(page, 'visionlens-datasets');
    await expect(page.locator('#visionlens-datasets .jp-VisionLens-datasetCard').first()).toBeVisible();
    await shot(page.locator('#visionlens-datasets'), 'sidepanel-dark');
    await openSidebar(page, 'visionlens-filters');
    const filters = page.locator('#visionlens-filters');
    await filters
      .locator(`details[data-facet="${SPLIT}"] .jp-VisionLens-facetValue[data-value="val"] input`)
      .check();
    await expect(filters.locator('.jp-VisionLens-chip')).toHaveCount(1);
    await expect(filters.locator('.jp-VisionLens-facets')).not.toHaveClass(/jp-mod-loading/);
    await shot(filters, 'filters-dark');
    await imagesLoaded(grid);
    await shot(grid, 'grid-dark');
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const view = page.locator('#visionlens-sample-main');
    await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(/^1 of /);
    await imagesLoaded(view);
    await shot(view, 'sample-dark');
    await command(page, 'visionlens:clear-filters');
    await setTheme(page, false);
  });
});
