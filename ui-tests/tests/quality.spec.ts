/**
 * The quality view on the `demo` dataset (evaluated with `simulated-model` by
 * global-setup.js): its jobs run from the panel with progress, a label-issue
 * count equals the server's and a click opens the patches view of exactly
 * that many objects, worst first; an image-issue click filters the grid to
 * its images, worst first. The label part says what its scores are
 * (disagreements with the model, not label errors), each label row shows its
 * worst example drawn with the prediction it disagrees with (its class and
 * score), and each row's notebook code stays hidden until asked for.
 */
import { expect, test } from './fixtures';

import {
  api,
  command,
  fmt,
  openGrid,
  patchesCount,
  patchTile,
  patchTiles
} from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

test.describe('Quality view', () => {
  test.use({ autoGoto: true });
  test.setTimeout(300 * 1000);

  test('label and image issues: counts, one click to their members worst first, code', async ({
    page,
    request
  }) => {
    await openGrid(page, DEMO);
    await command(page, 'visionlens:open-quality');
    const panel = page.locator('#visionlens-quality');
    await expect(panel.locator('.jp-VisionLens-panelTitle')).toHaveText('Quality');
    await panel.locator('select[aria-label="Model"]').selectOption(MODEL);

    // score the labels from the panel (a job; again when an earlier run left one)
    const runLabel = panel.locator('.jp-VisionLens-qualityRunLabel');
    await expect(runLabel).toBeEnabled();
    await runLabel.click();
    const rows = panel.locator('.jp-VisionLens-qualityLabelRows .jp-VisionLens-qualityRow');
    await expect(rows).toHaveCount(4, { timeout: 120000 });
    await expect(runLabel).toHaveText('Score the labels again');

    const overview = await api(request, `datasets/${DEMO}/quality?model=${MODEL}`);
    const stored = await api(request, `datasets/${DEMO}/label-quality?model=${MODEL}`);
    const issues: any[] = overview.label.issues;
    for (const row of issues) {
      // the count the CLI prints (the run's summary) is the panel's
      expect(row.count).toBe(stored.summary.flagged[row.issue]);
      await expect(panel.locator(`.jp-VisionLens-qualityRow[data-issue="${row.issue}"]`)).toHaveAttribute(
        'data-count',
        String(row.count)
      );
    }
    // what the scores are: disagreements with the model, with the run's parameters
    const total = issues.reduce((sum: number, r: any) => sum + r.count, 0);
    await expect(panel.locator('.jp-VisionLens-qualityHeadline')).toHaveText(
      `${fmt(total)} possible label ${total === 1 ? 'issue' : 'issues'} (disagreements with ${MODEL})`
    );
    await expect(panel.locator('.jp-VisionLens-qualityParams')).toContainText(
      `${fmt(overview.label.objects)} labels and predictions compared with ${MODEL}`
    );
    await expect(panel).not.toContainText('label error');

    // a wrong-class row's worst example: the prediction it disagrees with, drawn with its class and score
    const swapped = issues.find((r: any) => r.issue === 'swapped');
    expect(swapped.count).toBeGreaterThan(0); // the simulated model confuses classes
    const { example } = swapped;
    expect(example.match.source).toBe(MODEL);
    expect(example.match.label).not.toBe(example.label);
    const said = `${example.match.label} ${example.match.score.toFixed(2)}`;
    const worst0 = panel.locator('.jp-VisionLens-qualityRow[data-issue="swapped"] .jp-VisionLens-qualityExample');
    await expect(worst0).toHaveAttribute('data-match-id', String(example.match.ann_id));
    await expect(worst0.locator('.jp-VisionLens-qualityExampleText')).toHaveText(
      `Worst: ${MODEL} says '${example.match.label}' (${example.match.score.toFixed(2)}) ` +
        `where the label says '${example.label}'`
    );
    await expect(worst0.locator('g.jp-mod-pred text')).toHaveText(said);
    await expect(worst0.locator('g.jp-mod-pred rect')).toHaveAttribute('stroke-dasharray', /\d/);
    await expect(worst0.locator('g.jp-mod-gt text')).toHaveText(example.label);

    const row = issues.reduce((a, b) => (b.count > a.count ? b : a));
    expect(row.count).toBeGreaterThan(0);
    const shown = panel.locator(`.jp-VisionLens-qualityRow[data-issue="${row.issue}"]`);
    await expect(shown.locator('.jp-VisionLens-qualityOpen')).toContainText(fmt(row.count));
    // the code is out of the way until asked for
    const code = shown.locator('.jp-VisionLens-qualityCode');
    await expect(code).toBeHidden();
    await expect(panel.locator('.jp-VisionLens-qualityCode:visible')).toHaveCount(0);
    await shown.locator('.jp-VisionLens-qualityCodeToggle').click();
    await expect(code).toBeVisible();
    await expect(code.locator('.jp-VisionLens-codeText')).toContainText(row.code);

    await shown.locator('.jp-VisionLens-qualityOpen').click();
    const patches = page.locator('#visionlens-patches-main');
    const last = Math.min(60, row.count);
    await expect(patches.locator('.jp-VisionLens-patchesCount')).toHaveText(
      patchesCount(row.count)
    );
    const worst = await api(request, `datasets/${DEMO}/patches`, {
      filter: row.filter,
      source: row.source,
      sort: row.sort,
      order: row.order,
      lq_model: row.lq_model,
      limit: last
    });
    expect(worst.total).toBe(row.count);
    const scores = worst.objects.map((o: any) => o.lq_score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => a - b));
    expect(worst.objects.every((o: any) => o.lq_issue === row.issue && o.lq_flagged)).toBe(true);
    // the rows in view (a virtual grid), worst first
    await expect(patchTile(patches, 0)).toHaveAttribute('data-ann-id', String(worst.objects[0].ann_id));
    const shownIds = await patchTiles(patches).evaluateAll(els =>
      els
        .map(e => [Number(e.getAttribute('data-index')), Number(e.getAttribute('data-ann-id'))])
        .sort((a, b) => a[0] - b[0])
        .map(([, id]) => id)
    );
    expect(shownIds.length).toBeGreaterThan(0);
    expect(shownIds).toEqual(worst.objects.slice(0, shownIds.length).map((o: any) => o.ann_id));
    // each patch with a conflicting object draws it, with its class (and a prediction's score)
    const paired = worst.objects.slice(0, shownIds.length).findIndex((o: any) => o.match);
    if (paired >= 0) {
      const m = worst.objects[paired].match;
      const mine = m.source === MODEL ? 'g.jp-mod-pred' : 'g.jp-mod-gt';
      await expect(patchTile(patches, paired).locator(`${mine} text`)).toHaveText(
        m.score === null ? m.label : `${m.label} ${m.score.toFixed(2)}`
      );
    }
    await expect(patches.locator('select[aria-label="Sort"]')).toHaveValue('lq_score');

    // image issues: measure from the panel, then a click filters the grid
    await command(page, 'visionlens:open-quality');
    const runImage = panel.locator('.jp-VisionLens-qualityRunImage');
    await expect(runImage).toBeEnabled();
    await runImage.click();
    const imageRows = panel.locator('.jp-VisionLens-qualityImageRows .jp-VisionLens-qualityRow');
    await expect(imageRows).toHaveCount(7, { timeout: 180000 });
    await expect(runImage).toHaveText('Measure the images again');
    const images = (await api(request, `datasets/${DEMO}/quality`)).image.issues;
    const summary = await api(request, `datasets/${DEMO}/image-quality`);
    expect(images.map((r: any) => r.count)).toEqual(summary.issues.map((e: any) => e.count));
    const flagged = images.find((r: any) => r.count > 0) ?? images[0];
    const imageRow = panel.locator(`.jp-VisionLens-qualityRow[data-issue="${flagged.issue}"]`);
    await expect(imageRow).toHaveAttribute('data-count', String(flagged.count));
    test.skip(flagged.count === 0, 'the demo images have no image issue to open');
    await imageRow.locator('.jp-VisionLens-qualityOpen').click();
    const grid = page.locator('#visionlens-grid-main');
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      new RegExp(`^${fmt(flagged.count)} of`)
    );
    const first = await api(request, `datasets/${DEMO}/samples/query`, {
      filter: flagged.filter,
      sort: flagged.sort,
      order: flagged.order,
      limit: 1
    });
    expect(first.total).toBe(flagged.count);
    await expect(grid.locator('.jp-VisionLens-tile[data-sample-id]').first()).toHaveAttribute(
      'data-sample-id',
      String(first.samples[0].sample_id)
    );
  });
});
