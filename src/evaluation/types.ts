/**
 * Types and REST calls of the evaluation API
 * (`/datasets/{name}/evaluations[/{key}]`, see visionlens_jlab/handlers/evaluate.py).
 */
import { requestAPI } from '../api';
import { IJob } from '../tokens';

/** One row of the per-class table (numbers are null where undefined). */
export interface IClassRow {
  class: string;
  AP: number | null;
  precision: number | null;
  recall: number | null;
  tp: number;
  fp: number;
  fn: number;
  num_gt: number;
  [extra: string]: string | number | null;
}

/** `GET /datasets/{name}/evaluations/{key}`: a full report. */
export interface IEvaluationReport {
  key: string;
  dataset: string;
  model: string;
  protocol: 'coco' | 'voc';
  iou: number;
  params: { [key: string]: unknown };
  stats: { [name: string]: number | null };
  per_class: IClassRow[];
  confusion: { labels: string[]; matrix: number[][] };
  pr_curves: { [cls: string]: { recall: number[]; precision: number[] } };
  counts: { [status: string]: number };
  warnings: string[];
  created_at: string | null;
  latest?: boolean;
}

/** One entry of `GET /datasets/{name}/evaluations`. */
export interface IEvaluationSummary {
  key: string;
  model: string;
  protocol: 'coco' | 'voc';
  iou: number;
  params: { [key: string]: unknown };
  created_at: string;
  latest: boolean;
  stale: boolean;
  stats: { [name: string]: number | null };
}

/** Parameters of a new evaluation. */
export interface IEvaluationRequest {
  model: string;
  protocol: 'coco' | 'voc';
  iou: number;
  plus_one: boolean;
}

const enc = encodeURIComponent;

/** List the stored evaluations of a dataset, newest first. */
export async function listEvaluations(
  dataset: string,
  signal?: AbortSignal
): Promise<IEvaluationSummary[]> {
  const data = await requestAPI<{ evaluations: IEvaluationSummary[] }>(
    `datasets/${enc(dataset)}/evaluations`,
    { signal }
  );
  return data.evaluations;
}

/** Fetch one stored report. */
export function getEvaluation(
  dataset: string,
  key: string,
  signal?: AbortSignal
): Promise<IEvaluationReport> {
  return requestAPI<IEvaluationReport>(
    `datasets/${enc(dataset)}/evaluations/${enc(key)}`,
    { signal }
  );
}

/** Start an evaluation job. */
export async function startEvaluation(
  dataset: string,
  request: IEvaluationRequest
): Promise<IJob> {
  const data = await requestAPI<{ job: IJob }>(
    `datasets/${enc(dataset)}/evaluations`,
    { method: 'POST', body: JSON.stringify(request) }
  );
  return data.job;
}
