/**
 * The embedding map in real JupyterLab and Chromium (software WebGL2): a lasso
 * drawn in test coordinates selects exactly the server's ids for its polygon
 * and the grid shows them; filter counts agree with the grid; colour legends;
 * the colour field outlives the panel; thumbnails once zoomed in; WebGL
 * context loss keeps the selection; light and dark screenshots.
 * Data: the 300-image demo with class-clustered vectors (map_test_data.py).
 */
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import { api, command, fmt, openGrid, openSidebar, serverTotal, setTheme } from './helpers';
import { lasso, openMap, serverIds } from './mapHelpers';

const DEMO = 'demo';
/** Screenshots go to the build folder, not docs/. */
const SHOTS = path.resolve(__dirname, '..', 'test-results', 'map-screenshots');

test.describe('VisionLens map', () => {
  test.beforeEach(async ({ page }) => {
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
  });

  test('lasso selects the server answer for its polygon, in the grid too', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    const total = await serverTotal(request, DEMO, {});
    await expect(map.locator('.jp-VisionLens-mapCount')).toHaveText(`${fmt(total)} points`);

    await lasso(page, map, [
      [0.2, 0.2],
      [0.6, 0.15],
      [0.55, 0.5],
      [0.75, 0.8],
      [0.25, 0.7]
    ]);
    await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(/selected/);
    const ids = await serverIds(request, map, DEMO);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(total);
    await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(`${fmt(ids.length)} selected`);
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText(
      `${fmt(ids.length)} selected`
    );
    // Every tile the grid shows is marked selected exactly when its id is in the answer.
    const wanted = new Set(ids);
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    const shown = await tiles.evaluateAll(els =>
      els.map(el => [Number(el.getAttribute('data-sample-id')), el.classList.contains('jp-mod-selected')])
    );
    expect(shown.length).toBeGreaterThan(0);
    for (const [id, selected] of shown) {
      expect(selected).toBe(wanted.has(id as number));
    }
    // The code box reproduces the polygon.
    await expect(map.locator('.jp-VisionLens-mapCodeText')).toContainText('points_in_polygon');

    // Alt subtracts a second lasso; the count is the set difference.
    await lasso(
      page,
      map,
      [
        [0.0, 0.0],
        [0.5, 0.0],
        [0.5, 1.0],
        [0.0, 1.0]
      ],
      'Alt'
    );
    const removed = new Set(await serverIds(request, map, DEMO));
    const left = ids.filter(id => !removed.has(id)).length;
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText(
      left ? `${fmt(left)} selected` : ''
    );
  });

  test('filter: the map count equals the grid count; hide and dim', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await openSidebar(page, 'visionlens-filters');
    const filters = page.locator('#visionlens-filters');
    const label = filters.locator('details[data-facet="label@ground_truth"]');
    const first = label.locator('.jp-VisionLens-facetValue').first();
    const cls = (await first.getAttribute('data-value')) as string;
    await first.locator('input').check();
    const expected = await serverTotal(request, DEMO, {
      labels: [{ source: 'ground_truth', classes: [cls] }]
    });
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(new RegExp(`^${fmt(expected)} of`));
    await expect(map.locator('.jp-VisionLens-mapCount')).toHaveText(`${fmt(expected)} points`);
    await map.locator('.jp-VisionLens-mapFilterMode').selectOption('dim');
    await expect(map.locator('.jp-VisionLens-mapCount')).toHaveText(`${fmt(expected)} points`);
    await command(page, 'visionlens:clear-filters');
  });

  test('points are drawn where the panel projects them (y up, no mirror)', async ({
    page,
    request
  }) => {
    await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await map.locator('.jp-VisionLens-mapFitAll').click();
    const mapId = await map.getAttribute('data-map-id');
    // The points frame as the server sends it (magic, header length, JSON header, x, y).
    const response = await request.get(
      `${process.env.TARGET_URL}/visionlens/api/datasets/${DEMO}/maps/${mapId}/points`
    );
    const raw = await response.body();
    const headerLength = raw.readUInt32LE(4);
    const header = JSON.parse(raw.subarray(8, 8 + headerLength).toString());
    const n = header.points;
    const xs = Array.from({ length: n }, (_, i) => raw.readFloatLE(8 + headerLength + 4 * i));
    const ys = Array.from({ length: n }, (_, i) =>
      raw.readFloatLE(8 + headerLength + 4 * n + 4 * i)
    );
    const body = map.locator('.jp-VisionLens-mapBody');
    const box = (await body.boundingBox())!;
    const view = JSON.parse((await map.getAttribute('data-view')) as string);
    const s = 2 ** view.zoom;
    const screen = xs.map((x, i) => [
      box.width / 2 + (x - view.target[0]) * s,
      box.height / 2 - (ys[i] - view.target[1]) * s
    ]);
    // Probes: every point's own pixel, and pixels with no point within 6 px (few points in view are drawn 6 px wide).
    const probes: { x: number; y: number; point: boolean }[] = screen.map(([x, y]) => ({
      x: Math.round(x),
      y: Math.round(y),
      point: true
    }));
    for (let y = 8; y < box.height - 8; y += 16) {
      for (let x = 8; x < box.width - 8; x += 16) {
        if (screen.every(([px, py]) => Math.max(Math.abs(px - x), Math.abs(py - y)) > 6)) {
          probes.push({ x, y, point: false });
        }
      }
    }
    const png = await body.screenshot();
    const painted = await page.evaluate(
      async ({ b64, probes }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const bg = ctx.getImageData(1, 1, 1, 1).data;
        return probes.map(({ x, y }) => {
          const d = ctx.getImageData(x - 1, y - 1, 3, 3).data;
          for (let i = 0; i < d.length; i += 4) {
            const diff =
              Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]);
            if (diff > 60) {
              return true;
            }
          }
          return false;
        });
      },
      { b64: png.toString('base64'), probes }
    );
    const onPoints = probes.filter((p, i) => p.point && p.x > 1 && !painted[i]);
    const offPoints = probes.filter((p, i) => !p.point && painted[i]);
    expect(probes.filter(p => !p.point).length).toBeGreaterThan(100);
    expect(onPoints).toEqual([]);
    expect(offPoints).toEqual([]);
  });

  test('colour by a field shows its legend', async ({ page, request }) => {
    await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await map.locator('.jp-VisionLens-mapColor').selectOption('top_class');
    const legend = map.locator('.jp-VisionLens-mapLegend');
    await expect(legend.locator('.jp-VisionLens-mapLegendTitle')).toHaveText('top_class');
    const info = await api(request, `datasets/${DEMO}`);
    const rows = legend.locator('.jp-VisionLens-mapLegendLabel');
    await expect(rows.first()).toBeVisible();
    for (const text of await rows.allTextContents()) {
      expect([...info.categories, '(none)', 'other']).toContain(text);
    }
    await map.locator('.jp-VisionLens-mapColor').selectOption('box_count');
    await expect(legend.locator('.jp-VisionLens-mapLegendRamp')).toBeVisible();
  });

  test('a reopened map colours by the field picked before', async ({ page }) => {
    await openGrid(page, DEMO);
    let map = await openMap(page, DEMO);
    const title = () => map.locator('.jp-VisionLens-mapLegend .jp-VisionLens-mapLegendTitle');
    // one of the dataset's own fields (offered once its facets are read)
    await map.locator('.jp-VisionLens-mapColor').selectOption('fields.weather');
    await expect(title()).toHaveText('fields.weather');

    await page.locator('.lm-TabBar-tab[data-id="visionlens-map-main"] .lm-TabBar-tabCloseIcon').click();
    await expect(page.locator('#visionlens-map-main')).toHaveCount(0);
    map = await openMap(page, DEMO);
    await expect(map.locator('.jp-VisionLens-mapColor')).toHaveValue('fields.weather');
    await expect(title()).toHaveText('fields.weather');
    await map.locator('.jp-VisionLens-mapColor').selectOption('');
  });

  test('a lost WebGL context is rebuilt and keeps the selection', async ({ page }) => {
    await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await lasso(page, map, [
      [0.1, 0.1],
      [0.9, 0.1],
      [0.9, 0.9],
      [0.1, 0.9]
    ]);
    await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(/selected/);
    const before = await map.locator('.jp-VisionLens-mapSelection').textContent();
    await map.locator('canvas').evaluate(canvas => {
      const gl = (canvas as HTMLCanvasElement).getContext('webgl2')!;
      gl.getExtension('WEBGL_lose_context')!.loseContext();
    });
    await expect(map).toHaveAttribute('data-recoveries', '1');
    await expect(map.locator('canvas')).toHaveCount(1);
    await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(before as string);
    // The new context draws frames (the attribute was dropped when the context was lost).
    await expect(map).toHaveAttribute('data-frame-ms', /\d/);
  });

  test('zoomed in to a few points, thumbnails replace the dots', async ({ page, request }) => {
    await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await map.locator('.jp-VisionLens-mapFitAll').click();
    const thumbs = map.locator('img.jp-VisionLens-mapThumb');
    // The whole demo map in view: dots, no thumbnails.
    await expect(thumbs).toHaveCount(0);
    const body = map.locator('.jp-VisionLens-mapBody');
    const box = (await body.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let k = 0; k < 6 && (await thumbs.count()) === 0; k++) {
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(300);
    }
    await expect(thumbs.first()).toBeVisible();
    // One thumbnail per point in view, each the image of its own sample.
    const mapId = await map.getAttribute('data-map-id');
    const raw = await (
      await request.get(
        `${process.env.TARGET_URL}/visionlens/api/datasets/${DEMO}/maps/${mapId}/points`
      )
    ).body();
    const headerLength = raw.readUInt32LE(4);
    const n = JSON.parse(raw.subarray(8, 8 + headerLength).toString()).points;
    const at = (k: number) => raw.readFloatLE(8 + headerLength + 4 * k);
    const view = JSON.parse((await map.getAttribute('data-view')) as string);
    const s = 2 ** view.zoom;
    let inView = 0;
    for (let i = 0; i < n; i++) {
      const x = box.width / 2 + (at(i) - view.target[0]) * s;
      const y = box.height / 2 - (at(n + i) - view.target[1]) * s;
      inView += x >= 0 && x <= box.width && y >= 0 && y <= box.height ? 1 : 0;
    }
    expect(inView).toBeGreaterThan(0);
    expect(inView).toBeLessThan(n);
    await expect(thumbs).toHaveCount(inView);
    const src = (await thumbs.first().getAttribute('src')) as string;
    const id = (await thumbs.first().getAttribute('data-sample-id')) as string;
    expect(src).toContain(`/samples/${id}/image`);
  });

  test('screenshots in light and dark themes', async ({ page }) => {
    await openGrid(page, DEMO);
    const map = await openMap(page, DEMO);
    await map.locator('.jp-VisionLens-mapColor').selectOption('top_class');
    await expect(map.locator('.jp-VisionLens-mapLegendTitle')).toHaveText('top_class');
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await map.screenshot({ path: path.join(SHOTS, `map-${dark ? 'dark' : 'light'}.png`) });
    }
    await setTheme(page, false);
  });
});
