/**
 * JSON of the blind-spots routes (`/datasets/{name}/blindspots`), see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/blindspots/findings.py.
 */

import type { IWireBlindspotsRequest } from './wireTypes';
import { IFilter } from './types';

/** The metrics the engine tests a slice on. */
export type BlindSpotMetric =
  | 'recall'
  | 'precision'
  | 'confusion'
  | 'localisation'
  | 'fp_per_image'
  | 'calibration';

/** A user's verdict on a finding. */
export type BlindSpotVerdict = 'confirmed' | 'rejected';

/** One confirmed, grouped slice: every number comes from the engine. */
export interface IBlindSpotFinding {
  id: string;
  /** Plain words: templated offline, the agent's wording with an LLM. */
  summary: string;
  metric: BlindSpotMetric | string;
  slice: { attribute: string; value: string }[];
  /** The grid filter that shows exactly the slice. */
  filter: IFilter;
  value: number | null;
  baseline: number | null;
  effect: number | null;
  /** 95% interval of value - baseline (images resampled). */
  ci: [number | null, number | null];
  q: number | null;
  p?: number | null;
  /** Units (boxes or images) in the slice, confirmation half. */
  n: number;
  images?: number;
  mde?: number | null;
  evidence: number[];
  related?: { id: string; slice: string; effect: number | null }[];
  source?: string;
  /** The notebook call that reproduces it. */
  python: string;
  review?: BlindSpotVerdict | null;
  /** Cohen's kappa of each VLM attribute the slice rests on (a model's answer). */
  vlm_kappa?: Record<string, number>;
}

/** One test of the run's ledger and what became of it. */
export interface IBlindSpotTest {
  id: string;
  metric: string;
  slice: string;
  source: string;
  n: number;
  effect: number | null;
  q: number | null;
  outcome: 'finding' | 'grouped' | 'rejected';
  reason?: string;
}

/** The last blind-spot result of a model (`GET .../blindspots?model=`). */
export interface IBlindSpotsResult {
  dataset: string;
  model: string;
  eval_key: string;
  findings: IBlindSpotFinding[];
  tested: number;
  /** The agent's claims and slices the tools did not confirm. */
  rejected: { [key: string]: unknown }[];
  /** Every test with its outcome (results stored before it was added lack it). */
  tests?: IBlindSpotTest[];
  params: { min_n: number; fdr: number; seed?: number };
  /** `none` when no language model worded the findings. */
  agent?: string;
  created_at?: string;
  seconds?: number;
}

/** The body of `POST /datasets/{name}/blindspots` (a job). */
export type IBlindSpotsRequest = IWireBlindspotsRequest;
