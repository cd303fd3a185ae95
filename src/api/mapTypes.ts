/**
 * JSON shapes of the map routes (`/datasets/{name}/maps...`, see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/maps/).
 */

import type { IWireMapsRequest } from './wireTypes';

/** Reduction methods the server knows. */
export type MapMethod = 'pca' | 'umap' | 'tsne';

/** A stored map as described by `GET /datasets/{name}/maps[/{id}]`. */
export interface IMapDescriptor {
  id: string;
  dataset?: string;
  space: string;
  method: MapMethod;
  params: { [key: string]: unknown };
  points: number;
  /** `[xmin, ymin, xmax, ymax]` (nulls for an empty map). */
  bounds: (number | null)[];
  created_at?: string;
  updated_at?: string;
  compute_seconds?: number;
  /** Samples were embedded or removed since (null: the store could not be asked). */
  stale: boolean | null;
  missing?: number | null;
  removed?: number | null;
  cached?: boolean;
}

/** The body of `POST /datasets/{name}/maps`. */
export type IMapRequest = IWireMapsRequest;

/** A shape on the map in data coordinates. */
export type MapShape =
  { polygon: [number, number][] } | { rect: [number, number, number, number] };

/** A legend entry of a categorical values frame. */
export interface ILegendEntry {
  value: string | null;
  count: number;
  /** The code that folds the rarest values together. */
  other?: boolean;
}
