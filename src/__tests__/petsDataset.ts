/**
 * The two-image dataset of the edit and version specs: 64x48 images with one
 * box each (a cat on img1, a dog on img2), and the same boxes as a model's
 * predictions (`copycat.json`, score 0.9).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import type { VisionLensClient } from '../api/client';

/** Every box of the dataset, `[x, y, w, h]`. */
export const PET_BOX = [4, 4, 20, 10];

/** Write the images, `labels.json` (COCO) and `copycat.json` (COCO results) to `dir`. */
export function writePets(dir: string): {
  labels: string;
  predictions: string;
} {
  const python = process.env.VISIONLENS_PYTHON || 'python';
  execFileSync(python, [
    '-c',
    'import sys; from PIL import Image\n' +
      'for i in (1, 2): Image.new("RGB", (64, 48), (90, 90, 160)).save(f"{sys.argv[1]}/img{i}.png")',
    dir
  ]);
  const ids = [1, 2];
  const labels = path.join(dir, 'labels.json');
  fs.writeFileSync(
    labels,
    JSON.stringify({
      images: ids.map(id => ({
        id,
        file_name: `img${id}.png`,
        width: 64,
        height: 48
      })),
      annotations: ids.map(id => ({
        id,
        image_id: id,
        category_id: id,
        bbox: PET_BOX,
        area: 200,
        iscrowd: 0
      })),
      categories: [
        { id: 1, name: 'cat' },
        { id: 2, name: 'dog' }
      ]
    })
  );
  const predictions = path.join(dir, 'copycat.json');
  fs.writeFileSync(
    predictions,
    JSON.stringify(
      ids.map(id => ({
        image_id: id,
        category_id: id,
        bbox: PET_BOX,
        score: 0.9
      }))
    )
  );
  return { labels, predictions };
}

/**
 * Write the pets files to `dir` and ingest `labels.json` as the dataset
 * `pets` through the real client; the files, for what a spec adds next.
 */
export async function ingestPets(
  client: VisionLensClient,
  dir: string
): Promise<{ labels: string; predictions: string }> {
  const files = writePets(dir);
  const job = await client.ingest({
    source: files.labels,
    name: 'pets',
    format: 'coco'
  });
  await client.waitForJob(job.id, { intervalMs: 50 });
  return files;
}
