/**
 * The videos and tracks of a view as the videos and tracks views read them:
 * pages of `POST datasets/{name}/videos/query` and `POST
 * datasets/{name}/tracks/query` (each a `QueryPageSource`), whose totals are
 * the videos with a frame the filter keeps and the tracks with an object it
 * keeps.
 */
import { ITrackTile, IVideoTile } from '../../api/videoTypes';
import { IFilter, IVisionLensModel } from '../tokens';
import { versionBrowse } from '../versionBrowse';
import { QueryPageSource } from './queryPages';

/** The most frames a tile scrubs through (one per few pixels of a tile). */
export const SCRUB_FRAMES = 32;

/** The most objects a track's tile shows (its strip). */
export const TRACK_PATCHES = 8;

/** One query of the videos or tracks view. */
export interface IVideoTilesSource {
  dataset: string;
  filter: IFilter;
  /** The browsed saved version (absent: the current labels). */
  version?: number;
}

/** One query of the tracks view: a video query, and whose tracks. */
export interface ITrackTilesSource extends IVideoTilesSource {
  /** The model whose predicted tracks to show (absent: the ground truth's). */
  model?: string;
}

/** The videos view's rows, keyed by their video id. */
export class VideoTilesPageSource extends QueryPageSource<
  IVideoTile,
  IVideoTilesSource
> {
  constructor(model: IVisionLensModel, query: IVideoTilesSource) {
    super(
      query,
      async ({ dataset, filter, version }, offset, limit, signal) => {
        const page = await model.client.queryVideoTiles(
          dataset,
          { filter, offset, limit, scrub: SCRUB_FRAMES, version },
          signal
        );
        return { rows: page.videos, total: page.total };
      },
      video => video.video_id
    );
  }
}

/** The tracks view's rows, keyed by their track id (unique in a dataset per source). */
export class TrackTilesPageSource extends QueryPageSource<
  ITrackTile,
  ITrackTilesSource
> {
  constructor(model: IVisionLensModel, query: ITrackTilesSource) {
    super(
      query,
      async ({ dataset, ...body }, offset, limit, signal) => {
        const page = await model.client.queryTrackTiles(
          dataset,
          { ...body, offset, limit, patches: TRACK_PATCHES },
          signal
        );
        return { rows: page.tracks, total: page.total };
      },
      track => track.track_id
    );
  }
}

/** The URL of the crop of object `annId` of the current dataset, `size` px (as it was at the browsed version). */
export function trackPatchUrl(
  model: IVisionLensModel,
  annId: number,
  size: number
): string {
  const dataset = model.dataset as string;
  const { version } = versionBrowse(model).params(dataset);
  return model.client.cropUrl(dataset, annId, size, 0.25, undefined, version);
}

/** A dataset's tracks: all of them, and each prediction set's by name. */
export interface IDatasetTracks {
  total: number;
  models: ReadonlyMap<string, number>;
}

/** The tracks read per model: the datasets list's state they were read for, and the answer. */
const tracksOf = new WeakMap<
  IVisionLensModel,
  { key: string; tracks: Promise<IDatasetTracks> }
>();

/**
 * How many tracks `dataset` has, all of them and each prediction set's
 * (`num_tracks` of its details; none when they cannot be read): read again
 * when the dataset was written anew or its prediction sets changed.
 */
export function datasetTracks(
  model: IVisionLensModel,
  dataset: string
): Promise<IDatasetTracks> {
  const info = model.datasets.find(d => d.name === dataset);
  const key = [
    dataset,
    info?.created_at ?? '',
    ...(info?.models ?? []).map(m => `${m.name}:${m.num_predictions}`)
  ].join('\u0000');
  const held = tracksOf.get(model);
  if (held && held.key === key) {
    return held.tracks;
  }
  const tracks = model.client
    .getDataset(dataset)
    .then((detail): IDatasetTracks => ({
      total: detail.num_tracks ?? 0,
      models: new Map(detail.models.map(m => [m.name, m.num_tracks ?? 0]))
    }))
    .catch((): IDatasetTracks => ({ total: 0, models: new Map() }));
  tracksOf.set(model, { key, tracks });
  return tracks;
}
