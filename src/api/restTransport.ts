/**
 * The HTTP side of the REST client (`client.ts`): URLs under `{base_url}visionlens/api/`,
 * requests through the Jupyter server connection (base URL, token, XSRF), JSON and binary
 * answers, and the server's error answers as `VisionLensAPIError`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IWireJob as IJob } from './wireTypes';

/** A path segment as a URL holds it (dataset names may hold any character). */
export const enc = encodeURIComponent;

/** `?k=v&...` of the parameters that are set ('' when none is). */
export function queryString(params: {
  [key: string]: string | number | undefined;
}): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The API prefix under the server's base URL. */
export const API_PREFIX = 'visionlens/api';

/**
 * An error answer of the server, with its message when it sent one and its
 * parsed body (a 409's conflict, a 400's operation index).
 */
export class VisionLensAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown = null
  ) {
    super(message);
    this.name = 'VisionLensAPIError';
  }
}

/** Requests to the VisionLens API of one Jupyter server. */
export class RestTransport {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /** The absolute URL of an API endpoint (path under `visionlens/api/`). */
  url(endpoint: string): string {
    return URLExt.join(this.serverSettings.baseUrl, API_PREFIX, endpoint);
  }

  /** One POST with a JSON body; the parsed JSON answer. */
  protected _post<T>(
    endpoint: string,
    body: unknown,
    signal?: AbortSignal
  ): Promise<T> {
    return this._request<T>(endpoint, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
      signal
    });
  }

  /** POST that starts a job: the answer is the job, or `{job}` like ingest's. */
  protected async _started(endpoint: string, body: unknown): Promise<IJob> {
    const data = await this._post<IJob | { job: IJob }>(endpoint, body);
    return 'job' in data ? data.job : data;
  }

  /** One request answered with binary data (map points, values, ids). */
  protected async _binary(
    endpoint: string,
    init: RequestInit
  ): Promise<ArrayBuffer> {
    const response = await this._fetch(endpoint, init);
    if (!response.ok) {
      const text = await response.text();
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // not JSON: the text itself is the message
      }
      throw new VisionLensAPIError(
        errorMessage(data, response),
        response.status
      );
    }
    return response.arrayBuffer();
  }

  /**
   * The last stored result at `endpoint`, or null: none computed yet (204), or
   * no such dataset (404: deleted meanwhile, which the panel showing it learns
   * from the datasets list, not from this read).
   */
  protected async _latest<T>(
    endpoint: string,
    signal?: AbortSignal
  ): Promise<T | null> {
    try {
      const result = await this._request<T | undefined>(endpoint, { signal });
      return result ?? null;
    } catch (error) {
      if (error instanceof VisionLensAPIError && error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  /** One request; the parsed JSON answer (undefined for 204), or a VisionLensAPIError. */
  protected async _request<T>(endpoint: string, init: RequestInit): Promise<T> {
    const response = await this._fetch(endpoint, init);
    const text = await response.text();
    let data: unknown = undefined;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!response.ok) {
      throw new VisionLensAPIError(
        errorMessage(data, response),
        response.status,
        data ?? null
      );
    }
    return data as T;
  }

  /** The fetch through the Jupyter server connection (auth, XSRF, base URL). */
  protected async _fetch(
    endpoint: string,
    init: RequestInit
  ): Promise<Response> {
    try {
      return await ServerConnection.makeRequest(
        this.url(endpoint),
        init,
        this.serverSettings
      );
    } catch (error) {
      // ServerConnection wraps an aborted fetch in a NetworkError: callers
      // tell "aborted on purpose" from "server unreachable" by the name.
      if (init.signal?.aborted || (error as Error)?.name === 'AbortError') {
        throw abortError();
      }
      throw error instanceof ServerConnection.NetworkError
        ? error
        : new ServerConnection.NetworkError(error as TypeError);
    }
  }
}

/** The most helpful message of an error answer (tornado/jupyter_server shapes). */
function errorMessage(data: unknown, response: Response): string {
  if (data && typeof data === 'object') {
    const fields = data as { [key: string]: unknown };
    for (const key of ['message', 'error', 'reason']) {
      const value = fields[key];
      if (typeof value === 'string' && value) {
        return value;
      }
    }
  }
  if (typeof data === 'string' && data && data.length < 500) {
    return data;
  }
  return `${response.status} ${response.statusText || 'request failed'}`;
}

function abortError(): Error {
  const error = new Error('the request was aborted');
  error.name = 'AbortError';
  return error;
}
