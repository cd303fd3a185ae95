/**
 * The videos and tracks views' wire types and client methods: `POST
 * datasets/{name}/videos/query`, the videos of a view one tile each (its
 * matching frame count and the frames a pointer scrubs through), and `POST
 * datasets/{name}/tracks/query`, the tracks of a view one tile each (its
 * objects spread over time, whose crops its tile shows).
 */
import {
  IWireTracksQueryRequest,
  IWireTrackTile,
  IWireTrackTilesPage,
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

/** A track of a view, as a tile: its whole track's row and its kept objects spread over time. */
export type ITrackTile = IWireTrackTile;

/** One object of a track's strip: its frame, its sample and its box. */
export type ITrackPatch = ITrackTile['patches'][number];

/** The exact count of a view's tracks and one page of them. */
export type ITrackTilesPage = IWireTrackTilesPage;

/** The request of a page of track tiles. */
export type ITrackTilesQuery = IWireTracksQueryRequest;

/** The client's videos and tracks methods (`VisionLensClient` has them). */
export interface IVideosClient {
  /** A page of the videos with a frame the query's filter keeps. */
  queryVideoTiles(
    dataset: string,
    query: IVideoTilesQuery,
    signal?: AbortSignal
  ): Promise<IVideoTilesPage>;

  /** A page of the tracks with an object the query's filter keeps. */
  queryTrackTiles(
    dataset: string,
    query: ITrackTilesQuery,
    signal?: AbortSignal
  ): Promise<ITrackTilesPage>;
}
