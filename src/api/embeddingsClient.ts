/**
 * The REST methods over a dataset's embeddings: computing them, similarity
 * search, vector spaces, duplicates and the 2-D maps. `VisionLensClient`
 * extends this class.
 */
import {
  IDuplicatesRequest,
  IDuplicatesResult,
  IEmbedRequest,
  IFilter,
  IJob,
  ISearchRequest,
  ISearchResult,
  IVectorSpace
} from './types';
import { IMapDescriptor, IMapRequest, MapShape } from './mapTypes';
import { enc } from './restTransport';
import { VideosTransport } from './videosClient';

/** The embeddings endpoints over the HTTP transport. */
export class EmbeddingsTransport extends VideosTransport {
  embed(dataset: string, request: IEmbedRequest = {}): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/embed`, request);
  }

  search(
    dataset: string,
    request: ISearchRequest,
    signal?: AbortSignal
  ): Promise<ISearchResult> {
    return this._post(`datasets/${enc(dataset)}/search`, request, signal);
  }

  async listSpaces(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IVectorSpace[]> {
    const data = await this._request<{ spaces: IVectorSpace[] }>(
      `datasets/${enc(dataset)}/spaces`,
      { signal }
    );
    return data.spaces;
  }

  findDuplicates(dataset: string, request: IDuplicatesRequest): Promise<IJob> {
    return this._started(`datasets/${enc(dataset)}/duplicates`, request);
  }

  lastDuplicates(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IDuplicatesResult | null> {
    return this._latest(`datasets/${enc(dataset)}/duplicates`, signal);
  }

  async listMaps(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IMapDescriptor[]> {
    const data = await this._request<{ maps: IMapDescriptor[] }>(
      `datasets/${enc(dataset)}/maps`,
      { signal }
    );
    return data.maps;
  }

  requestMap(
    dataset: string,
    request: IMapRequest
  ): Promise<{ map?: IMapDescriptor; job?: IJob }> {
    return this._post(`datasets/${enc(dataset)}/maps`, request);
  }

  mapPoints(
    dataset: string,
    mapId: string,
    signal?: AbortSignal
  ): Promise<ArrayBuffer> {
    return this._binary(`datasets/${enc(dataset)}/maps/${enc(mapId)}/points`, {
      signal
    });
  }

  mapValues(
    dataset: string,
    mapId: string,
    field: string,
    model?: string | null,
    signal?: AbortSignal
  ): Promise<ArrayBuffer> {
    const q = `field=${enc(field)}${model ? `&model=${enc(model)}` : ''}`;
    return this._binary(
      `datasets/${enc(dataset)}/maps/${enc(mapId)}/values?${q}`,
      { signal }
    );
  }

  mapSelect(
    dataset: string,
    mapId: string,
    shape: MapShape,
    filter?: IFilter | null,
    signal?: AbortSignal,
    version?: number
  ): Promise<ArrayBuffer> {
    return this._binary(`datasets/${enc(dataset)}/maps/${enc(mapId)}/select`, {
      method: 'POST',
      body: JSON.stringify({ ...shape, filter: filter || undefined, version }),
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/octet-stream'
      },
      signal
    });
  }
}
