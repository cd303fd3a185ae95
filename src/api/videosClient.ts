/**
 * The REST methods of the videos view: a page of a view's videos, one tile
 * each. `VisionLensClient` extends this class.
 */
import { IVideosClient, IVideoTilesPage, IVideoTilesQuery } from './videoTypes';
import { enc } from './restTransport';
import { SelectionTransport } from './selectionClient';

/** The videos endpoints over the HTTP transport. */
export class VideosTransport
  extends SelectionTransport
  implements IVideosClient
{
  queryVideoTiles(
    dataset: string,
    query: IVideoTilesQuery,
    signal?: AbortSignal
  ): Promise<IVideoTilesPage> {
    return this._post(`datasets/${enc(dataset)}/videos/query`, query, signal);
  }
}
