/**
 * The videos of a view as the videos view reads them: pages of `POST
 * datasets/{name}/videos/query` by offset and limit, with the server's exact
 * total (the videos with a frame the filter keeps). A `PageCache` over this
 * source gives the videos view what the sample grid has.
 */
import { IVideoTile } from '../../api/videoTypes';
import { IPage, IPageSource } from '../pageSource';
import { IFilter, IVisionLensModel } from '../tokens';

/** The most frames a tile scrubs through (one per few pixels of a tile). */
export const SCRUB_FRAMES = 32;

/** One query of the videos view. */
export interface IVideoTilesSource {
  dataset: string;
  filter: IFilter;
  /** The browsed saved version (absent: the current labels). */
  version?: number;
}

/** The videos view's rows: immutable, a new filter or edit is a new source. */
export class VideoTilesPageSource implements IPageSource<IVideoTile> {
  constructor(
    private readonly _model: IVisionLensModel,
    readonly query: IVideoTilesSource
  ) {}

  /** Unknown until the first page answers (the server's exact count). */
  readonly total = null;

  key(video: IVideoTile): number {
    return video.video_id;
  }

  async fetch(
    offset: number,
    limit: number,
    signal: AbortSignal
  ): Promise<IPage<IVideoTile>> {
    const { dataset, filter, version } = this.query;
    const page = await this._model.client.queryVideoTiles(
      dataset,
      { filter, offset, limit, scrub: SCRUB_FRAMES, version },
      signal
    );
    return { rows: page.videos, total: page.total, code: null };
  }
}
