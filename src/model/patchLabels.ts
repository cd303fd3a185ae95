/**
 * What a patch tile draws over its crop: the object's mask and keypoints,
 * and a pair's two boxes (an evaluation patch and its partner, a flagged
 * label and the prediction it disagrees with).
 */
import { IPatch, IPatchMatch } from '../api/patchTypes';
import { LabelType } from './labels';
import { IAnnotation } from './tokens';

/** What a patch tile draws over its crop (`patchLabels`). */
export interface IPatchLabels {
  /** The image's size and the region of it the crop shows, `[x, y, w, h]`. */
  width: number;
  height: number;
  region: [number, number, number, number];
  /** The object, and for a pair the ground truth it matched first. */
  annotations: IAnnotation[];
  /** The label types drawn: masks and keypoints; a pair's two boxes too. */
  shown: ReadonlySet<LabelType>;
}

const SHAPES: ReadonlySet<LabelType> = new Set(['masks', 'keypoints']);
const PAIR: ReadonlySet<LabelType> = new Set(['boxes', 'masks', 'keypoints']);

/**
 * What the tile of `patch` draws over its crop, or null for nothing (no mask,
 * no keypoints, no pair, or an image of unknown size). The crop shows the
 * object itself, so its box is drawn only for a pair (an evaluation patch
 * with its partner: a true positive's match, a false positive's explaining
 * ground truth, a miss's best-overlapping prediction): there the two
 * outlines are the point. The partner is drawn first, ground truth solid and
 * predictions dashed; in a true positive both carry its status, otherwise
 * the partner is drawn in its class colour (only the patch has the status).
 */
export function patchLabels(patch: IPatch): IPatchLabels | null {
  const { crop, image_width: width, image_height: height } = patch;
  const own: IAnnotation = {
    ann_id: patch.ann_id,
    source: patch.source,
    label: patch.label,
    bbox: [patch.x, patch.y, patch.w, patch.h],
    score: patch.score,
    // A tile draws no crowd or difficult flag: a patch carries the one, a
    // partner neither.
    iscrowd: patch.iscrowd,
    difficult: false,
    status: patch.status ?? null
  };
  if (patch.segmentation !== undefined && patch.segmentation !== null) {
    own.segmentation = patch.segmentation;
  }
  if (Array.isArray(patch.keypoints)) {
    own.keypoints = patch.keypoints;
  }
  const shapes = own.segmentation !== undefined || own.keypoints !== undefined;
  const m = patchPartner(patch);
  if (!crop || !width || !height || !(shapes || m)) {
    return null;
  }
  const annotations = [own];
  if (m) {
    annotations.unshift({
      ann_id: m.ann_id,
      source: m.source,
      label: m.label,
      bbox: [m.x, m.y, m.w, m.h],
      score: m.score,
      iscrowd: false,
      difficult: false,
      status: patch.status === 'tp' ? 'tp' : null
    });
  }
  return {
    width,
    height,
    region: crop,
    annotations,
    shown: annotations.length > 1 ? PAIR : SHAPES
  };
}

/**
 * The partner `patch` is drawn with, or null: only one the server cropped
 * with it (`crop_with`), so the boxes line up with the crop.
 */
export function patchPartner(patch: IPatch): IPatchMatch | null {
  const m = patch.match;
  return m && patch.crop_with === m.ann_id ? m : null;
}
