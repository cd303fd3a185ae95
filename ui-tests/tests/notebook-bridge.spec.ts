/**
 * The notebook bridge in a real JupyterLab: a real kernel, the real comm, the
 * real grid. Uses the `demo` dataset created by global-setup.js.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';

import { serverTotal } from './helpers';

/** Bring the grid tab forward (it exists: vl.open() created it). */
async function showGrid(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => (window as any).jupyterapp.shell.activateById('visionlens-grid-main'));
}

const DEMO = 'demo';
const NOTEBOOK = 'bridge.ipynb';

/** Append a code cell, run it, return its text output. */
async function runCode(
  page: IJupyterLabPageFixture,
  code: string,
  notebook = NOTEBOOK
): Promise<string> {
  await page.notebook.activate(notebook);
  await page.notebook.addCell('code', code);
  const index = (await page.locator('.jp-Notebook .jp-Cell').count()) - 1;
  await page.notebook.runCell(index);
  const output = await page.notebook.getCellTextOutput(index);
  return (output ?? []).join('').trim();
}

/** The id of the shell's current widget. */
async function currentId(page: IJupyterLabPageFixture): Promise<string | null> {
  return page.evaluate(() => (window as any).jupyterapp.shell.currentWidget?.id ?? null);
}

/** The sample ids the grid draws as selected. */
async function selectedTiles(page: IJupyterLabPageFixture): Promise<number[]> {
  const ids = await page
    .locator('#visionlens-grid-main .jp-VisionLens-tile.jp-mod-selected')
    .evaluateAll(els => els.map(el => Number((el as HTMLElement).dataset.sampleId)));
  return ids.sort((a, b) => a - b);
}

test.describe('Notebook bridge', () => {
  test.use({ autoGoto: true });
  test.setTimeout(240 * 1000);

  test('grid selection reaches the kernel; Python selection and filter reach the grid', async ({
    page,
    request
  }) => {
    await page.notebook.createNew(NOTEBOOK);
    await page.notebook.setCell(
      0,
      'code',
      "import visionlens_jlab.notebook as vl\nsession = vl.open('demo')\nprint('opened')"
    );
    await page.notebook.runCell(0);

    // vl.open() opened the grid on the dataset.
    const grid = page.locator('#visionlens-grid-main');
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    // (The kernel starts, imports pandas and reaches the server first.)
    await expect(tiles.first()).toBeVisible({ timeout: 90000 });
    await page.notebook.activate(NOTEBOOK);
    await expect(
      page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-OutputArea-output')
    ).toHaveText('opened');
    const total = await serverTotal(request, DEMO, {});
    // The count is a toolbar item: a hidden toolbar may have moved its items
    // into its "…" menu (it measures no width), and places them again when shown.
    await showGrid(page);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      `${total.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} samples`
    );

    // Select five samples in the grid (click + shift-click).
    await showGrid(page);
    await tiles.nth(0).click();
    await tiles.nth(4).click({ modifiers: ['Shift'] });
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('5 selected');
    const inGrid = await selectedTiles(page);
    expect(inGrid).toHaveLength(5);

    // The kernel sees the same five samples, as a DataFrame.
    const out = await runCode(
      page,
      'print(len(session.selection()), sorted(session.selected))'
    );
    expect(out).toBe(`5 [${inGrid.join(', ')}]`);

    // Python selects three other samples: the grid shows exactly those (the
    // next ones, which the grid beside the notebook, two tiles wide, draws).
    const picked = await runCode(
      page,
      'ids = vl.dataset("demo").ids()[5:8].tolist()\nsession.select(ids)\nprint(ids)'
    );
    const ids = JSON.parse(picked) as number[];
    expect(ids).toHaveLength(3);
    await showGrid(page);
    await expect(grid.locator('.jp-VisionLens-selectionCount')).toHaveText('3 selected');
    await expect.poll(() => selectedTiles(page)).toEqual(ids);

    // Python sets the filter: the grid's count is the server's total for it.
    const filter = { box_count: { source: 'ground_truth', min: 2 } };
    const count = await runCode(
      page,
      `print(session.filter(${JSON.stringify(filter)}))`
    );
    const expected = await serverTotal(request, DEMO, filter);
    expect(Number(count)).toBe(expected);
    await showGrid(page);
    await expect(grid.locator('.jp-VisionLens-count')).toHaveText(
      new RegExp(`^${expected.toLocaleString('en-US')} of `)
    );

    // Select all matching in the grid: the kernel resolves it to the same count.
    await grid.locator('.jp-VisionLens-selectAll').click();
    const all = await runCode(
      page,
      'print(len(session.selected), session.view)'
    );
    expect(all.startsWith(`${expected} `)).toBeTruthy();
  });

  test('vl.open() shows the grid beside the notebook, which keeps the focus; the cell follows the link', async ({
    page,
    request
  }) => {
    const notebook = 'beside.ipynb';
    await page.notebook.createNew(notebook);
    const notebookId = await currentId(page);
    expect(notebookId).toBeTruthy();
    const panel = page.locator(`[id="${notebookId}"]`);
    await page.notebook.setCell(
      0,
      'code',
      "import visionlens_jlab.notebook as vl\nsession = vl.open('demo')\nsession"
    );
    // Not waiting for the notebook's Idle: a grid that took the front would
    // hide it, and the checks below say so sooner than a timeout.
    await page.notebook.runCell(0, { wait: false });

    // The grid opens to the right of the notebook; the notebook stays current
    // and keeps the keyboard focus.
    const grid = page.locator('#visionlens-grid-main');
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    await expect(tiles.first()).toBeVisible({ timeout: 90000 });
    await expect(panel).toBeVisible();
    const beside = async () => {
      const [nb, gr] = [await panel.boundingBox(), await grid.boundingBox()];
      return !!nb && !!gr && gr.x >= nb.x + nb.width - 1;
    };
    expect(await beside()).toBe(true);
    expect(await currentId(page)).toBe(notebookId);
    expect(
      await panel.evaluate(node => node.contains(document.activeElement))
    ).toBe(true);

    // The cell says where the dataset is, once the lab attached: no "(waiting)" snapshot.
    const total = (await serverTotal(request, DEMO, {})).toLocaleString('en-US');
    const output = panel.locator('.jp-Cell').first().locator('.jp-OutputArea-output');
    await expect(output).toHaveText(
      new RegExp(
        `^VisionLens: 'demo' \\(${total} samples\\) is open in the VisionLens grid beside this notebook: 0 selected`
      )
    );

    // The user drags the grid into the notebook's tabs and goes back to the
    // notebook: session.show() brings the grid back beside it, not in front of it.
    await page.evaluate(id => {
      const shell = (window as any).jupyterapp.shell;
      const widget = [...shell.widgets('main')].find(
        (w: any) => w.id === 'visionlens-grid-main'
      );
      shell.add(widget, 'main', { mode: 'tab-after', ref: id });
      shell.activateById(id);
    }, notebookId);
    await expect(grid).toBeHidden();
    await runCode(page, 'session.show()', notebook);
    await expect(tiles.first()).toBeVisible();
    await expect(panel).toBeVisible();
    expect(await beside()).toBe(true);
    expect(await currentId(page)).toBe(notebookId);

    // The first cell's line follows what happens afterwards.
    await runCode(page, 'session.select(vl.dataset("demo").ids()[:3])', notebook);
    await expect(output).toHaveText(/ beside this notebook: 3 selected/);
  });
});
