/**
 * The regions of a semantic label-quality run as tiles of the patches view:
 * a region (an 8-connected component of one class of the ground-truth label
 * map) is shown as an object whose box is the region's, its class its label,
 * with the model's class beside it. A region has no object id: its tile's key
 * is a negative number no object has (`regionKey`), and its crop and its
 * sample are read by its own key (model, sample, region number).
 */
import { IPatch, IRegionPatch } from '../api/patchTypes';

/** Room for each image's region numbers in a tile's key. */
const REGIONS_PER_SAMPLE = 2 ** 20;

/** The key of a region's tile: negative, so that no object id is one. */
export function regionKey(sampleId: number, region: number): number {
  return -(sampleId * REGIONS_PER_SAMPLE + region + 1);
}

/** A region of `model`'s run as a tile of the patches view. */
export function regionTile(model: string, r: IRegionPatch): IPatch {
  return {
    ann_id: regionKey(r.sample_id, r.region),
    sample_id: r.sample_id,
    source: model,
    label: r.label,
    x: r.x,
    y: r.y,
    w: r.w,
    h: r.h,
    bbox: [r.x, r.y, r.w, r.h],
    score: r.score,
    area: r.pixels,
    iscrowd: false,
    attributes: {},
    file_name: r.file_name,
    tags: [],
    image_width: r.image_width,
    image_height: r.image_height,
    crop: r.crop,
    lq_score: r.score,
    lq_flagged: r.flagged,
    region: {
      model,
      region: r.region,
      predicted: r.predicted,
      pixels: r.pixels,
      flagged: r.flagged
    }
  };
}

/**
 * A region tile's caption: its class against the model's and the share of its
 * pixels the model agrees with ("road → sidewalk · 0.12"); its size is in the
 * tile's title (`regionTitle`), so the caption fits a tile's width.
 */
export function regionCaption(patch: IPatch): string | null {
  const region = patch.region;
  if (!region) {
    return null;
  }
  const predicted = region.predicted ?? 'no class';
  const score = patch.score === null ? '?' : patch.score.toFixed(2);
  return `${patch.label} → ${predicted} · ${score}`;
}

/** A region tile's title: its image, its number there and its size in pixels. */
export function regionTitle(patch: IPatch): string | null {
  const region = patch.region;
  if (!region) {
    return null;
  }
  return `${patch.file_name} (region ${region.region}, ${region.pixels} px)`;
}

/** The samples of some tiles, ascending, each once (a region's is its own). */
export function tileSamples(patches: readonly IPatch[]): number[] {
  return [...new Set(patches.map(p => p.sample_id))].sort((a, b) => a - b);
}
