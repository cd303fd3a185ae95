/**
 * Editing labels in the sample view, checked against the server: a click
 * selects a box (handles shown), a drag moves it, Delete deletes it and
 * Accel+Z brings it back, the toolbar's Relabel gives it the picked class,
 * the draw tool adds a box of that class, a prediction is accepted as ground
 * truth, and an object changed in another tab (here: the REST API) gives a
 * conflict resolved with "Apply mine". Its own dataset (small20 with its
 * boxes also as a model's predictions), so the other tests' counts stay.
 * An object with an RLE mask (a demo ring, only read here) is selected without
 * handles, and the edit row says what applies to it (polygons and keypoints:
 * shapeEditing.spec.ts).
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';

import { COPYCAT, small20WithCopycat } from './copycat';
import {
  api,
  clickToolbarItem,
  command,
  drag,
  patchTile,
  SAMPLE_IN_TAB,
  screen
} from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

test.use({ autoGoto: true });

const NAME = 'ui-edits';

type Box = [number, number, number, number];

/** The sample as the server has it: its ground-truth objects and predictions. */
async function objects(
  request: APIRequestContext,
  sampleId: number,
  source = 'ground_truth'
) {
  const sample = await api(request, `datasets/${NAME}/samples/${sampleId}`);
  return (
    sample.annotations as {
      ann_id: number;
      label: string;
      bbox: Box;
      source: string;
    }[]
  ).filter(a => a.source === source);
}

test('edit boxes in the sample view: select, move, delete, undo, relabel, draw, accept, conflict', async ({
  page,
  request
}) => {
  await small20WithCopycat(request, NAME);
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
    filter: {},
    offset: 0,
    limit: 1
  });
  const { sample_id: id, width } = samples[0];
  const [first] = await objects(request, id);
  await command(page, 'visionlens:open-sample', {
    dataset: NAME,
    sampleId: id
  });
  const view = page.locator('#visionlens-sample-main');
  const keys = page.locator('#visionlens-sample'); // the view itself: its shortcuts' target
  const layer = view.locator('svg.jp-VisionLens-editLayer');
  const message = view.locator('.jp-VisionLens-editMessage');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty(
    'complete',
    true
  );

  // select with a click: the outline and its eight handles
  const [bx, by, bw, bh] = first.bbox;
  const centre = await screen(view, width, bx + bw / 2, by + bh / 2);
  await page.mouse.click(...centre);
  await expect(layer).toHaveAttribute('data-selected', String(first.ann_id));
  await expect(layer.locator('[data-handle]')).toHaveCount(8);

  // move: the server has the box moved by the drag, in image pixels
  const scale =
    (await screen(view, width, 1, 0))[0] - (await screen(view, width, 0, 0))[0];
  const from = await screen(view, width, bx + bw / 2, by + bh / 2);
  await drag(page, from, [from[0] + 12 * scale, from[1] + 6 * scale]);
  await expect(message).toHaveText(/^Saved \(edit \d+\)\.$/);
  const moved = (await objects(request, id)).find(
    a => a.ann_id === first.ann_id
  )!;
  expect(moved.bbox[0]).toBeCloseTo(Math.min(bx + 12, width - bw), 0);
  expect(moved.bbox[2]).toBeCloseTo(bw, 1);

  // Delete removes it, Accel+Z brings it back (the selection follows it)
  const before = (await objects(request, id)).length;
  await keys.focus();
  await page.keyboard.press('Delete');
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before - 1);
  await page.keyboard.press('Control+z');
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before);

  // relabel with the picked class from the toolbar
  const classes: string[] = (await api(request, `datasets/${NAME}`)).categories;
  const other = classes.find(c => c !== first.label)!;
  const [mx, my, mw, mh] = moved.bbox;
  await page.mouse.click(
    ...(await screen(view, width, mx + mw / 2, my + mh / 2))
  );
  await expect(layer).toHaveAttribute('data-selected', String(first.ann_id));
  await view.locator('select.jp-VisionLens-editClass').selectOption(other);
  const bar = view.locator('.jp-VisionLens-sampleEditBar');
  await clickToolbarItem(page, bar, '.jp-VisionLens-relabel');
  await expect
    .poll(
      async () =>
        (await objects(request, id)).find(a => a.ann_id === first.ann_id)?.label
    )
    .toBe(other);

  // draw a new box of the picked class in a corner
  const known = new Set((await objects(request, id)).map(a => a.ann_id));
  await keys.focus();
  await page.keyboard.press('b');
  await expect(view.locator('.jp-VisionLens-stage')).toHaveAttribute(
    'data-tool',
    'draw'
  );
  await drag(
    page,
    await screen(view, width, 1, 1),
    await screen(view, width, 9, 7)
  );
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before + 1);
  const drawn = (await objects(request, id)).find(a => !known.has(a.ann_id));
  expect(drawn?.label).toBe(other);
  drawn!.bbox.forEach((v, i) => expect(v).toBeCloseTo([1, 1, 8, 6][i], 1));
  await expect(layer).toHaveAttribute('data-selected', String(drawn!.ann_id));

  // accept a prediction (hide the ground truth, so a click picks the prediction)
  const [prediction] = await objects(request, id, COPYCAT);
  await view
    .locator('.jp-VisionLens-sourceToggle', { hasText: 'ground truth' })
    .locator('input')
    .uncheck();
  const [px, py, pw, ph] = prediction.bbox;
  await page.mouse.click(
    ...(await screen(view, width, px + pw / 2, py + ph / 2))
  );
  await expect(layer).toHaveAttribute(
    'data-selected',
    String(prediction.ann_id)
  );
  await command(page, 'visionlens:sample-accept-object');
  await expect
    .poll(async () => (await objects(request, id)).length)
    .toBe(before + 2);
  await view
    .locator('.jp-VisionLens-sourceToggle', { hasText: 'ground truth' })
    .locator('input')
    .check();

  // another tab relabels the drawn box: its labels event makes this view read the
  // sample again (held here, so that the view still shows the old state); deleting it
  // meanwhile is a conflict, then applied over the other tab's change
  await page.mouse.click(...(await screen(view, width, 5, 4)));
  await expect(layer).toHaveAttribute('data-selected', String(drawn!.ann_id));
  let reads = 0;
  let release!: () => void;
  const held = new Promise<void>(resolve => (release = resolve));
  const sampleRead = new RegExp(
    `/visionlens/api/datasets/${NAME}/samples/${id}(\\?.*)?$`
  );
  await page.route(sampleRead, async route => {
    reads += 1;
    await held;
    await route.continue();
  });
  await api(request, `datasets/${NAME}/edits`, {
    operations: [
      { op: 'relabel', annotation_id: drawn!.ann_id, label: first.label }
    ]
  });
  await expect.poll(() => reads).toBeGreaterThan(0); // the event reached this tab
  await command(page, 'visionlens:sample-delete-object');
  await expect(message).toContainText(
    `Changed in another tab: now ${first.label}`
  );
  expect(
    (await objects(request, id)).some(a => a.ann_id === drawn!.ann_id)
  ).toBe(true);
  release();
  await page.unroute(sampleRead);
  await message.locator('.jp-VisionLens-editApplyMine').click();
  await expect
    .poll(async () =>
      (await objects(request, id)).some(a => a.ann_id === drawn!.ann_id)
    )
    .toBe(false);
});

test('edit patches in bulk: tag two objects, filter by the tag, delete them, undo', async ({
  page,
  request
}) => {
  await small20WithCopycat(request, NAME);
  await command(page, 'visionlens:open-grid', { dataset: NAME });
  await command(page, 'visionlens:open-patches');
  const panel = page.locator('#visionlens-patches-main');
  await expect(patchTile(panel, 1)).toBeVisible();
  const ids = await Promise.all(
    [0, 1].map(async i =>
      Number(await patchTile(panel, i).getAttribute('data-ann-id'))
    )
  );
  await patchTile(panel, 0).click();
  await patchTile(panel, 1).click();
  const row = panel.locator('.jp-VisionLens-patchesEdits');
  await expect(row.locator('.jp-VisionLens-patchesSelected')).toHaveText(
    '2 selected'
  );
  await row.locator('.jp-VisionLens-patchesTagInput').fill('<b>check</b>');
  await row.locator('.jp-VisionLens-patchesTag').click();
  await expect(row.locator('.jp-VisionLens-patchesEditMessage')).toHaveText(
    /^Changed 2 objects/
  );
  // the tag is text in the captions, and a label filter on it finds exactly those objects
  await expect(
    panel.locator(
      `.jp-VisionLens-patch[data-ann-id="${ids[0]}"] .jp-VisionLens-patchCaption`
    )
  ).toContainText('#<b>check</b>');
  const tagged = await api(request, `datasets/${NAME}/patches`, {
    filter: { labels: { source: 'ground_truth', tags: ['<b>check</b>'] } },
    limit: 10
  });
  expect(
    tagged.objects.map((o: { ann_id: number }) => o.ann_id).sort()
  ).toEqual([...ids].sort());

  const total = async () =>
    (await api(request, `datasets/${NAME}/patches`, { filter: {}, limit: 0 }))
      .total;
  const before = await total();
  await row.locator('.jp-VisionLens-patchesDelete').click();
  await expect.poll(total).toBe(before - 2);
  await expect(
    panel.locator(`.jp-VisionLens-patch[data-ann-id="${ids[0]}"]`)
  ).toHaveCount(0);
  await expect(row.locator('.jp-VisionLens-patchesSelected')).toHaveText(
    '0 selected'
  );
  await row.locator('.jp-VisionLens-patchesUndo').click();
  await expect.poll(total).toBe(before);
});

test('a masked object is selected without handles, and the edit row says what applies to it', async ({
  page,
  request
}) => {
  // The demo's objects all have masks (issue #47, item 2): find a ring (an
  // RLE mask: no vertices to drag) whose box centre lies in no other box, so
  // that a click there picks it.
  type Ann = { ann_id: number; bbox: Box; segmentation?: unknown };
  const inside = ([x, y]: number[], [bx, by, bw, bh]: Box) =>
    x >= bx && x <= bx + bw && y >= by && y <= by + bh;
  const { samples } = await api(request, 'datasets/demo/samples/query', {
    filter: {},
    offset: 0,
    limit: 20
  });
  const free = (p: number[], all: Ann[], but: Ann | null) =>
    all.every(o => o === but || !inside(p, o.bbox));
  let found: { id: number; width: number; object: Ann; empty: number[] } | null =
    null;
  for (const s of samples) {
    const all: Ann[] = (await api(request, `datasets/demo/samples/${s.sample_id}`))
      .annotations;
    const object = all.find(
      a =>
        a.segmentation &&
        !Array.isArray(a.segmentation) &&
        free([a.bbox[0] + a.bbox[2] / 2, a.bbox[1] + a.bbox[3] / 2], all, a)
    );
    // a spot of the image no box reaches (a click there selects nothing)
    const empty = [
      [4, 4],
      [s.width - 4, 4],
      [4, s.height - 4],
      [s.width - 4, s.height - 4]
    ].find(p => all.every(o => !inside(p, [o.bbox[0] - 8, o.bbox[1] - 8, o.bbox[2] + 16, o.bbox[3] + 16])));
    if (object && empty) {
      found = { id: s.sample_id, width: s.width, object, empty };
      break;
    }
  }
  expect(found).not.toBeNull();
  const { id, width, object, empty } = found!;
  await command(page, 'visionlens:open-sample', { dataset: 'demo', sampleId: id });
  const view = page.locator('#visionlens-sample-main');
  const layer = view.locator('svg.jp-VisionLens-editLayer');
  const hint = view.locator('.jp-VisionLens-editHint');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty(
    'complete',
    true
  );
  await expect(hint).toBeHidden();

  const [bx, by, bw, bh] = object.bbox;
  const centre = await screen(view, width, bx + bw / 2, by + bh / 2);
  await page.mouse.click(...centre);
  await expect(layer).toHaveAttribute('data-selected', String(object.ann_id));
  await expect(layer.locator('[data-handle]')).toHaveCount(0);
  await expect(hint).toBeVisible();
  await expect(hint).toContainText('redrawn with Click to mask');
  await expect(hint).toContainText('Relabel or Delete it');
  // Relabel and Delete apply to it
  const enabled = (id: string) =>
    page.evaluate(id => (window as any).jupyterapp.commands.isEnabled(id), id);
  expect(await enabled('visionlens:sample-relabel-object')).toBe(true);
  expect(await enabled('visionlens:sample-delete-object')).toBe(true);

  // a drag leaves it where it was
  await drag(page, centre, [centre[0] + 30, centre[1] + 20]);
  const after = (
    await api(request, `datasets/demo/samples/${id}`)
  ).annotations.find((a: Ann) => a.ann_id === object.ann_id);
  expect(after.bbox).toEqual(object.bbox);
  await expect(view.locator('.jp-VisionLens-editMessage')).toBeHidden();

  // nothing selected: no hint
  await page.mouse.click(...(await screen(view, width, empty[0], empty[1])));
  await expect(layer).toHaveAttribute('data-selected', '');
  await expect(hint).toBeHidden();
});
