/**
 * The patches view (the grid's objects mode) on the `demo` dataset (created
 * and evaluated by global-setup.js): the grid's "Objects" button opens it, its
 * count is the server's exact total, evaluation patches carry their status,
 * objects coloured by an evaluation ("Colour by") caption their status, a
 * patch selection reaches the grid and a notebook as its samples, and a
 * class name is drawn as text. Its tiles are the generic virtual grid's: it
 * scrolls to the last object (no prev / next), and the grid's keys move the
 * focus across patches and select them.
 */
import { expect, test } from './fixtures';

import {
  api,
  clickToolbarItem,
  openGrid,
  patchesCount,
  patchTile,
  patchTiles
} from './helpers';

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
      patchesCount(truth.total)
    );
    const scroller = panel.locator('.jp-VisionLens-gridScroller');
    await expect(scroller).toHaveAttribute('role', 'grid');
    await expect(scroller).toHaveAttribute('aria-label', 'Objects');
    await expect(panel.locator('.jp-VisionLens-patchesPrev')).toHaveCount(0);
    // the rows in view only, in the server's order
    const first = await api(request, `datasets/${DEMO}/patches`, {
      filter: {},
      limit: 3
    });
    for (const [i, o] of first.objects.entries()) {
      await expect(patchTile(panel, i)).toHaveAttribute(
        'data-ann-id',
        String(o.ann_id)
      );
    }
    expect(await patchTiles(panel).count()).toBeLessThan(truth.total);
    // scrolling reaches the last object (its page read when it comes into view)
    const last = await api(request, `datasets/${DEMO}/patches`, {
      filter: {},
      offset: truth.total - 1,
      limit: 1
    });
    await scroller.evaluate(el => el.scrollTo(0, el.scrollHeight));
    await expect(patchTile(panel, truth.total - 1)).toHaveAttribute(
      'data-ann-id',
      String(last.objects[0].ann_id)
    );
    // the grid's keys: Home, then the arrows move the focus; Space selects
    await patchTile(panel, truth.total - 1).click();
    await page.keyboard.press('Home');
    await expect(patchTile(panel, 0)).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(patchTile(panel, 1)).toBeFocused();
    await page.keyboard.press('Space');
    await expect(patchTile(panel, 1)).toHaveAttribute('aria-selected', 'true');
    await expect(
      panel.locator('.jp-VisionLens-patchesSelected')
    ).toHaveText('2 selected'); // the last object clicked (scrolled out), and this one
    // T in the patches grid: the objects' own tag input, not the samples' dialog
    await page.keyboard.press('t');
    await expect(panel.locator('.jp-VisionLens-patchesTagInput')).toBeFocused();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // the model's predictions coloured by its latest evaluation: each tile's
    // caption says its status (text), its border has the status colour
    await panel
      .locator('select[aria-label="Objects"]')
      .selectOption(`objects:${MODEL}`);
    const { evaluations } = await api(request, `datasets/${DEMO}/evaluations`);
    const latest = evaluations.find((e: any) => e.model === MODEL && e.latest);
    expect(latest).toBeTruthy();
    const colourBy = panel.locator('select[aria-label="Colour by"]');
    await expect(colourBy).toHaveValue('');
    await colourBy.selectOption(latest.key);
    const coloured = await api(request, `datasets/${DEMO}/patches`, {
      filter: {},
      kind: 'objects',
      source: MODEL,
      evaluation: latest.key,
      limit: 6
    });
    expect(coloured.evaluation).toBe(latest.key);
    const judged = coloured.objects.filter(
      (o: any) => o.status === 'tp' || o.status === 'fp'
    );
    expect(judged.length).toBeGreaterThan(0);
    await expect(panel.locator('.jp-VisionLens-patchesCount')).toHaveText(
      patchesCount(coloured.total)
    );
    for (const [i, o] of coloured.objects.entries()) {
      const tile = patchTile(panel, i);
      await expect(tile).toHaveAttribute('data-ann-id', String(o.ann_id));
      const text = tile.locator('.jp-VisionLens-patchCaption');
      if (o.status) {
        await expect(text).toContainText(o.status.toUpperCase());
        await expect(tile).toHaveClass(new RegExp(`jp-mod-${o.status}\\b`));
      } else {
        await expect(text).not.toContainText(/\b(TP|FP|FN)\b/);
      }
      await expect(text.locator('*')).toHaveCount(0); // text, never markup
    }

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
      patchesCount(evaluated.total)
    );
    await expect(colourBy).toBeHidden(); // evaluation patches carry their own status
    // another choice starts from the first object, nothing selected
    await expect(patchTile(panel, 0)).toHaveAttribute(
      'data-ann-id',
      String(evaluated.objects[0].ann_id)
    );
    await expect(
      panel.locator('.jp-VisionLens-patch.jp-mod-selected:visible')
    ).toHaveCount(0);
    const caption = patchTile(panel, 0).locator('.jp-VisionLens-patchCaption');
    await expect(caption).toContainText(evaluated.objects[0].label);
    await expect(caption.locator('*')).toHaveCount(0); // text, never markup

    // two patches selected: their samples become the shared selection
    await patchTile(panel, 0).click();
    await patchTile(panel, 1).click();
    await expect(
      panel.locator('.jp-VisionLens-patch.jp-mod-selected:visible')
    ).toHaveCount(2);
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
