/**
 * Videos of a dataset as the video view reads them: the timeline of the video
 * a frame sample belongs to (its frames by number and its tracks).
 */
import { ISample, IVideoTimeline, IVisionLensModel } from '../tokens';

/** The video (frames, tracks) of frame sample `sampleId` (404 for an image). */
export function videoTimeline(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  signal?: AbortSignal
): Promise<IVideoTimeline> {
  return model.client.sampleTimeline(dataset, sampleId, signal);
}

/**
 * The frame `sample` is, from its `video` and `frame_number` fields (ingest
 * writes them on every frame); null for a still image.
 */
export function frameOf(
  sample: ISample | null
): { video: string; frame: number } | null {
  const fields = sample?.fields as Record<string, unknown> | undefined;
  const video = fields?.video;
  const frame = fields?.frame_number;
  if (typeof video !== 'string' || typeof frame !== 'number') {
    return null;
  }
  return Number.isInteger(frame) && frame >= 1 ? { video, frame } : null;
}
