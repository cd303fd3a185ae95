/**
 * Plugins in a real JupyterLab: the example lab-extension plugin
 * (examples/plugins/visionlens-overlay-example, installed as a prebuilt
 * extension) draws its badge on the grid tiles and adds its sample-view
 * section through `model.extensions`; the Plugins panel lists the server's
 * Python plugins (ui-tests/folder-plugins.js) with their status and the
 * error of the ones that failed, and the lab-side contributions.
 */
import { expect, test } from './fixtures';

import { api, clickToolbarItem, command, openGrid, SAMPLE_IN_TAB } from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';
const EXAMPLE = 'visionlens-overlay-example';

test.describe('Plugins', () => {
  test('the example overlay is drawn on every grid tile', async ({ page, request }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const first = await api(request, `datasets/${DEMO}/samples/query`, {
      filter: {},
      offset: 0,
      limit: 4
    });
    for (const [index, sample] of first.samples.entries()) {
      const tile = grid.locator(`.jp-VisionLens-tile[data-index="${index}"]`);
      await expect(tile).toHaveAttribute('data-sample-id', String(sample.sample_id));
      // The badge shows the box count the server has for that sample.
      await expect(
        tile.locator('.jp-VisionLens-tileOverlay[data-overlay="box-count-badge"] .vl-example-badge')
      ).toHaveText(String(sample.annotations.length));
    }
    // Every shown tile has one badge, no more (tiles are recycled while scrolling).
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    const badges = grid.locator('.jp-VisionLens-tile[data-sample-id] .vl-example-badge');
    await expect(badges).toHaveCount(await tiles.count());
    // The badge sits above the image and is visible.
    await expect(badges.first()).toBeVisible();
  });

  test('the example section shows in the sample view', async ({ page, request }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const { samples } = await api(request, `datasets/${DEMO}/samples/query`, {
      filter: {},
      offset: 0,
      limit: 1
    });
    const sample = await api(request, `datasets/${DEMO}/samples/${samples[0].sample_id}`);
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const view = page.locator('#visionlens-sample-main');
    const section = view.locator('.jp-VisionLens-extSection[data-section="box-count-section"]');
    await expect(section.locator('.jp-VisionLens-sectionTitle')).toHaveText(
      'Boxes per class (example plugin)'
    );
    await expect(section.locator('.vl-example-total')).toHaveText(
      `${sample.annotations.length} boxes in total`
    );
    const perClass = new Map<string, number>();
    for (const box of sample.annotations) {
      perClass.set(box.label, (perClass.get(box.label) ?? 0) + 1);
    }
    await expect(section.locator('.vl-example-counts li')).toHaveCount(perClass.size);
    // The section sets the shared selection: the grid shows it.
    await command(page, 'visionlens:clear-selection');
    await section.locator('.vl-example-select').click();
    await command(page, 'visionlens:open-grid', { dataset: DEMO });
    await expect(grid.locator('.jp-VisionLens-tile[data-index="0"]')).toHaveClass(
      /jp-mod-selected/
    );
    await command(page, 'visionlens:clear-selection');
  });

  test('the example colour scheme colours the map', async ({ page }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-map', { dataset: DEMO, method: 'pca' });
    const map = page.locator('#visionlens-map-main .jp-VisionLens-map');
    await expect(map).toHaveAttribute('data-points', /\d+/, { timeout: 60000 });
    await map.locator('.jp-VisionLens-mapColor').selectOption('top_class');
    const swatches = map.locator('.jp-VisionLens-mapSwatch');
    await expect(swatches.first()).toBeVisible();
    await map.locator('.jp-VisionLens-mapScheme').selectOption('example-rdbu');
    // Value ranks 0 and 1 take the scheme's first two colours (#b2182b, #ef8a62).
    await expect(swatches.nth(0)).toHaveCSS('background-color', 'rgb(178, 24, 43)');
    await expect(swatches.nth(1)).toHaveCSS('background-color', 'rgb(239, 138, 98)');
    await map.locator('.jp-VisionLens-mapColor').selectOption('box_count');
    const ramp = map.locator('.jp-VisionLens-mapLegendRamp');
    await expect(ramp).toHaveAttribute('style', /rgb\(120, ?0, ?40\).*rgb\(255, ?220, ?40\)/);
    // Back to the built-in colours.
    await map.locator('.jp-VisionLens-mapScheme').selectOption('');
    await expect(ramp).toHaveAttribute('style', /rgb\(68, ?1, ?84\)/);
  });

  test('the Plugins panel lists Python plugins with status and errors, and lab contributions', async ({
    page,
    request
  }) => {
    const listing = await api(request, 'plugins');
    const byName = new Map<string, any>(listing.plugins.map((p: any) => [p.name, p]));
    expect(byName.get('ui-tools')?.status).toBe('loaded');
    const failed = listing.plugins.filter((p: any) => p.status === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);

    // Opened from the datasets panel's link.
    await command(page, 'visionlens:open-panel');
    const header = page.locator('#visionlens-datasets .jp-VisionLens-panelHeader');
    await clickToolbarItem(page, header, '.jp-VisionLens-openPlugins');
    const panel = page.locator('.jp-VisionLens-plugins');
    await expect(panel.locator('.jp-VisionLens-pluginRow')).toHaveCount(listing.plugins.length);

    const tools = panel.locator('.jp-VisionLens-pluginRow[data-plugin="ui-tools"]');
    await expect(tools).toHaveAttribute('data-status', 'loaded');
    await expect(tools.locator('td').nth(1)).toHaveText('0.3.1');
    await expect(tools.locator('td').nth(2)).toHaveText('1.0');
    await expect(tools.locator('td').nth(3)).toHaveText('agent_tools');

    for (const plugin of failed) {
      const row = panel.locator(`.jp-VisionLens-pluginRow[data-status="failed"]`, {
        has: page.locator('td', { hasText: plugin.name })
      });
      await expect(row.locator('.jp-VisionLens-status')).toHaveText('failed');
      // The server's error, verbatim, as text.
      await expect(row.locator('.jp-VisionLens-pluginError')).toHaveText(plugin.error);
    }
    const future = failed.find((p: any) => p.error.includes('9.0'));
    expect(future, JSON.stringify(failed)).toBeTruthy();
    const broken = failed.find((p: any) => p.error.includes('visionlens_no_such_module'));
    expect(broken, JSON.stringify(failed)).toBeTruthy();

    // The example extension's contributions, by owner.
    const lab = panel.locator('.jp-VisionLens-contributionRow');
    await expect(lab.filter({ hasText: EXAMPLE })).toHaveCount(3);
    await expect(panel.locator('.jp-VisionLens-contributionRow[data-contribution="box-count-badge"] td').nth(3)).toHaveText('none');
  });
});
