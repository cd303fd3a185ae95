/**
 * The ingest form (issue 32 items 4 and 10): its last line warns when the
 * report found problems instead of saying "Done", files are ingested from the
 * file browser's context menu without typing a path, and a model's
 * predictions are added from the form, each with the split it is meant for.
 *
 * The COCO file is global-setup's 20-image `small20` (its images live in the
 * demo's folder, named in its IMAGES file), copied into the test's folder of
 * the Jupyter root so the file browser shows it.
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './fixtures';
import { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { api, clickToolbarItem, openSidebar, runEnv, serverTotal, suggestedName } from './helpers';

const DATA_DIR = runEnv('VISIONLENS_DATA_DIR');
const ROOT = runEnv('JUPYTERLAB_GALATA_ROOT_DIR');
const BASE = runEnv('TARGET_URL');
const SMALL = path.join(DATA_DIR, 'ui-sources', 'small20');
const IMAGES = () => fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');

/** Copy small20's COCO file into the test's folder of the Jupyter root. */
function copyCoco(tmpPath: string, name: string): string {
  const dir = path.join(ROOT, tmpPath);
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  fs.copyFileSync(path.join(SMALL, 'instances.json'), target);
  return target;
}

/** Remove the test's datasets (from an earlier, failed run too). */
async function drop(request: APIRequestContext, ...names: string[]) {
  for (const name of names) {
    await request.delete(`${BASE}/visionlens/api/datasets/${name}`);
  }
}

/** Open the datasets panel's ingest form. */
async function openForm(page: IJupyterLabPageFixture): Promise<Locator> {
  await openSidebar(page, 'visionlens-datasets');
  const panel = page.locator('#visionlens-datasets');
  const header = panel.locator('.jp-VisionLens-panelHeader');
  await clickToolbarItem(page, header, '.jp-VisionLens-ingestToggle');
  return panel.locator('.jp-VisionLens-ingestForm');
}

/** Right-click `file` in the file browser and pick `label`. */
async function fromBrowser(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  file: string,
  label: string
): Promise<Locator> {
  await page.filebrowser.openDirectory(tmpPath);
  await page.locator('.jp-DirListing-item', { hasText: file }).click({ button: 'right' });
  await page.locator('.lm-Menu').getByText(label, { exact: true }).click();
  const form = page.locator('#visionlens-datasets .jp-VisionLens-ingestForm');
  await expect(form).toBeVisible();
  return form;
}

test.describe('ingest form', () => {
  test('warns, not "Done", when no image was found', async ({ page, request, tmpPath }) => {
    const name = 'ui-no-images';
    await drop(request, name);
    // Next to no image: the file's relative names resolve to nothing.
    const source = copyCoco(tmpPath, 'lost.json');
    const form = await openForm(page);
    await form.locator('input[name="source"]').fill(source);
    await form.locator('input[name="name"]').fill(name);
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    const status = form.locator('.jp-VisionLens-jobText');
    await expect(status).toHaveClass(/jp-mod-warning/, { timeout: 60000 });
    await expect(status).toContainText(`Ingested '${name}' with warnings:`);
    await expect(status).toContainText('images were not found');
    await expect(status).not.toContainText('Done');
    await expect(status).not.toHaveClass(/jp-mod-error/);
    await drop(request, name);
  });

  test('file browser "Ingest into VisionLens" fills the form and ingests', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = 'ui-from-browser';
    await drop(request, name);
    const source = copyCoco(tmpPath, 'instances.json');
    // without the images' own split keys, the form's split is every image's
    const coco = JSON.parse(fs.readFileSync(source, 'utf-8'));
    coco.images.forEach((image: any) => delete image.split);
    fs.writeFileSync(source, JSON.stringify(coco));
    const form = await fromBrowser(page, tmpPath, 'instances.json', 'Ingest into VisionLens');
    // The server reads its own disk: the path is the absolute one.
    await expect(form.locator('input[name="source"]')).toHaveValue(
      new RegExp(`/${tmpPath}/instances\\.json$`)
    );
    expect(fs.realpathSync(await form.locator('input[name="source"]').inputValue())).toBe(
      fs.realpathSync(source)
    );
    await expect(form.locator('select[name="mode"]')).toHaveValue('dataset');
    // 'instances' says what the file is, not which data: the folder names it
    await expect(form.locator('input[name="name"]')).toHaveValue(suggestedName(tmpPath));
    await form.locator('input[name="name"]').fill(name);
    await form.locator('input[name="images"]').fill(IMAGES());
    await form.locator('input[name="split"]').fill('val');
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    const status = form.locator('.jp-VisionLens-jobText');
    await expect(status).toHaveText(new RegExp(`^Done: '${name}' \\(20 samples`), {
      timeout: 60000
    });
    await expect(status).not.toHaveClass(/jp-mod-warning/);
    expect(await serverTotal(request, name, { sample: { split: { in: ['val'] } } })).toBe(20);
    const card = page.locator(`.jp-VisionLens-datasetCard[data-dataset="${name}"]`);
    await expect(card.locator('[data-stat="samples"] .jp-VisionLens-statValue')).toHaveText(
      '20'
    );
    await drop(request, name);
  });

  test('"Browse…" picks the annotation file among the server\'s files', async ({
    page,
    tmpPath
  }) => {
    // Issue #47: the form needed a typed server path.
    const source = copyCoco(tmpPath, 'instances.json');
    const form = await openForm(page);
    await form.locator('input[name="source"]').fill('');
    await form.locator('.jp-VisionLens-browsePath').first().click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-DirListing-item', { hasText: tmpPath }).dblclick();
    await dialog.locator('.jp-DirListing-item', { hasText: 'instances.json' }).click();
    await dialog.getByRole('button', { name: 'Select' }).click();
    await expect(dialog).toBeHidden();
    // The server reads its own disk: the path is the absolute one, named as typed.
    const picked = form.locator('input[name="source"]');
    await expect(picked).toHaveValue(new RegExp(`/${tmpPath}/instances\\.json$`));
    expect(fs.realpathSync(await picked.inputValue())).toBe(fs.realpathSync(source));
    await expect(form.locator('input[name="name"]')).toHaveValue(suggestedName(tmpPath));

    // The images field picks a folder the same way; Cancel leaves it as it was.
    const images = form.locator('input[name="images"]');
    await form.locator('.jp-VisionLens-browsePath').nth(1).click();
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-DirListing-item', { hasText: tmpPath }).click();
    await dialog.getByRole('button', { name: 'Select' }).click();
    await expect(images).toHaveValue(new RegExp(`/${tmpPath}$`));
    await form.locator('.jp-VisionLens-browsePath').nth(1).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(images).toHaveValue(new RegExp(`/${tmpPath}$`));
  });

  test("the format menus offer the server's formats, a plugin's included", async ({
    page,
    request
  }) => {
    const known = await api(request, 'formats');
    const form = await openForm(page);
    const options = form.locator('select[name="format"] option');
    const values = async () =>
      options.evaluateAll(list => list.map(o => (o as HTMLOptionElement).value));
    // ui-labels: the folder plugin of global-setup.js reads that format.
    await expect.poll(values).toEqual([
      'auto',
      ...known.datasets.map((f: { name: string }) => f.name)
    ]);
    expect(await values()).toContain('ui-labels');
    await form.locator('select[name="mode"]').selectOption('predictions');
    await expect.poll(values).toEqual([
      'auto',
      ...known.predictions.map((f: { name: string }) => f.name)
    ]);
  });

  test('predictions added from the form appear on the dataset', async ({
    page,
    request,
    tmpPath
  }) => {
    const name = 'ui-with-preds';
    await drop(request, name);
    const { job } = await api(request, 'datasets', {
      source: path.join(SMALL, 'instances.json'),
      name,
      format: 'coco',
      images: IMAGES()
    });
    await expect
      .poll(async () => (await api(request, `jobs/${job.id}`)).status, { timeout: 60000 })
      .toBe('done');
    // A COCO results list: the ground truth boxes with a score.
    const coco = JSON.parse(fs.readFileSync(path.join(SMALL, 'instances.json'), 'utf-8'));
    const results = coco.annotations.map((a: any) => ({
      image_id: a.image_id,
      category_id: a.category_id,
      bbox: a.bbox,
      score: 0.9
    }));
    fs.writeFileSync(path.join(ROOT, tmpPath, 'detections.json'), JSON.stringify(results));
    const form = await fromBrowser(
      page,
      tmpPath,
      'detections.json',
      'Add as predictions in VisionLens'
    );
    await expect(form.locator('select[name="mode"]')).toHaveValue('predictions');
    await expect(form.locator('input[name="name"]')).toBeHidden();
    await expect(form.locator('.jp-VisionLens-ingestSubmit')).toHaveText('Add predictions');
    // the user picks the dataset (there are several); the model is named after the path
    await expect(form.locator('select[name="dataset"]')).toHaveValue('');
    await expect(form.locator('input[name="model"]')).toHaveValue(suggestedName(tmpPath));
    await form.locator('select[name="dataset"]').selectOption(name);
    await form.locator('input[name="model"]').fill('detector-v2');
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    const status = form.locator('.jp-VisionLens-jobText');
    await expect(status).toHaveText(
      `Done: predictions of 'detector-v2' on '${name}' (${results.length} predictions)`,
      { timeout: 60000 }
    );
    const card = page.locator(`.jp-VisionLens-datasetCard[data-dataset="${name}"]`);
    await expect(card.locator('[data-stat="models"]')).toContainText(
      `detector-v2 (${results.length})`
    );
    const { models } = await api(request, `datasets/${name}`);
    expect(models.map((m: any) => m.name)).toContain('detector-v2');

    // A split the dataset lacks: the server's answer names the splits it has.
    await form.locator('input[name="split"]').fill('nope');
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    await expect(status).toHaveClass(/jp-mod-error/, { timeout: 60000 });
    await expect(status).toContainText("Predictions import failed: the dataset has no split 'nope'");
    await form.locator('input[name="split"]').fill('');

    // Results on images the dataset lacks: the same warning line, not "Done".
    fs.writeFileSync(
      path.join(ROOT, tmpPath, 'detections.json'),
      JSON.stringify([...results, { ...results[0], image_id: 999999 }])
    );
    await form.locator('.jp-VisionLens-ingestSubmit').click();
    await expect(status).toHaveClass(/jp-mod-warning/, { timeout: 60000 });
    await expect(status).toContainText(
      `Added predictions of 'detector-v2' on '${name}' with warnings:`
    );
    // opened again, the form keeps no word of the last import (the choice of dataset stays)
    await form.locator('.jp-VisionLens-ingestClose').click();
    await openForm(page);
    await expect(status).toHaveText('');
    await expect(form.locator('select[name="dataset"]')).toHaveValue(name);
    await drop(request, name);
  });
});
