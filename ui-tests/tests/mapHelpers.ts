/**
 * The embedding map, driven as a user does: open it on a dataset, draw a lasso
 * through fractions of its body, and ask the server which ids the shape the
 * map sent holds (what every expected selection is checked against).
 */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, expect, Locator } from '@playwright/test';

import { api, command } from './helpers';

/** A lasso's corners, as fractions of the map body. */
export type Shape = [number, number][];

/** Open the PCA map of `dataset` and wait for its points. */
export async function openMap(page: IJupyterLabPageFixture, dataset: string): Promise<Locator> {
  await command(page, 'visionlens:open-map', { dataset, method: 'pca' });
  const map = page.locator('#visionlens-map-main .jp-VisionLens-map');
  await expect(map).toHaveAttribute('data-points', /\d+/, { timeout: 60000 });
  return map;
}

/**
 * Drag a lasso through `fractions` of the map body (with `modifier` held: add
 * or remove) and wait until the map has sent its new shape.
 */
export async function lasso(
  page: IJupyterLabPageFixture,
  map: Locator,
  fractions: Shape,
  modifier?: 'Shift' | 'Alt'
): Promise<void> {
  const before = await map.getAttribute('data-last-shape');
  await map.locator('.jp-VisionLens-mapTool[data-tool="lasso"]').click();
  const box = (await map.locator('.jp-VisionLens-mapBody').boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height];
  if (modifier) {
    await page.keyboard.down(modifier);
  }
  const [x0, y0] = at(fractions[0]);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (const f of [...fractions.slice(1), fractions[0]]) {
    const [x, y] = at(f);
    await page.mouse.move(x, y, { steps: 6 });
  }
  await page.mouse.up();
  if (modifier) {
    await page.keyboard.up(modifier);
  }
  if (before === null) {
    await expect(map).toHaveAttribute('data-last-shape', /\S/);
  } else {
    await expect(map).not.toHaveAttribute('data-last-shape', before);
  }
}

/** The server's ids for the shape the map of `dataset` last sent. */
export async function serverIds(
  request: APIRequestContext,
  map: Locator,
  dataset: string
): Promise<number[]> {
  const shape = JSON.parse((await map.getAttribute('data-last-shape')) as string);
  const mapId = await map.getAttribute('data-map-id');
  const answer = await api(request, `datasets/${dataset}/maps/${mapId}/select`, shape);
  expect(answer.count).toBe(answer.ids.length);
  return answer.ids;
}
