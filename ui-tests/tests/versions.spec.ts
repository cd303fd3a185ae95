/**
 * The versions panel, checked against the server: save a version from the
 * panel, edit the labels through the REST API (another client), diff version
 * 1 against the current labels in the panel (its numbers are the REST
 * diff's), choose a model (its per-class evaluation deltas are the REST
 * answer's), and restore version 1 after the confirmation (the server's
 * labels are back). Its own dataset (small20 with its boxes also as a
 * model's predictions), so the other tests' counts stay. A restore also
 * clears the sample view's message of the edit it undid.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import * as os from 'os';

import { COPYCAT, small20WithCopycat } from './copycat';
import { api, clickToolbarItem, command, openGrid, toolbarItem } from './helpers';

test.use({ autoGoto: true });

const NAME = 'ui-versions';
const KINDS = ['added', 'removed', 'relabelled', 'moved'];

type Box = [number, number, number, number];
type Obj = { ann_id: number; label: string; bbox: Box; source: string };

/** The ground-truth objects of the dataset's first samples, as the server has them. */
async function groundTruth(request: APIRequestContext): Promise<Obj[]> {
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, { filter: {}, offset: 0, limit: 4 });
  const found: Obj[] = [];
  for (const s of samples) {
    const sample = await api(request, `datasets/${NAME}/samples/${s.sample_id}`);
    found.push(...(sample.annotations as Obj[]).filter(a => a.source === 'ground_truth'));
  }
  return found;
}

test('versions panel: save, diff an edit, evaluation deltas per class, restore', async ({ page, request }) => {
  await small20WithCopycat(request, NAME);
  const grid = await openGrid(page, NAME);
  await clickToolbarItem(page, grid.locator('.jp-VisionLens-gridShownBar'), '.jp-VisionLens-openVersions');
  const panel = page.locator('#visionlens-versions-main');
  await expect(panel.locator('.jp-VisionLens-versionsEmpty')).toBeVisible();

  // save version 1 from the panel: its row shows the server's counts
  const bar = panel.locator('.jp-VisionLens-versionsBar');
  await (await toolbarItem(page, bar, '.jp-VisionLens-versionMessage')).fill('as ingested');
  await clickToolbarItem(page, bar, '.jp-VisionLens-saveVersion');
  await expect.poll(async () => (await api(request, `datasets/${NAME}/versions`)).versions.length).toBe(1);
  const [saved] = (await api(request, `datasets/${NAME}/versions`)).versions;
  const row = panel.locator('tr[data-version="1"]');
  await expect(row.locator('[data-key="message"]')).toHaveText('as ingested');
  // who saved it, by the login of the person who started the server (Jupyter's token
  // provider would name them by a random hex id)
  await expect(row.locator('[data-key="user"]')).toHaveText(os.userInfo().username);
  await expect(row.locator('[data-key="samples"]')).toHaveText(saved.samples.toLocaleString('en-US'));
  await expect(row.locator('[data-key="annotations"]')).toHaveText(saved.annotations.toLocaleString('en-US'));

  // another client edits: relabel one object, move one, delete one
  const before = await groundTruth(request);
  expect(before.length).toBeGreaterThanOrEqual(3);
  const classes: string[] = (await api(request, `datasets/${NAME}`)).categories;
  const [relabelled, moved, deleted] = before;
  const other = classes.find(c => c !== relabelled.label)!;
  const [x, y, w, h] = moved.bbox;
  await api(request, `datasets/${NAME}/edits`, {
    operations: [
      { op: 'relabel', annotation_id: relabelled.ann_id, label: other },
      { op: 'move', annotation_id: moved.ann_id, bbox: [x + 1, y + 1, w, h] },
      { op: 'delete', annotation_id: deleted.ann_id }
    ]
  });

  // version 1 against the current labels: the numbers of the REST diff
  await clickToolbarItem(page, bar, '.jp-VisionLens-refreshVersions');
  const diffBar = panel.locator('.jp-VisionLens-diffBar');
  await expect(await toolbarItem(page, diffBar, '.jp-VisionLens-diffFrom')).toHaveValue('1');
  await expect(await toolbarItem(page, diffBar, '.jp-VisionLens-diffTo')).toHaveValue('current');
  const plain = await api(request, `datasets/${NAME}/versions/diff?from=1&to=current`);
  expect(plain.relabelled + plain.moved + plain.removed).toBe(3);
  const result = panel.locator('.jp-VisionLens-diffResult');
  for (const key of [...KINDS, 'samples_changed']) {
    await expect(result.locator(`.jp-VisionLens-diffTotal[data-key="${key}"] b`)).toHaveText(String(plain[key]));
  }
  const shownClasses = await result
    .locator('.jp-VisionLens-diffClasses tbody tr')
    .evaluateAll(rows =>
      Object.fromEntries(
        rows.map(r => [
          r.getAttribute('data-class'),
          Object.fromEntries(
            [...r.querySelectorAll('td[data-key]')].map(td => [td.getAttribute('data-key'), Number(td.textContent)])
          )
        ])
      )
    );
  expect(shownClasses).toEqual(plain.by_class);

  // with the model: the per-class evaluation deltas of the REST answer
  await (await toolbarItem(page, diffBar, '.jp-VisionLens-diffModel')).selectOption(COPYCAT);
  await expect(result).toHaveAttribute('data-model', COPYCAT, { timeout: 60000 });
  await expect(result).toHaveAttribute('data-state', 'done');
  const evaluated = await api(
    request,
    `datasets/${NAME}/versions/diff?from=1&to=current&model=${COPYCAT}&protocol=coco&iou=0.5`
  );
  const shownDeltas = await result
    .locator('.jp-VisionLens-diffEvalClasses tbody tr')
    .evaluateAll(rows =>
      Object.fromEntries(
        rows.map(r => [
          r.getAttribute('data-class'),
          Object.fromEntries(
            [...r.querySelectorAll('td[data-side="delta"]')].map(td => {
              const value = td.getAttribute('data-value');
              return [td.getAttribute('data-stat'), value === 'null' ? null : Number(value)];
            })
          )
        ])
      )
    );
  const expected = Object.fromEntries(
    Object.entries(evaluated.evaluation.by_class as Record<string, any>).map(([cls, side]) => [
      cls,
      { AP: side.delta.AP, precision: side.delta.precision, recall: side.delta.recall }
    ])
  );
  expect(shownDeltas).toEqual(expected);
  // the relabelled object's class lost a match: a signed delta, coloured as worse
  const worse = result.locator('.jp-VisionLens-diffEvalClasses td.jp-VisionLens-delta.jp-mod-worse');
  await expect(worse.first()).toHaveText(/^\u2212\d\.\d{3}$/);

  // restore version 1 after the confirmation: the server's labels are back
  await row.locator('.jp-VisionLens-restoreVersion').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Restore version 1?');
  await dialog.locator('.jp-Dialog-button.jp-mod-warn').click();
  await expect
    .poll(async () => {
      const diff = await api(request, `datasets/${NAME}/versions/diff?from=1&to=current`);
      return KINDS.map(k => diff[k]);
    })
    .toEqual([0, 0, 0, 0]);
  const after = await groundTruth(request);
  const key = (o: Obj) => JSON.stringify([o.ann_id, o.label, o.bbox]);
  expect(after.map(key).sort()).toEqual(before.map(key).sort());
  // the panel's diff follows the restore
  for (const kind of KINDS) {
    await expect(result.locator(`.jp-VisionLens-diffTotal[data-key="${kind}"] b`)).toHaveText('0');
  }
});

test('a restore clears the sample view\'s "Saved (edit N)."', async ({ page, request }) => {
  await small20WithCopycat(request, NAME);
  await api(request, `datasets/${NAME}/versions`, { message: 'as ingested' });
  const { samples } = await api(request, `datasets/${NAME}/samples/query`, { filter: {}, offset: 0, limit: 1 });
  const { sample_id: id, width } = samples[0];
  const sample = await api(request, `datasets/${NAME}/samples/${id}`);
  const [first] = (sample.annotations as Obj[]).filter(a => a.source === 'ground_truth');
  const grid = await openGrid(page, NAME);
  await command(page, 'visionlens:open-sample', { dataset: NAME, sampleId: id });
  const view = grid.locator('#visionlens-sample-overlay');
  await expect(view.locator('.jp-VisionLens-fullImage')).toHaveJSProperty('complete', true);

  // an edit in the view: select the first object, delete it
  const canvas = (await view.locator('.jp-VisionLens-canvas').boundingBox())!;
  const scale = canvas.width / width;
  const [bx, by, bw, bh] = first.bbox;
  await page.mouse.click(canvas.x + (bx + bw / 2) * scale, canvas.y + (by + bh / 2) * scale);
  await expect(view.locator('svg.jp-VisionLens-editLayer')).toHaveAttribute('data-selected', String(first.ann_id));
  await clickToolbarItem(page, view.locator('.jp-VisionLens-sampleEditBar'), '.jp-VisionLens-deleteObject');
  const message = view.locator('.jp-VisionLens-editMessage');
  await expect(message).toHaveText(/^Saved \(edit \d+\)\.$/);

  // restore version 1 from the versions panel: the edit is gone, and so is its message
  await command(page, 'visionlens:open-versions');
  const panel = page.locator('#visionlens-versions-main');
  await panel.locator('tr[data-version="1"] .jp-VisionLens-restoreVersion').click();
  await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-warn').click();
  await expect
    .poll(async () => {
      const diff = await api(request, `datasets/${NAME}/versions/diff?from=1&to=current`);
      return KINDS.map(k => diff[k]);
    })
    .toEqual([0, 0, 0, 0]);
  await openGrid(page, NAME);
  await expect(view.locator('svg.jp-VisionLens-editLayer')).toBeVisible();
  await expect(message).toHaveText('');
  await expect(message).toBeHidden();
});
