/**
 * TP/FP/FN colouring (#32 item 7): with the toolbar's "TP/FP/FN" toggle on,
 * a tile's boxes are stroked in the theme's success / error / warning
 * colours, FP and FN with their own line styles, as the server's statuses
 * for that sample say (GET with `eval_status`), and the legend shows; off,
 * the class colours come back.
 */
import { expect, test } from './fixtures';

import { api, command, openUnfiltered, setTheme, toolbarItem } from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

/** How a tile's boxes are drawn, in drawing order. */
interface IDrawn {
  status: string | null;
  stroke: string | null;
  dash: string | null;
  width: number;
}

test.describe('TP/FP/FN colours', () => {
  test('colour the boxes by evaluation status, and by class again when off', async ({
    page,
    request
  }) => {
    const { grid } = await openUnfiltered(page, DEMO);
    // the model the grid colours by without an evaluation filter: the newest evaluated
    const { evaluations } = await api(request, `datasets/${DEMO}/evaluations`);
    const model: string = evaluations.find((e: any) => e.latest).model;
    const tile = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const id = Number(await tile.getAttribute('data-sample-id'));
    const sample = await api(
      request,
      `datasets/${DEMO}/samples/${id}?eval_status=${encodeURIComponent(model)}`
    );
    const bar = grid.locator('.jp-VisionLens-gridTagBar');
    const threshold = Number(
      await (await toolbarItem(page, bar, '.jp-VisionLens-confidence')).inputValue()
    );
    await page.keyboard.press('Escape');
    const visible: any[] = sample.annotations.filter(
      (a: any) => a.source === 'ground_truth' || a.score === null || a.score >= threshold
    );
    const judged = (s: unknown) => (s === 'tp' || s === 'fp' || s === 'fn' ? s : null);
    const expected = visible.map(a => judged(a.status));
    expect(expected.filter(s => s !== null).length).toBeGreaterThan(0);

    const boxes = tile.locator('g.jp-VisionLens-box');
    const drawn = () =>
      boxes.evaluateAll(gs =>
        gs.map(g => {
          const rect = g.querySelector('rect') as SVGRectElement;
          return {
            status: (g as SVGGElement).dataset.status ?? null,
            stroke: rect.getAttribute('stroke'),
            dash: rect.getAttribute('stroke-dasharray'),
            width: Number(rect.getAttribute('stroke-width'))
          };
        })
      );
    await expect(boxes).toHaveCount(visible.length);
    const byClass: IDrawn[] = await drawn();
    expect(byClass.every(b => b.status === null)).toBe(true);

    const toggle = await toolbarItem(page, bar, '.jp-VisionLens-evalColours input');
    await expect(toggle).not.toBeChecked();
    await toggle.check();
    const legend = (await toolbarItem(page, bar, '.jp-VisionLens-evalLegend')).first();
    await expect(legend).toBeVisible();
    await expect(legend.locator('[data-status]')).toHaveText(['TP', 'FP', 'FN (missed)']);
    await page.keyboard.press('Escape');

    // the page is fetched again with the statuses: the tile's boxes follow the server's
    await expect
      .poll(async () => (await drawn()).map(b => b.status))
      .toEqual(expected);
    const colours = await page.evaluate(() => {
      const style = getComputedStyle(document.body);
      const read = (name: string) => style.getPropertyValue(name).trim();
      return {
        tp: read('--jp-success-color1'),
        fp: read('--jp-error-color1'),
        fn: read('--jp-warn-color1')
      };
    });
    const byStatus: IDrawn[] = await drawn();
    const normal = Math.min(...byClass.map(b => b.width));
    visible.forEach((a, i) => {
      const box = byStatus[i];
      const status = expected[i];
      if (status === null) {
        expect(box).toEqual(byClass[i]); // not judged: its class colour and line
        return;
      }
      expect(box.stroke).toBe(colours[status]);
      if (status === 'fp') {
        expect(box.dash).not.toBeNull();
        expect(box.width).toBeGreaterThan(normal);
      } else if (status === 'fn') {
        expect(box.dash).not.toBeNull();
        expect(box.width).toBeGreaterThan(normal);
      } else {
        expect(box.dash).toBe(byClass[i].dash); // TP: the usual line
      }
    });
    // the three statuses' lines differ without their colours
    const lines = new Map(
      byStatus.flatMap((b, i) => (expected[i] ? [[expected[i], `${b.dash}/${b.width}`]] : []))
    );
    expect(new Set(lines.values()).size).toBe(lines.size);

    // a theme switch: the drawn statuses take the new theme's colours
    const judgedAt = expected.findIndex(s => s !== null);
    const judgedStatus = expected[judgedAt] as 'tp' | 'fp' | 'fn';
    const variable = { tp: '--jp-success-color1', fp: '--jp-error-color1', fn: '--jp-warn-color1' }[
      judgedStatus
    ];
    await setTheme(page, true);
    const dark = await page.evaluate(
      name => getComputedStyle(document.body).getPropertyValue(name).trim(),
      variable
    );
    expect(dark).not.toBe(colours[judgedStatus]);
    await expect.poll(async () => (await drawn())[judgedAt].stroke).toBe(dark);
    await setTheme(page, false);
    await expect
      .poll(async () => (await drawn())[judgedAt].stroke)
      .toBe(colours[judgedStatus]);

    // off: the class colours and lines again, and no legend
    const again = await toolbarItem(page, bar, '.jp-VisionLens-evalColours input');
    await again.uncheck();
    await expect(legend).toBeHidden();
    await page.keyboard.press('Escape');
    await expect.poll(drawn).toEqual(byClass);
  });

  test('colour by the report shown in the Evaluation panel, named in the legend', async ({
    page,
    request
  }) => {
    // The demo's detector evaluated as keypoints, then as boxes (the latest).
    const keys: { [type: string]: string } = {};
    for (const iouType of ['keypoints', 'bbox']) {
      const { job } = await api(request, `datasets/${DEMO}/evaluations`, {
        model: MODEL,
        protocol: 'coco',
        iou: 0.5,
        plus_one: false,
        iou_type: iouType
      });
      await expect
        .poll(async () => (await api(request, `jobs/${job.id}`)).status, { timeout: 120000 })
        .toBe('done');
      keys[iouType] = (await api(request, `jobs/${job.id}`)).result.key;
    }
    const { grid } = await openUnfiltered(page, DEMO);
    const bar = grid.locator('.jp-VisionLens-gridTagBar');
    const threshold = Number(
      await (await toolbarItem(page, bar, '.jp-VisionLens-confidence')).inputValue()
    );
    await page.keyboard.press('Escape');
    const tile = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const id = Number(await tile.getAttribute('data-sample-id'));
    /** The statuses of the tile's drawn boxes in one evaluation, as the server has them. */
    const stored = async (key: string) => {
      const sample = await api(request, `datasets/${DEMO}/samples/${id}?eval_status=${key}`);
      return sample.annotations
        .filter((a: any) => a.source === 'ground_truth' || a.score === null || a.score >= threshold)
        .map((a: any) => (['tp', 'fp', 'fn'].includes(a.status) ? a.status : null));
    };
    const byBoxes = await stored(keys.bbox);
    const byKeypoints = await stored(keys.keypoints);
    expect(byBoxes).not.toEqual(byKeypoints); // keypoints judge the stars only
    const drawn = () =>
      tile
        .locator('g.jp-VisionLens-box')
        .evaluateAll(gs => gs.map(g => (g as SVGGElement).dataset.status ?? null));

    await (await toolbarItem(page, bar, '.jp-VisionLens-evalColours input')).check();
    // the legend names the evaluation (in the bar, or in its "…" menu)
    const named = grid
      .locator('.jp-VisionLens-evalLegendOf')
      .or(page.locator('.jp-Toolbar-responsive-popup .jp-VisionLens-evalLegendOf'))
      .first();
    await expect(named).toHaveText(`${MODEL} · COCO bbox @0.5:`);
    await page.keyboard.press('Escape');
    await expect.poll(drawn).toEqual(byBoxes); // no report picked: the newest

    await command(page, 'visionlens:open-evaluation');
    const report = page.locator('#visionlens-evaluation-main select[aria-label="Report"]');
    await report.selectOption(keys.keypoints);
    await expect.poll(drawn).toEqual(byKeypoints);
    await expect(named).toHaveText(`${MODEL} · COCO keypoints @0.5:`);
    await report.selectOption(keys.bbox);
    await expect.poll(drawn).toEqual(byBoxes);
    await expect(named).toHaveText(`${MODEL} · COCO bbox @0.5:`);
    await (await toolbarItem(page, bar, '.jp-VisionLens-evalColours input')).uncheck();
    await page.keyboard.press('Escape');
  });
});
