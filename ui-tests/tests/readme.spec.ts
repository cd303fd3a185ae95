/**
 * The README's screenshots (issue #32, item 11), taken from what a user sees
 * on the demo: the grid beside its filters, the embedding map with a lasso
 * selection, an evaluation report and the blind-spot cards. Each step checks
 * that what it shows is there before the picture is taken, so a broken panel
 * fails here instead of landing in the README. `make screenshots` copies the
 * pictures (build/screenshots/readme-*.jpg) into docs/screenshots/.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

import {
  api,
  command,
  fmt,
  imagesLoaded,
  openGrid,
  openSidebar,
  SCREENSHOTS,
  serverTotal
} from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

test.use({ viewport: { width: 1280, height: 760 } });

/** The whole window as a README picture (JPEG: the thumbnails are photos). */
async function readmeShot(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(0, 0); // no hover card or tooltip in the picture
  await page.waitForTimeout(300); // the layout settles after a panel opens or closes
  await page.screenshot({
    path: path.join(SCREENSHOTS, `readme-${name}.jpg`),
    type: 'jpeg',
    quality: 82,
    animations: 'disabled'
  });
}

/** Close every main-area tab but those whose DOM id is in `keep`. */
async function keepTabs(
  page: IJupyterLabPageFixture,
  keep: string[]
): Promise<void> {
  await page.evaluate(keep => {
    const shell = (window as any).jupyterapp.shell;
    for (const widget of [...shell.widgets('main')]) {
      if (!keep.includes(widget.id)) {
        widget.close();
      }
    }
  }, keep);
}

test.describe('README screenshots', () => {
  test('grid with filters, map with a lasso, evaluation, blind spots', async ({
    page,
    request
  }) => {
    test.setTimeout(360 * 1000);
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');

    // 1. The grid filtered to the validation split and one class.
    await openSidebar(page, 'visionlens-filters');
    const filters = page.locator('#visionlens-filters');
    await filters
      .locator(
        'details[data-facet="split"] .jp-VisionLens-facetValue[data-value="val"] input'
      )
      .check();
    const all = await serverTotal(request, DEMO, {});
    const byVal = { sample: { split: { in: ['val'] } } };
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(await serverTotal(request, DEMO, byVal))} of ${fmt(all)} samples`
    );
    // The facets are redrawn for the split: pick a class after that, by name.
    const classes = filters.locator(
      'details[data-facet="label@ground_truth"] .jp-VisionLens-facetValue'
    );
    const cls = (await classes.first().getAttribute('data-value')) as string;
    await classes
      .and(page.locator(`[data-value="${cls}"]`))
      .locator('input')
      .check();
    const filter = {
      ...byVal,
      labels: [{ source: 'ground_truth', classes: [cls] }]
    };
    const matching = await serverTotal(request, DEMO, filter);
    expect(matching).toBeGreaterThan(0);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${fmt(matching)} of ${fmt(all)} samples`
    );
    await keepTabs(page, ['visionlens-grid-main']);
    await page.sidebar.close('left');
    await imagesLoaded(grid);
    await readmeShot(page, 'grid-filters');

    // 2. The embedding map, a lasso drawn over its middle, the grid beside it.
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:open-map', {
      dataset: DEMO,
      method: 'pca'
    });
    const map = page.locator('#visionlens-map-main .jp-VisionLens-map');
    await expect(map).toHaveAttribute('data-points', /\d+/, {
      timeout: 60_000
    });
    await page.sidebar.close('right');
    await map.locator('.jp-VisionLens-mapColor').selectOption('top_class');
    await map.locator('.jp-VisionLens-mapTool[data-tool="lasso"]').click();
    const body = (await map.locator('.jp-VisionLens-mapBody').boundingBox())!;
    const at = (fx: number, fy: number) =>
      [body.x + fx * body.width, body.y + fy * body.height] as const;
    const ring: [number, number][] = [
      [0.25, 0.25],
      [0.6, 0.2],
      [0.7, 0.55],
      [0.45, 0.75],
      [0.2, 0.6]
    ];
    await page.mouse.move(...at(...ring[0]));
    await page.mouse.down();
    for (const [fx, fy] of [...ring.slice(1), ring[0]]) {
      await page.mouse.move(...at(fx, fy), { steps: 6 });
    }
    await page.mouse.up();
    await expect(map.locator('.jp-VisionLens-mapSelection')).toHaveText(
      /^[\d,]+ selected$/
    );
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText(
      /^[\d,]+ selected$/
    );
    await imagesLoaded(grid);
    await readmeShot(page, 'map-lasso');

    // 3. The evaluation report of the demo's simulated model.
    await command(page, 'visionlens:open-evaluation');
    const evaluation = page.locator('#visionlens-evaluation-main');
    await expect(evaluation.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await evaluation.getByRole('button', { name: 'Evaluate' }).click();
    const report = evaluation.locator('.jp-VisionLens-evalReport').first();
    await expect(report.locator('.jp-VisionLens-evalTitle')).toHaveText(
      /^simulated-model · /,
      {
        timeout: 60_000
      }
    );
    await expect(evaluation.locator('.jp-VisionLens-evalStatus')).toHaveText(
      ''
    );
    await keepTabs(page, ['visionlens-evaluation-main']);
    await expect(
      report.locator('.jp-VisionLens-evalStat').first()
    ).toBeVisible();
    await readmeShot(page, 'evaluation');

    // 4. Blind spots: the stored run's cards, or a run if there is none yet, beside the grid.
    await keepTabs(page, []);
    const again = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-selection');
    await expect(again.locator('.jp-VisionLens-selectionCount')).toHaveText(
      'none selected'
    );
    await command(page, 'visionlens:open-blindspots');
    const spots = page.locator('#visionlens-blindspots');
    await expect(spots.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    const cards = spots.locator('.jp-VisionLens-bsCard');
    const stored = await api(
      request,
      `datasets/${DEMO}/blindspots?model=${MODEL}`
    ).catch(() => null);
    if (!stored?.findings?.length) {
      await spots.locator('.jp-VisionLens-bsRun').click();
    }
    await expect(cards.first()).toBeVisible({ timeout: 240_000 });
    const result = await api(
      request,
      `datasets/${DEMO}/blindspots?model=${MODEL}`
    );
    await expect(cards).toHaveCount(result.findings.length);
    await readmeShot(page, 'blindspots');
  });
});
