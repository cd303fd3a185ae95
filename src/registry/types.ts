/**
 * The lab-side plugin API: what another JupyterLab extension may register on
 * the VisionLens model (`model.extensions`). It is versioned
 * (`VISIONLENS_EXTENSIONS_API_VERSION`): a minor bump only adds optional
 * members, a major bump may change or remove them (see docs/plugins.md).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type { IVisionLensModel } from '../tokens';
import type { ISample } from '../types';

/** Version of the registry interface: "major.minor". */
export const VISIONLENS_EXTENSIONS_API_VERSION = '1.0';

/** What every contribution names: who made it and its place among the others. */
export interface IContribution {
  /** Unique within its kind (a second registration with the same id is refused). */
  readonly id: string;
  /** The extension that registered it (shown in the Plugins panel and in logs). */
  readonly owner: string;
  /** Lower ranks run (or show) first; default 100; ties keep registration order. */
  readonly rank?: number;
}

/** What a tile overlay draws on: one grid tile showing one sample. */
export interface ITileOverlayContext {
  readonly model: IVisionLensModel;
  readonly sample: ISample;
  /**
   * An element covering the tile, above the image and the boxes, emptied
   * before every call. Append anything (a canvas, text) to it; it ignores the
   * pointer, so clicks still reach the tile.
   */
  readonly element: HTMLElement;
  /** Tile side in CSS pixels. */
  readonly size: number;
}

/** A renderer called for every grid tile each time it shows a sample or the view changes. */
export interface ITileOverlay extends IContribution {
  render(context: ITileOverlayContext): void;
}

/** What a sample-view section renders into. */
export interface ISampleSectionContext {
  readonly model: IVisionLensModel;
  readonly sample: ISample;
  /** The section's body (below its title), emptied before every call. */
  readonly element: HTMLElement;
}

/** A titled section in the sample view's side column, below the built-in tables. */
export interface ISampleViewSection extends IContribution {
  /** The section's heading (text). */
  readonly title: string;
  render(context: ISampleSectionContext): void;
}

/** A colour scheme the map's "Colours" picker offers. */
export interface IMapColorScheme extends IContribution {
  /** Its name in the picker. */
  readonly label: string;
  /**
   * CSS colour (`#rrggbb`, `rgb()` or `hsl()`) of a categorical value;
   * `index` is the value's rank by count (0: the most frequent).
   * Missing: the model's class colours.
   */
  categorical?(value: string, index: number): string;
  /** CSS colour at `t` in 0..1 for numeric fields. Missing: the built-in ramp. */
  numeric?(t: number): string;
}

/** The contribution kinds. */
export type ContributionKind =
  'tileOverlay' | 'sampleSection' | 'mapColorScheme';

/** One registered contribution as the Plugins panel lists it. */
export interface IContributionInfo {
  readonly kind: ContributionKind;
  readonly id: string;
  readonly owner: string;
  /** How many of its calls threw. */
  readonly errors: number;
  /** The message of the last error, or null. */
  readonly lastError: string | null;
}

/**
 * The registry of lab-side contributions (`model.extensions`).
 *
 * Every `add*` returns an `IDisposable` that unregisters the contribution.
 * A contribution that throws is caught, logged with its owner and counted: it
 * never breaks the grid, the sample view or the map. To read and set the
 * shared selection from an extension's own panel, use the model's selection
 * API (`model.selection`, `model.setSelection`, `model.addToSelection`,
 * `model.clearSelection`, `model.selectionChanged`).
 */
export interface IVisionLensExtensions {
  /** The interface version ("major.minor"), `VISIONLENS_EXTENSIONS_API_VERSION`. */
  readonly apiVersion: string;
  /**
   * Whether this registry serves an extension written for `version`
   * ("major" or "major.minor"): same major, and a minor no newer than ours.
   */
  supports(version: string): boolean;

  addTileOverlay(overlay: ITileOverlay): IDisposable;
  addSampleViewSection(section: ISampleViewSection): IDisposable;
  addMapColorScheme(scheme: IMapColorScheme): IDisposable;

  /** Registered contributions of a kind, by rank then registration order. */
  readonly tileOverlays: readonly ITileOverlay[];
  readonly sampleViewSections: readonly ISampleViewSection[];
  readonly mapColorSchemes: readonly IMapColorScheme[];
  /** A colour scheme by id, or null. */
  mapColorScheme(id: string): IMapColorScheme | null;

  /** Every contribution with its error count (the Plugins panel). */
  contributions(): IContributionInfo[];

  /**
   * Call `fn` for a contribution, catching and logging what it throws.
   * Returns false when it threw. The views call this; extensions need not.
   */
  invoke(
    kind: ContributionKind,
    contribution: IContribution,
    fn: () => void
  ): boolean;

  /** Emitted when a contribution of a kind is added or removed. */
  readonly changed: ISignal<IVisionLensExtensions, ContributionKind>;
  /** Emitted when a contribution throws (views do not re-render on it). */
  readonly failed: ISignal<IVisionLensExtensions, IContributionInfo>;
}
