/**
 * The videos view's wire types and client methods: `POST
 * datasets/{name}/videos/query`, the videos of a view one tile each (its
 * matching frame count and the frames a pointer scrubs through).
 */
import {
  IWireVideosQueryRequest,
  IWireVideoTile,
  IWireVideoTilesPage
} from './wireTypes';

/** A video of a view, as a tile: its row and its matching frames. */
export type IVideoTile = IWireVideoTile;

/** One scrub frame of a tile (the first: its poster, the first matching frame). */
export type IScrubFrame = IVideoTile['scrub_frames'][number];

/** The exact count of a view's videos and one page of them. */
export type IVideoTilesPage = IWireVideoTilesPage;

/** The request of a page of video tiles. */
export type IVideoTilesQuery = IWireVideosQueryRequest;

/** The client's videos methods (`VisionLensClient` has them). */
export interface IVideosClient {
  /** A page of the videos with a frame the query's filter keeps. */
  queryVideoTiles(
    dataset: string,
    query: IVideoTilesQuery,
    signal?: AbortSignal
  ): Promise<IVideoTilesPage>;
}
