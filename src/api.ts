/**
 * REST access to the VisionLens server extension (`{base_url}visionlens/api/`).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IDatasetDetail,
  IDatasetInfo,
  IFacets,
  IFilter,
  IJob,
  IQueryOptions,
  ISample,
  ISamplesPage,
  IVisionLensClient
} from './tokens';

/** The API prefix under the server's base URL. */
export const API_PREFIX = 'visionlens/api';

/** An error answer of the server, with its message when it sent one. */
export class VisionLensAPIError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'VisionLensAPIError';
  }
}

/**
 * Call the VisionLens REST API.
 *
 * Uses the Jupyter server connection settings, so base_url prefixes, tokens
 * and XSRF cookies are handled as for every other JupyterLab request.
 *
 * @param endpoint path under `visionlens/api/`, e.g. `datasets/x/facets?filter=...`
 * @param init fetch options (method, body, signal...)
 * @param settings connection settings (defaults to `ServerConnection.makeSettings()`)
 * @returns the parsed JSON body, or undefined for an empty answer (204)
 */
export async function requestAPI<T>(
  endpoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_PREFIX, endpoint);
  if (init.body !== undefined && typeof init.body === 'string') {
    init = {
      ...init,
      headers: { 'Content-Type': 'application/json', ...(init.headers || {}) }
    };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') {
      throw error;
    }
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    throw new VisionLensAPIError(errorMessage(data, response), response.status);
  }
  return data as T;
}

/** The most helpful message of an error answer (tornado/jupyter_server shapes). */
function errorMessage(data: any, response: Response): string {
  if (data && typeof data === 'object') {
    for (const key of ['message', 'error', 'reason']) {
      if (typeof data[key] === 'string' && data[key]) {
        return data[key];
      }
    }
  }
  if (typeof data === 'string' && data && data.length < 500) {
    return data;
  }
  return `${response.status} ${response.statusText || 'request failed'}`;
}

const enc = encodeURIComponent;

/** The typed REST client used by the model and every panel. */
export class VisionLensClient implements IVisionLensClient {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  private request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(endpoint, init, this.settings);
  }

  private post<T>(
    endpoint: string,
    body: unknown,
    signal?: AbortSignal
  ): Promise<T> {
    return this.request<T>(endpoint, {
      method: 'POST',
      body: JSON.stringify(body),
      signal
    });
  }

  async listDatasets(signal?: AbortSignal): Promise<IDatasetInfo[]> {
    const data = await this.request<{ datasets: IDatasetInfo[] }>('datasets', {
      signal
    });
    return data.datasets;
  }

  getDataset(name: string, signal?: AbortSignal): Promise<IDatasetDetail> {
    return this.request(`datasets/${enc(name)}`, { signal });
  }

  async ingest(body: {
    source: string;
    name: string;
    format?: string;
    images?: string;
    split?: string;
  }): Promise<IJob> {
    const data = await this.post<{ job: IJob }>('datasets', body);
    return data.job;
  }

  async deleteDataset(name: string): Promise<void> {
    await this.request(`datasets/${enc(name)}`, { method: 'DELETE' });
  }

  getJob(id: string, signal?: AbortSignal): Promise<IJob> {
    return this.request(`jobs/${enc(id)}`, { signal });
  }

  querySamples(
    dataset: string,
    filter: IFilter,
    options: IQueryOptions,
    signal?: AbortSignal
  ): Promise<ISamplesPage> {
    return this.post(
      `datasets/${enc(dataset)}/samples/query`,
      { filter, ...options },
      signal
    );
  }

  getSample(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal
  ): Promise<ISample> {
    return this.request(`datasets/${enc(dataset)}/samples/${sampleId}`, {
      signal
    });
  }

  ids(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal
  ): Promise<{ ids: number[]; total: number }> {
    return this.post(`datasets/${enc(dataset)}/ids`, { filter }, signal);
  }

  tags(
    dataset: string,
    filter: IFilter,
    add: string[],
    remove: string[]
  ): Promise<{ updated: number }> {
    return this.post(`datasets/${enc(dataset)}/tags`, { filter, add, remove });
  }

  facets(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal
  ): Promise<IFacets> {
    const q = enc(JSON.stringify(filter));
    return this.request(`datasets/${enc(dataset)}/facets?filter=${q}`, {
      signal
    });
  }

  imageUrl(dataset: string, sampleId: number, size?: number): string {
    const url = URLExt.join(
      this.settings.baseUrl,
      API_PREFIX,
      'datasets',
      enc(dataset),
      'samples',
      String(sampleId),
      'image'
    );
    return size ? `${url}?size=${size}` : url;
  }
}
