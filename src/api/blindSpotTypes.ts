/**
 * JSON of the blind-spots routes (`/datasets/{name}/blindspots`), see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/blindspots/findings.py.
 */

import type {
  IWireBlindSpotFinding,
  IWireBlindSpotReview,
  IWireBlindSpotsResult,
  IWireBlindSpotTest,
  IWireBlindspotsRequest
} from './wireTypes';

/** The metrics the engine tests a slice on. */
export type BlindSpotMetric = IWireBlindSpotFinding['metric'];

/** A user's verdict on a finding. */
export type BlindSpotVerdict = IWireBlindSpotReview['verdict'];

/**
 * One confirmed, grouped slice: every number comes from the engine. Its
 * `filter` is the engine's (one label condition may be an object): the grid
 * takes it through `gridFilter` (src/features/blindspots/format.ts).
 */
export type IBlindSpotFinding = IWireBlindSpotFinding;

/** One test of the run's ledger and what became of it. */
export type IBlindSpotTest = IWireBlindSpotTest;

/** The last blind-spot result of a model (`GET .../blindspots?model=`). */
export type IBlindSpotsResult = IWireBlindSpotsResult;

/** The body of `POST /datasets/{name}/blindspots` (a job). */
export type IBlindSpotsRequest = IWireBlindspotsRequest;
