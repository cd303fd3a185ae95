/**
 * The REST methods of selection (what to label next): start a run (a job),
 * list a dataset's runs and read one with its chosen rows.
 * `VisionLensClient` extends this class.
 */
import { IJob } from './types';
import { ISelectionRecord, ISelectionRequest } from './selectionTypes';
import { enc } from './restTransport';
import { QualityTransport } from './qualityClient';

/** The selection endpoints over the HTTP transport. */
export class SelectionTransport extends QualityTransport {
  async startSelection(
    dataset: string,
    request: ISelectionRequest
  ): Promise<IJob> {
    const data = await this._post<{ job: IJob }>(
      `datasets/${enc(dataset)}/selections`,
      request
    );
    return data.job;
  }

  async listSelections(
    dataset: string,
    signal?: AbortSignal
  ): Promise<ISelectionRecord[]> {
    const data = await this._request<{ selections: ISelectionRecord[] }>(
      `datasets/${enc(dataset)}/selections`,
      { signal }
    );
    return data.selections;
  }

  getSelection(
    dataset: string,
    id: number,
    signal?: AbortSignal
  ): Promise<ISelectionRecord> {
    return this._request(`datasets/${enc(dataset)}/selections/${id}`, {
      signal
    });
  }
}
