/** Settings of the map panel (schema/map.json). */
import { MapMethod } from '../../api/mapTypes';

export interface IMapSettings {
  /** Point size in pixels when zoomed out. */
  pointSize: number;
  /** Points outside the filter: hidden or dimmed. */
  filterMode: 'hide' | 'dim';
  /** Density view (additive blending): always, never, or from `densityPoints` points on. */
  density: 'auto' | 'on' | 'off';
  /** Points from which `auto` turns the density view on. */
  densityPoints: number;
  /** Thumbnails replace dots when at most this many points are in view (0: never). */
  thumbnailLimit: number;
  /** The method the map opens with. */
  defaultMethod: MapMethod;
}

export const MAP_DEFAULTS: IMapSettings = {
  pointSize: 2,
  filterMode: 'hide',
  density: 'auto',
  densityPoints: 200000,
  thumbnailLimit: 300,
  defaultMethod: 'pca'
};
