/**
 * The patches view (the grid's objects mode) on the `demo` dataset (created
 * and evaluated by global-setup.js): the grid's "Objects" button opens it, its
 * count is the server's exact total, evaluation patches carry their status,
 * a patch selection reaches the grid and a notebook as its samples, and a
 * class name is drawn as text.
 */
import { expect, test } from './fixtures';

import { api, clickToolbarItem, fmt, openGrid } from './helpers';

const DEMO = 'demo';
const MODEL = 'simulated-model';
const NOTEBOOK = 'patches.ipynb';

test.describe('Patches view', () => {
  test.use({ autoGoto: true });
  test.setTimeout(240 * 1000);

  test('objects mode: exact count, evaluation patches, selection to grid and notebook', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    // a notebook session on the dataset first: it follows the selection from here on
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(
      0,
      'code',
      "import visionlens_jlab.notebook as vl\nsession = vl.open('demo')\nprint('opened')"
    );
    // vl.open() brings the grid forward, so the notebook's "Idle" status that
    // runCell waits for is not shown: do not wait on it.
    // Nor activate the notebook here: the grid vl.open() brings forward may take
    // the shell between galata's tab click and its read of the current widget.
    // The output is read from the DOM, shown or not.
    await page.notebook.runCell(0, { wait: false });
    await expect(
      page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-OutputArea-output')
    ).toHaveText('opened', { timeout: 90000 });
    await page.evaluate(() =>
      (window as any).jupyterapp.shell.activateById('visionlens-grid-main')
    );
    await clickToolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridShownBar'),
      '.jp-VisionLens-openPatches'
    );
    const panel = page.locator('#visionlens-patches-main');
    const truth = await api(request, `datasets/${DEMO}/patches`, {
      filter: {},
      limit: 0
    });
    await expect(panel.locator('.jp-VisionLens-patchesCount')).toHaveText(
      `1–60 of ${fmt(truth.total)} objects`
    );
    const tiles = panel.locator('.jp-VisionLens-patch');
    await expect(tiles).toHaveCount(60);

    // evaluation patches of the demo's model, worst IoU first
    await panel
      .locator('select[aria-label="Objects"]')
      .selectOption(`evaluation:${MODEL}`);
    const evaluated = await api(request, `datasets/${DEMO}/patches`, {
      filter: {},
      kind: 'evaluation',
      model: MODEL,
      sort: 'iou',
      limit: 3
    });
    await expect(panel.locator('.jp-VisionLens-patchesCount')).toHaveText(
      `1–60 of ${fmt(evaluated.total)} objects`
    );
    await expect(tiles.first()).toHaveAttribute(
      'data-ann-id',
      String(evaluated.objects[0].ann_id)
    );
    const caption = tiles.first().locator('.jp-VisionLens-patchCaption');
    await expect(caption).toContainText(evaluated.objects[0].label);
    await expect(caption.locator('*')).toHaveCount(0); // text, never markup

    // two patches selected: their samples become the shared selection
    await tiles.nth(0).click();
    await tiles.nth(1).click();
    await expect(panel.locator('.jp-VisionLens-patch.jp-mod-selected')).toHaveCount(2);
    const annIds = evaluated.objects.slice(0, 2).map((o: any) => o.ann_id);
    const samples: number[] = (
      await api(request, `datasets/${DEMO}/patches/samples`, { ann_ids: annIds })
    ).sample_ids;
    await page.evaluate(() =>
      (window as any).jupyterapp.shell.activateById('visionlens-grid-main')
    );
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText(
      `${samples.length} selected`
    );

    // and the notebook's session sees the same samples
    await page.notebook.activate(NOTEBOOK);
    await page.notebook.addCell('code', 'print(sorted(session.selected))');
    const index = (await page.locator('.jp-Notebook .jp-Cell').count()) - 1;
    await page.notebook.runCell(index);
    const printed = ((await page.notebook.getCellTextOutput(index)) ?? [])
      .join('')
      .trim();
    expect(printed).toBe(`[${samples.join(', ')}]`);
  });
});
