/**
 * The one REST client of the lab extension (`{base_url}visionlens/api/`).
 *
 * Built from the application's `serviceManager.serverSettings`, so base_url
 * prefixes, tokens and XSRF cookies are handled as for every other JupyterLab
 * request. The model token exposes it; panels never build URLs or call
 * `fetch` themselves. The HTTP side (URLs, requests, error answers) is in
 * `restTransport.ts`; this file and `labelsClient.ts` have one typed method
 * per endpoint.
 */
import {
  IIngestRequest,
  IPositionRequest,
  IPredictionsRequest,
  ISelectionPosition,
  IVisionLensClient,
  IWaitForJobOptions
} from './interfaces';
import {
  IDatasetDetail,
  IDatasetInfo,
  IEmbeddingModel,
  IEvaluationReport,
  IEvaluationRequest,
  IEvaluationSummary,
  IFacets,
  IFileFormats,
  IFilter,
  IJob,
  IPluginsListing,
  IQueryOptions,
  ISample,
  ISampleDetailsRequest,
  ISampleIds,
  ISamplesPage,
  ISelectionCode,
  IVideoTimeline,
  SelectionCodeRequest
} from './types';
import {
  IDeleteLabelsRequest,
  IDeleteLabelsResult,
  IDeleteModelResult,
  IDeleteSamplesRequest,
  IDeleteSamplesResult,
  IExportRequest,
  IMergeRequest,
  ISubsetRequest
} from './exportTypes';
import { EmbeddingsTransport } from './embeddingsClient';
import {
  BlindSpotVerdict,
  IBlindSpotsRequest,
  IBlindSpotsResult
} from './blindSpotTypes';
import { followJob } from './jobs';
import { enc, queryString } from './restTransport';

/** How often `waitForJob` polls by default, in ms. */
export const JOB_POLL_MS = 500;

/** A job that ended without a result (`failed` or `cancelled`). */
export class JobError extends Error {
  constructor(readonly job: IJob) {
    super(
      job.status === 'cancelled'
        ? `${job.kind} job ${job.id} was cancelled`
        : `${job.kind} job ${job.id} failed: ${job.error ?? job.message ?? 'unknown error'}`
    );
    this.name = 'JobError';
  }
}

/**
 * The typed REST client behind the model token (the labels' endpoints,
 * edits, versions, Label Studio and patches, come from `LabelsTransport`;
 * the quality view's from `QualityTransport`; selection's from
 * `SelectionTransport`; the model jobs' from `ModelJobsTransport`; the
 * videos view's from `VideosTransport`; embeddings, search, duplicates and
 * maps from `EmbeddingsTransport`).
 */
export class VisionLensClient
  extends EmbeddingsTransport
  implements IVisionLensClient
{
  async listDatasets(signal?: AbortSignal): Promise<IDatasetInfo[]> {
    const data = await this._request<{ datasets: IDatasetInfo[] }>('datasets', {
      signal
    });
    return data.datasets;
  }

  formats(signal?: AbortSignal): Promise<IFileFormats> {
    return this._request('formats', { signal });
  }

  getDataset(name: string, signal?: AbortSignal): Promise<IDatasetDetail> {
    return this._request(`datasets/${enc(name)}`, { signal });
  }

  async ingest(body: IIngestRequest): Promise<IJob> {
    const data = await this._post<{ job: IJob }>('datasets', body);
    return data.job;
  }

  async importPredictions(
    dataset: string,
    body: IPredictionsRequest
  ): Promise<IJob> {
    const data = await this._post<{ job: IJob }>(
      `datasets/${enc(dataset)}/predictions`,
      body
    );
    return data.job;
  }

  async deleteDataset(name: string): Promise<void> {
    await this._request(`datasets/${enc(name)}`, { method: 'DELETE' });
  }

  async listJobs(signal?: AbortSignal): Promise<IJob[]> {
    const data = await this._request<{ jobs: IJob[] }>('jobs', { signal });
    return data.jobs;
  }

  getJob(id: string, signal?: AbortSignal): Promise<IJob> {
    return this._request(`jobs/${enc(id)}`, { signal });
  }

  cancelJob(id: string): Promise<IJob> {
    return this._request(`jobs/${enc(id)}`, { method: 'DELETE' });
  }

  async waitForJob(
    job: IJob | string,
    options: IWaitForJobOptions = {}
  ): Promise<IJob> {
    const { signal, onUpdate } = options;
    const first =
      typeof job === 'string' ? await this.getJob(job, signal) : job;
    const last = await followJob((id, s) => this.getJob(id, s), first, {
      intervalMs: options.intervalMs ?? JOB_POLL_MS,
      signal,
      onUpdate
    });
    if (last.status !== 'done') {
      throw new JobError(last);
    }
    return last;
  }

  querySamples(
    dataset: string,
    filter: IFilter,
    options: IQueryOptions,
    signal?: AbortSignal
  ): Promise<ISamplesPage> {
    return this._post(
      `datasets/${enc(dataset)}/samples/query`,
      { filter, ...options },
      signal
    );
  }

  getSample(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal,
    evalStatus?: string,
    version?: number
  ): Promise<ISample> {
    const query = queryString({ eval_status: evalStatus, version });
    return this._request(
      `datasets/${enc(dataset)}/samples/${sampleId}${query}`,
      { signal }
    );
  }

  sampleDetails(
    dataset: string,
    ids: readonly number[],
    signal?: AbortSignal,
    evalStatus?: string,
    version?: number
  ): Promise<ISample[]> {
    const body: ISampleDetailsRequest = {
      ids: [...ids],
      eval_status: evalStatus,
      version
    }; // undefined options are left out
    return this._post<{ samples: ISample[] }>(
      `datasets/${enc(dataset)}/samples/details`,
      body,
      signal
    ).then(answer => answer.samples);
  }

  sampleTimeline(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal,
    model?: string
  ): Promise<IVideoTimeline> {
    const query = queryString({ model });
    return this._request(
      `datasets/${enc(dataset)}/samples/${sampleId}/timeline${query}`,
      { signal }
    );
  }

  ids(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal,
    version?: number
  ): Promise<ISampleIds> {
    const body = { filter, version }; // an undefined version is left out
    return this._post(`datasets/${enc(dataset)}/ids`, body, signal);
  }

  selectionPosition(
    dataset: string,
    body: IPositionRequest,
    signal?: AbortSignal
  ): Promise<ISelectionPosition> {
    return this._post(`datasets/${enc(dataset)}/position`, body, signal);
  }

  tags(
    dataset: string,
    filter: IFilter,
    add: string[],
    remove: string[]
  ): Promise<{ updated: number }> {
    return this._post(`datasets/${enc(dataset)}/tags`, { filter, add, remove });
  }

  facets(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal,
    version?: number
  ): Promise<IFacets> {
    // POST: a filter of many ids or values outgrows a URL.
    const body = { filter, version }; // an undefined version is left out
    return this._post(`datasets/${enc(dataset)}/facets`, body, signal);
  }

  selectionCode(
    dataset: string,
    body: SelectionCodeRequest,
    signal?: AbortSignal
  ): Promise<ISelectionCode> {
    return this._post(`datasets/${enc(dataset)}/selection-code`, body, signal);
  }

  async listEvaluations(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IEvaluationSummary[]> {
    const data = await this._request<{ evaluations: IEvaluationSummary[] }>(
      `datasets/${enc(dataset)}/evaluations`,
      { signal }
    );
    return data.evaluations;
  }

  getEvaluation(
    dataset: string,
    key: string,
    signal?: AbortSignal
  ): Promise<IEvaluationReport> {
    return this._request(`datasets/${enc(dataset)}/evaluations/${enc(key)}`, {
      signal
    });
  }

  async startEvaluation(
    dataset: string,
    request: IEvaluationRequest
  ): Promise<IJob> {
    const data = await this._post<{ job: IJob }>(
      `datasets/${enc(dataset)}/evaluations`,
      request
    );
    return data.job;
  }

  async startExport(dataset: string, request: IExportRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/exports`, request);
  }

  async startSubset(dataset: string, request: ISubsetRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/subset`, request);
  }

  async startMerge(dataset: string, request: IMergeRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/merge`, request);
  }

  async deleteViewLabels(
    dataset: string,
    request: IDeleteLabelsRequest
  ): Promise<IDeleteLabelsResult> {
    return this._post<IDeleteLabelsResult>(
      `datasets/${enc(dataset)}/edits/delete_labels`,
      request
    );
  }

  async deleteViewSamples(
    dataset: string,
    request: IDeleteSamplesRequest
  ): Promise<IDeleteSamplesResult> {
    return this._post<IDeleteSamplesResult>(
      `datasets/${enc(dataset)}/edits/delete_samples`,
      request
    );
  }

  deleteModel(
    dataset: string,
    model: string,
    dryRun = false
  ): Promise<IDeleteModelResult> {
    const query = dryRun ? '?dry_run=true' : '';
    return this._request<IDeleteModelResult>(
      `datasets/${enc(dataset)}/models/${enc(model)}${query}`,
      { method: 'DELETE' }
    );
  }

  async listModels(signal?: AbortSignal): Promise<IEmbeddingModel[]> {
    // A bare list as specified in issue #11; `{models}` like the other lists too.
    const data = await this._request<
      IEmbeddingModel[] | { models: IEmbeddingModel[] }
    >('models', { signal });
    return Array.isArray(data) ? data : data.models;
  }

  listPlugins(signal?: AbortSignal): Promise<IPluginsListing> {
    return this._request<IPluginsListing>('plugins', { signal });
  }

  startBlindSpots(dataset: string, request: IBlindSpotsRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/blindspots`, request);
  }

  lastBlindSpots(
    dataset: string,
    model: string,
    signal?: AbortSignal
  ): Promise<IBlindSpotsResult | null> {
    return this._latest(
      `datasets/${enc(dataset)}/blindspots?model=${enc(model)}`,
      signal
    );
  }

  async reviewBlindSpot(
    dataset: string,
    findingId: string,
    verdict: BlindSpotVerdict
  ): Promise<void> {
    await this._post(
      `datasets/${enc(dataset)}/blindspots/${enc(findingId)}/review`,
      { verdict }
    );
  }

  imageUrl(dataset: string, sampleId: number, size?: number): string {
    const url = this.url(`datasets/${enc(dataset)}/samples/${sampleId}/image`);
    return size ? `${url}?size=${size}` : url;
  }

  videoUrl(dataset: string, sampleId: number): string {
    return this.url(`datasets/${enc(dataset)}/samples/${sampleId}/video`);
  }

  maskUrl(
    dataset: string,
    sampleId: number,
    source: string,
    size?: number
  ): string {
    const url = this.url(
      `datasets/${enc(dataset)}/samples/${sampleId}/masks/${enc(source)}`
    );
    return size ? `${url}?size=${size}` : url;
  }
}
