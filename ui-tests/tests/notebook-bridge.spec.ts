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
  code: string
): Promise<string> {
  await page.notebook.activate(NOTEBOOK);
  await page.notebook.addCell('code', code);
  const index = (await page.locator('.jp-Notebook .jp-Cell').count()) - 1;
  await page.notebook.runCell(index);
  const output = await page.notebook.getCellTextOutput(index);
  return (output ?? []).join('').trim();
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
    // vl.open() brings the grid forward, so the notebook's "Idle" status that
    // runCell waits for is not shown: do not wait on it.
    await page.notebook.runCell(0, { wait: false });

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

    // Python selects three other samples: the grid shows exactly those.
    const picked = await runCode(
      page,
      'ids = vl.dataset("demo").ids()[10:13].tolist()\nsession.select(ids)\nprint(ids)'
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
});

