/**
 * The model jobs' request types and client methods: `POST
 * datasets/{name}/predict` (a detector, a zero-shot classifier, a captioner
 * or a VLM run over a dataset or a view of it, as a job).
 */
import { IJob } from './types';
import { IWirePredictRequest } from './wireTypes';

/** The body of a predict job (docs/models.md). */
export type IPredictRequest = IWirePredictRequest;

/** The client's model-job methods (`VisionLensClient` has them). */
export interface IModelJobsClient {
  /** Start a model's predictions job on `dataset` (its result: the job's). */
  predict(dataset: string, request: IPredictRequest): Promise<IJob>;
}
