/**
 * Blind spots of an evaluated model: the last result, running the search (a
 * job) and storing a reviewer's verdict.
 */
import {
  BlindSpotVerdict,
  IBlindSpotsRequest,
  IBlindSpotsResult,
  IJob,
  IVisionLensModel
} from '../tokens';

/** The last blind-spots result of `modelName`, or null when none ran. */
export function lastBlindSpots(
  model: IVisionLensModel,
  dataset: string,
  modelName: string,
  signal?: AbortSignal
): Promise<IBlindSpotsResult | null> {
  return model.client.lastBlindSpots(dataset, modelName, signal);
}

/**
 * Start the search (`onStarted` gets the job, to cancel it), follow it to its
 * end and resolve with its result.
 */
export async function findBlindSpots(
  model: IVisionLensModel,
  dataset: string,
  request: IBlindSpotsRequest,
  follow: { onStarted: (job: IJob) => void; onUpdate: (job: IJob) => void }
): Promise<IBlindSpotsResult | null> {
  const job = await model.client.startBlindSpots(dataset, request);
  follow.onStarted(job);
  await model.client.waitForJob(job, { onUpdate: follow.onUpdate });
  return lastBlindSpots(model, dataset, request.model);
}

/** Store a reviewer's verdict on one finding. */
export function reviewBlindSpot(
  model: IVisionLensModel,
  dataset: string,
  findingId: string,
  verdict: BlindSpotVerdict
): Promise<void> {
  return model.client.reviewBlindSpot(dataset, findingId, verdict);
}
