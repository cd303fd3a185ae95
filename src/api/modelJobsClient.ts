/**
 * The REST methods of the model jobs: start a predictions job.
 * `VisionLensClient` extends this class.
 */
import { IJob } from './types';
import { IModelJobsClient, IPredictRequest } from './modelJobTypes';
import { enc } from './restTransport';
import { SelectionTransport } from './selectionClient';

/** The model-job endpoints over the HTTP transport. */
export class ModelJobsTransport
  extends SelectionTransport
  implements IModelJobsClient
{
  predict(dataset: string, request: IPredictRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/predict`, request);
  }
}
