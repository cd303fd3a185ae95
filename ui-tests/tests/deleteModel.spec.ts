/**
 * "Delete model…" in Chromium: a dataset of small20 with its boxes also as
 * model `copycat`'s predictions; the command asks which model, shows the
 * server's count of what goes, and after the confirmation the model is gone
 * from the dataset (its predictions and its row) while the ground truth stays.
 * Its own dataset, so the other tests' counts stay.
 */
import { small20WithCopycat } from './copycat';
import { expect, test } from './fixtures';
import { api, openGrid } from './helpers';

const NAME = 'ui-delete-model';

test.describe('VisionLens delete model', () => {
  test('deletes a model after confirming the count', async ({
    page,
    request
  }) => {
    const n = await small20WithCopycat(request, NAME);

    await openGrid(page, NAME);
    // not awaited: the command resolves once its dialogs are answered below
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute('visionlens:delete-model');
    });
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-VisionLens-deleteModelName').selectOption('copycat');
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toContainText(
      `Delete the model “copycat” from “${NAME}”: ${n} objects?`
    );
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);

    await expect
      .poll(async () => (await api(request, `datasets/${NAME}`)).models.length)
      .toBe(0);
    const { samples } = await api(request, `datasets/${NAME}/samples/query`, {
      offset: 0,
      limit: 50
    });
    expect(samples.length).toBe(20);
    const sources = new Set<string>();
    for (const { sample_id } of samples.slice(0, 5)) {
      const detail = await api(request, `datasets/${NAME}/samples/${sample_id}`);
      detail.annotations.forEach((a: any) => sources.add(a.source));
    }
    expect([...sources]).toEqual(['ground_truth']); // the ground truth stays
  });
});
