/**
 * The REST methods of the quality view: the overview of issue types and the
 * two jobs that compute them. `VisionLensClient` extends this class.
 */
import { IJob } from './types';
import { IQualityOverview } from './qualityTypes';
import { enc } from './restTransport';
import { LabelsTransport } from './labelsClient';

/** The quality endpoints over the HTTP transport. */
export class QualityTransport extends LabelsTransport {
  qualityOverview(
    dataset: string,
    model?: string | null,
    signal?: AbortSignal
  ): Promise<IQualityOverview> {
    const query = model ? `?model=${enc(model)}` : '';
    return this._request(`datasets/${enc(dataset)}/quality${query}`, {
      signal
    });
  }

  async startLabelQuality(dataset: string, model: string): Promise<IJob> {
    const data = await this._post<{ job: IJob }>(
      `datasets/${enc(dataset)}/label-quality`,
      { model }
    );
    return data.job;
  }

  async startImageQuality(dataset: string): Promise<IJob> {
    const data = await this._post<{ job: IJob }>(
      `datasets/${enc(dataset)}/image-quality`,
      {}
    );
    return data.job;
  }
}
