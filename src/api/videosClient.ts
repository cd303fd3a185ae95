/**
 * The REST methods of the videos and tracks views: a page of a view's videos,
 * or of its tracks, one tile each. `VisionLensClient` extends this class.
 */
import {
  ITrackTilesPage,
  ITrackTilesQuery,
  IVideosClient,
  IVideoTilesPage,
  IVideoTilesQuery
} from './videoTypes';
import { enc } from './restTransport';
import { ModelJobsTransport } from './modelJobsClient';

/** The videos endpoints over the HTTP transport. */
export class VideosTransport
  extends ModelJobsTransport
  implements IVideosClient
{
  queryVideoTiles(
    dataset: string,
    query: IVideoTilesQuery,
    signal?: AbortSignal
  ): Promise<IVideoTilesPage> {
    return this._post(`datasets/${enc(dataset)}/videos/query`, query, signal);
  }

  queryTrackTiles(
    dataset: string,
    query: ITrackTilesQuery,
    signal?: AbortSignal
  ): Promise<ITrackTilesPage> {
    return this._post(`datasets/${enc(dataset)}/tracks/query`, query, signal);
  }
}
