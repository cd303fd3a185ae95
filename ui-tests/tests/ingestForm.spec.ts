/**
 * The ingest form (issue 32 item 4): its last line warns when the report
 * found problems instead of saying "Done".
 *
 * The COCO file is global-setup's 20-image `small20` (its images live in the
 * demo's folder, named in its IMAGES file), copied into the test's folder of
 * the Jupyter root.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { runEnv, toolbarItem } from './helpers';

const DATA_DIR = runEnv('VISIONLENS_DATA_DIR');
const ROOT = runEnv('JUPYTERLAB_GALATA_ROOT_DIR');
const BASE = runEnv('TARGET_URL');
const SMALL = path.join(DATA_DIR, 'ui-sources', 'small20');

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
  await page.sidebar.openTab('visionlens-datasets');
  const panel = page.locator('#visionlens-datasets');
  const header = panel.locator('.jp-VisionLens-panelHeader');
  await (await toolbarItem(page, header, '.jp-VisionLens-ingestToggle')).click();
  return panel.locator('.jp-VisionLens-ingestForm');
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
});
