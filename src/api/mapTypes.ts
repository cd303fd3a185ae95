/**
 * JSON shapes of the map routes (`/datasets/{name}/maps...`, see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/maps/).
 */

import type { IWireMapDescriptor, IWireMapsRequest } from './wireTypes';

/** Reduction methods the server knows. */
export type MapMethod = IWireMapDescriptor['method'];

/** A stored map as described by `GET /datasets/{name}/maps[/{id}]`. */
export type IMapDescriptor = IWireMapDescriptor;

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
