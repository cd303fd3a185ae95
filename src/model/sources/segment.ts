/**
 * Click-to-mask as the sample view asks for it: the best mask of a prompt
 * (the server's warm SAM, docs/segment.md), answered as an outcome the view
 * can show (a mask, or the server's reason: a model whose weights are not on
 * this machine is named with where it was looked for), and the prefetch of
 * the image embeddings of the samples about to be clicked. Nothing is
 * written here: a mask is kept through an edit (`editLabels`).
 */
import { VisionLensAPIError } from '../../api/restTransport';
import { ISegmentMask, ISegmentRequest, IVisionLensModel } from '../tokens';

/** What became of a prompt. */
export type SegmentOutcome =
  | { kind: 'mask'; mask: ISegmentMask }
  /** The server refused the prompt or the model (its message says why). */
  | { kind: 'refused'; message: string };

/**
 * The best mask of `request` on sample `sampleId` of `dataset`. An aborted
 * request rejects with its `AbortError`; a refusal (4xx) is an outcome.
 */
export async function segmentMask(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  request: ISegmentRequest,
  signal?: AbortSignal
): Promise<SegmentOutcome> {
  try {
    const mask = await model.client.segmentSample(
      dataset,
      sampleId,
      request,
      signal
    );
    return { kind: 'mask', mask };
  } catch (error) {
    if (error instanceof VisionLensAPIError && error.status < 500) {
      return { kind: 'refused', message: error.message };
    }
    throw error;
  }
}

/**
 * Ask the server to embed `sampleIds`' images with `segmentModel` in the
 * background (the first is embedded first); a new list replaces what the
 * last one had not started. Best effort: a refusal is the click's to tell,
 * so it is only returned (null: queued).
 */
export async function prefetchMasks(
  model: IVisionLensModel,
  dataset: string,
  segmentModel: string,
  sampleIds: number[]
): Promise<string | null> {
  try {
    await model.client.prefetchSegment(dataset, segmentModel, sampleIds);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
