/**
 * Image-level labels are edited in the sample view (issue #51): on the `labels`
 * dataset (every image's ground truth is the class `indoor`), the image-label
 * input and Set label make `outdoor` the sample's label (its chip, and the
 * server's rows, follow), Remove label takes it away, and Remove with nothing
 * left says so. Every change is a batch of the edit log: the test undoes them
 * all, leaving the dataset as the other specs expect it.
 */
import { expect, test } from './fixtures';

import { api, command, imagesLoaded, toolbarItem } from './helpers';

test.use({ autoGoto: true });

/** The sample's ground-truth image labels, as the server reads them. */
async function serverLabels(request: any, sampleId: number): Promise<string[]> {
  const sample = await api(request, `datasets/labels/samples/${sampleId}`);
  return sample.classifications
    .filter((c: any) => c.source === 'ground_truth')
    .map((c: any) => c.label)
    .sort();
}

test('the sample view sets and removes the image label, one undoable edit each', async ({
  page,
  request
}) => {
  const first = (await api(request, 'datasets/labels/samples/query', { limit: 1 })).samples[0];
  const id = first.sample_id as number;
  expect(await serverLabels(request, id)).toEqual(['indoor']);
  await command(page, 'visionlens:open-sample', { dataset: 'labels', sampleId: id });
  const view = page.locator('.jp-VisionLens-sample:visible');
  const stage = view.locator('.jp-VisionLens-stage');
  await imagesLoaded(stage);
  await expect(stage.locator('.jp-VisionLens-classChip')).toHaveText(['indoor']);
  const bar = view.locator('.jp-VisionLens-sampleTagBar');
  const item = (selector: string) => toolbarItem(page, bar, selector);
  let batches = 0;
  try {
    await (await item('.jp-VisionLens-imageLabelInput')).fill('outdoor');
    await (await item('.jp-VisionLens-imageLabelSet')).click();
    await expect.poll(() => serverLabels(request, id)).toEqual(['outdoor']);
    batches += 1;
    await expect(stage.locator('.jp-VisionLens-classChip')).toHaveText(['outdoor']);

    await (await item('.jp-VisionLens-imageLabelRemove')).click();
    await expect.poll(() => serverLabels(request, id)).toEqual([]);
    batches += 1;
    await expect(stage.locator('.jp-VisionLens-classChip')).toHaveCount(0);
    await (await item('.jp-VisionLens-imageLabelRemove')).click();
    await expect(await item('.jp-VisionLens-imageLabelStatus')).toHaveText(
      'No image label to remove.'
    );
  } finally {
    for (let i = 0; i < batches; i++) {
      await api(request, 'datasets/labels/edits/undo', {});
    }
  }
  expect(await serverLabels(request, id)).toEqual(['indoor']);
});
