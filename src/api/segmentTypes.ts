/**
 * JSON of click-to-mask (`POST /datasets/{name}/samples/{sample_id}/segment`
 * and `.../segment/prefetch`), see visionlens_jlab/openapi.yaml and docs/segment.md.
 */
import type {
  IWireSamplesSegmentRequest,
  IWireSegmentMask,
  IWireSegmentPrefetch
} from './wireTypes';

/** A click's prompt: the model, points (label 1 on the object, 0 not) and a box. */
export type ISegmentRequest = IWireSamplesSegmentRequest;

/** The best mask of a prompt (COCO RLE in the image's pixels), its extent and score. */
export type ISegmentMask = IWireSegmentMask;

/** What a prefetch of image embeddings queued. */
export type ISegmentPrefetch = IWireSegmentPrefetch;
