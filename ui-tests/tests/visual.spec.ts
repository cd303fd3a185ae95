/**
 * Visual regression (#32, items 2, 5 and "Tests"): every VisionLens panel at
 * three widths in both themes, compared with the committed baselines in
 * visual.spec.ts-snapshots/ (regenerate after an intended change with
 * `jlpm playwright test tests/visual.spec.ts --update-snapshots`, and look
 * at the pictures before committing them).
 *
 * The panels show the `visual` dataset (global-setup.js: a 24-image demo with
 * its simulated model evaluated), which no other spec changes, so what they
 * draw depends only on the code. What does change from run to run (dates,
 * the map's layout) is masked. A forgotten style sheet, a toolbar that wraps
 * or a cut label shows as a difference larger than the tolerance.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import type { Locator } from '@playwright/test';

import {
  command,
  imagesLoaded,
  openGrid,
  patchTile,
  setTheme
} from './helpers';

const DATASET = 'visual';
const MODEL = 'simulated-model';

/** Widths of the side panels (JupyterLab's sidebar) and of the whole page. */
const SIDEBAR_WIDTHS = [250, 400, 600];
const PAGE_WIDTHS = [800, 1200, 1600];
const HEIGHT = 640;

/** Rendering differences a different CPU's rasteriser may make, and no more. */
const TOLERANCE = { maxDiffPixelRatio: 0.01, threshold: 0.2 };

const THEMES: [string, boolean][] = [
  ['light', false],
  ['dark', true]
];

/**
 * Wait until every toolbar in `panel` holds its items on one row: after a width
 * change a toolbar places its items again a moment later (a loaded machine
 * shows the wrapped rows in between, and a screenshot would take them).
 */
async function toolbarsPlaced(panel: Locator): Promise<void> {
  await expect
    .poll(
      () =>
        panel.evaluate(node => {
          // the toolbars the screenshot holds: those inside the panel's box (a
          // card scrolled far below is not photographed)
          const view = node.getBoundingClientRect();
          return Array.from(node.querySelectorAll('.jp-VisionLens-toolbar'))
            .filter(bar => {
              const box = bar.getBoundingClientRect();
              return box.bottom > view.top && box.top < view.bottom;
            })
            .every(bar => {
              const shown = Array.from(bar.children)
                .map(item => item.getBoundingClientRect())
                .filter(box => box.width > 0);
              return shown.every(box => box.top < shown[0].bottom);
            });
        }),
      { timeout: 30000 }
    )
    .toBe(true);
}

/** Compare `panel` with its baseline once the pointer is off it and images are in. */
async function matches(panel: Locator, name: string, mask: Locator[] = []): Promise<void> {
  await panel.page().mouse.move(0, 0);
  await imagesLoaded(panel);
  await toolbarsPlaced(panel);
  await expect(panel).toHaveScreenshot(`${name}.png`, { ...TOLERANCE, mask });
}

/**
 * Open a side panel by its command and compare `part` of it (the panel by
 * default) at each sidebar width.
 */
async function sidePanel(
  page: IJupyterLabPageFixture,
  opener: string,
  id: string,
  theme: string,
  ready: (panel: Locator) => Promise<Locator | void>
): Promise<void> {
  await page.setViewportSize({ width: 1400, height: HEIGHT });
  await command(page, opener);
  const panel = page.locator(`#${id}`);
  await expect(panel).toBeVisible();
  const side = (await panel.evaluate(el => el.closest('#jp-left-stack') !== null))
    ? 'left'
    : 'right';
  for (const width of SIDEBAR_WIDTHS) {
    await page.sidebar.setWidth(width, side);
    const part = (await ready(panel)) ?? panel;
    await matches(part, `${id}-${width}-${theme}`, [part.locator('[data-stat="created"]')]);
  }
}

test.describe('Visual regression', () => {
  test.use({ autoGoto: true });
  test.setTimeout(300 * 1000);

  for (const [theme, dark] of THEMES) {
    test(`side panels at three sidebar widths, ${theme} theme`, async ({ page }) => {
      await setTheme(page, dark);
      await openGrid(page, DATASET);
      // the dataset's own card (the list holds every spec's datasets)
      await sidePanel(page, 'visionlens:open-panel', 'visionlens-datasets', theme, async panel => {
        const card = panel.locator(`.jp-VisionLens-datasetCard[data-dataset="${DATASET}"]`);
        await card.scrollIntoViewIfNeeded();
        return card;
      });
      await sidePanel(page, 'visionlens:open-filters', 'visionlens-filters', theme, async panel => {
        await expect(panel.locator('.jp-VisionLens-facets')).not.toHaveClass(/jp-mod-loading/);
      });
      await sidePanel(
        page,
        'visionlens:open-duplicates',
        'visionlens-duplicates',
        theme,
        async panel => {
          await expect(panel.locator('button').first()).toBeVisible();
        }
      );
      await sidePanel(
        page,
        'visionlens:open-blindspots',
        'visionlens-blindspots',
        theme,
        async panel => {
          await expect(panel.locator('select option').first()).toBeAttached();
        }
      );
    });

    test(`the quality panel at three sidebar widths, ${theme} theme`, async ({ page }) => {
      await setTheme(page, dark);
      await openGrid(page, DATASET);
      await sidePanel(page, 'visionlens:open-quality', 'visionlens-quality', theme, async panel => {
        await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(MODEL);
        await expect(panel.locator('.jp-VisionLens-qualityLabelRows .jp-VisionLens-qualityRow')).toHaveCount(4);
        await expect(panel.locator('.jp-VisionLens-qualityImageRows .jp-VisionLens-qualityRow')).toHaveCount(7);
      });
    });

    test(`main-area panels at three page widths, ${theme} theme`, async ({ page }) => {
      await setTheme(page, dark);
      const grid = await openGrid(page, DATASET);
      await page.sidebar.close('left');
      await page.sidebar.close('right');
      const panels: [string, Record<string, unknown>, (panel: Locator) => Promise<void>][] = [
        [
          'visionlens-grid-main',
          { dataset: DATASET },
          async panel => {
            await expect(panel.locator('.jp-VisionLens-count')).toHaveText(/^24 of 24 samples$/);
          }
        ],
        [
          'visionlens-evaluation-main',
          {},
          async panel => {
            await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(MODEL);
            const report = panel.locator('.jp-VisionLens-evalReport').first();
            if (!(await report.isVisible())) {
              await panel.getByRole('button', { name: 'Evaluate' }).click();
            }
            await expect(report).toBeVisible({ timeout: 60000 });
          }
        ],
        [
          'visionlens-patches-main',
          {},
          async panel => {
            await expect(patchTile(panel, 0)).toBeVisible();
          }
        ],
        [
          'visionlens-versions-main',
          {},
          async panel => {
            await expect(panel).toBeVisible();
          }
        ]
      ];
      for (const width of PAGE_WIDTHS) {
        await page.setViewportSize({ width, height: HEIGHT });
        for (const [id, args, ready] of panels) {
          await command(page, id.replace(/^visionlens-(.*)-main$/, 'visionlens:open-$1'), args);
          const panel = page.locator(`#${id}`);
          await expect(panel).toBeVisible();
          await ready(panel);
          // (the evaluation's status line says how long it took)
          await matches(panel, `${id}-${width}-${theme}`, [
            panel.locator('.jp-VisionLens-evalStatus')
          ]);
        }
        await page.evaluate(() =>
          (window as any).jupyterapp.shell.activateById('visionlens-grid-main')
        );
        // the sample view over the grid (the default)
        await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
        const overlay = page.locator('#visionlens-sample-overlay');
        const view = overlay.locator('#visionlens-sample-overlaid');
        await expect(view.locator('.jp-VisionLens-samplePosition')).toHaveText(/^1 of 24/);
        // (sample ids come from the catalog's sequence, shared by every dataset)
        const sampleId = view.locator('.jp-VisionLens-fieldsTable tr').first().locator('td').last();
        await matches(overlay, `visionlens-sample-overlay-${width}-${theme}`, [sampleId]);
        await overlay.locator('.jp-VisionLens-sampleOverlayClose').click();
        await expect(overlay).toBeHidden();
      }
    });
  }
});
