/**
 * A dataset of its own for the tests that edit or delete labels: small20's
 * COCO boxes as its ground truth and again as model `copycat`'s predictions
 * (every box, score 0.9), so a test can change either without touching the
 * counts the other tests check.
 */
import { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { api, ingestAnew, jobDone, runEnv } from './helpers';

/** The model whose predictions are the ground truth's boxes. */
export const COPYCAT = 'copycat';

/**
 * Dataset `name` anew from small20, with `copycat`'s predictions; returns
 * how many predictions it has (small20's objects).
 */
export async function small20WithCopycat(
  request: APIRequestContext,
  name: string
): Promise<number> {
  const small = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');
  const source = path.join(small, 'instances.json');
  const images = fs.readFileSync(path.join(small, 'IMAGES'), 'utf-8');
  await ingestAnew(request, name, source, images);
  const coco = JSON.parse(fs.readFileSync(source, 'utf-8'));
  const results = coco.annotations.map((a: any) => ({
    image_id: a.image_id,
    category_id: a.category_id,
    bbox: a.bbox,
    score: 0.9
  }));
  // one file per dataset: the specs run in parallel workers
  const file = path.join(path.dirname(small), `${COPYCAT}-${name}.json`);
  fs.writeFileSync(file, JSON.stringify(results));
  const body = { source: file, model: COPYCAT, format: 'coco' };
  await jobDone(
    request,
    (await api(request, `datasets/${name}/predictions`, body)).job
  );
  return results.length;
}
