/**
 * Filter texts read as words (issue #32 item 4): a facet's chip and a
 * confusion-matrix cell's chip say what they select ("class is cat (ground
 * truth)", "match is TP (model …)"), never raw JSON; a cell click replaces
 * the whole filter; every facet says whether it counts objects or samples.
 */
import { expect, test } from './fixtures';

import { api, command, fmt, serverTotal , openUnfiltered } from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';

test.describe('Filter texts', () => {
  test('facets say their unit; chips read as words; a cell replaces the filter', async ({
    page,
    request
  }) => {
    const { grid, filters } = await openUnfiltered(page, DEMO);

    // Units: classes count objects, boxes per sample count samples.
    const label = filters.locator('details[data-facet="label@ground_truth"]');
    await expect(label.locator('.jp-VisionLens-facetUnit')).toHaveText(
      'counts objects'
    );
    const boxes = filters.locator(
      'details[data-facet="box_count@ground_truth"]'
    );
    await expect(boxes.locator('.jp-VisionLens-facetUnit')).toHaveText(
      'counts samples'
    );
    const facets = await api(request, `datasets/${DEMO}/facets`);
    const find = (name: string, source: string) =>
      facets.facets.find((f: any) => f.name === name && f.source === source);
    const boxCount = find('box_count', 'ground_truth');
    await expect(
      boxes.locator('.jp-VisionLens-rangeInputs .jp-VisionLens-valueCount')
    ).toHaveText(`${fmt(boxCount.count)} samples`);
    const score = filters.locator(`details[data-facet="score@${MODEL}"]`);
    await score.evaluate(d => ((d as HTMLDetailsElement).open = true));
    await expect(
      score.locator('.jp-VisionLens-rangeInputs .jp-VisionLens-valueCount')
    ).toHaveText(`${fmt(find('score', MODEL).count)} objects`);

    // A class facet's chip.
    const first = find('label', 'ground_truth').values[0].value as string;
    await label
      .locator(`.jp-VisionLens-facetValue[data-value="${first}"] input`)
      .check();
    const chips = filters.locator('.jp-VisionLens-chip');
    await expect(chips).toHaveText([`class is ${first} (ground truth)×`]);

    // A confusion cell: the whole filter becomes the cell's, in words.
    await command(page, 'visionlens:open-evaluation');
    const panel = page.locator('#visionlens-evaluation-main');
    await expect(panel.locator('select[aria-label="Model"]')).toHaveValue(
      MODEL
    );
    await panel.getByRole('button', { name: 'Evaluate' }).click();
    const report = panel.locator('.jp-VisionLens-evalReport').first();
    await expect(report.locator('.jp-VisionLens-evalTitle')).toHaveText(
      /^simulated-model · COCO bbox/,
      { timeout: 60_000 }
    );
    // a confusion between two classes, the other class than the one checked
    const cells = report.locator(
      '.jp-VisionLens-evalConfusion td.jp-VisionLens-evalClickable:not(.jp-VisionLens-evalDiagonal)'
    );
    const titles = await cells.evaluateAll(tds =>
      tds.map(td => (td as HTMLElement).title)
    );
    const index = titles.findIndex(t => !t.startsWith('background '));
    expect(index).toBeGreaterThanOrEqual(0);
    const [truth, predicted] = titles[index].replace(/: \d+$/, '').split(' → ');
    await cells.nth(index).click();
    const expected =
      predicted === 'background'
        ? `class is ${truth}; match is FN; not a class confusion (ground truth)×`
        : `class is ${predicted}; match is FP; error is class confusion; ` +
          `confused with ${truth} (model ${MODEL})×`;
    await expect(chips).toHaveText([expected]);
    await expect(chips.first()).not.toContainText('{');
    // the grid shows what the cell alone selects: the class filter is gone
    const { evaluations } = await api(request, `datasets/${DEMO}/evaluations`);
    const key = evaluations
      .filter(
        (e: any) =>
          e.model === MODEL &&
          e.protocol === 'coco' &&
          (e.iou_type ?? 'bbox') === 'bbox'
      )
      .sort((a: any, b: any) => a.created_at.localeCompare(b.created_at))
      .pop().key;
    const cell =
      predicted === 'background'
        ? {
            source: 'ground_truth',
            classes: [truth],
            eval: { key, status: ['fn'], confused: false }
          }
        : {
            source: MODEL,
            classes: [predicted],
            eval: {
              key,
              status: ['fp'],
              error: ['class_confusion'],
              confused_with: [truth]
            }
          };
    const total = await serverTotal(request, DEMO, { labels: [cell] });
    const count = grid
      .locator('.jp-VisionLens-count')
      .or(page.locator('.jp-Toolbar-responsive-popup .jp-VisionLens-count'));
    await expect(count).toHaveText(
      `${fmt(total)} of ${fmt(facets.total)} samples`
    );
    await command(page, 'visionlens:clear-filters');
  });
});
