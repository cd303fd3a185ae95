/**
 * Videos of a dataset as the video view reads them: the timeline of the video
 * a frame sample belongs to (its frames by number and its tracks).
 */
import { ISample, IVideoTimeline, IVisionLensModel } from '../tokens';

/**
 * The video (frames, tracks) of frame sample `sampleId` (404 for an image),
 * its tracks marked with the identity switches of `tracker`'s tracking
 * evaluation; without `tracker`, of the dataset's first model that has one
 * (none: no switches).
 */
export async function videoTimeline(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  signal?: AbortSignal,
  tracker?: string
): Promise<IVideoTimeline> {
  const client = model.client;
  const timeline = await client.sampleTimeline(
    dataset,
    sampleId,
    signal,
    tracker
  );
  const first = timeline.tracking_models[0];
  return tracker === undefined && first !== undefined
    ? client.sampleTimeline(dataset, sampleId, signal, first)
    : timeline;
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
