/**
 * What a finished server job changed. Jobs started from the lab, the notebook
 * or the command line all send the server's job events, and a job that ends
 * well says what it changed (`effects`, declared by the server for its kind),
 * so the model turns each job's end into `dataChanged` (and a fresh datasets
 * list) once, and panels follow those signals instead of asking each other or
 * polling.
 */
import { Event } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';

import { jobEffects, visionLensEvent } from '../api/serverEvents';
import { IJob } from '../api/types';
import { DataChangeKind } from './interfaces';
import { IVisionLensModel } from './tokens';

/** What one finished job changed. */
export interface IJobEffect {
  readonly dataset: string;
  /** The kinds of data it wrote, each a `dataChanged` (none: only the list changed). */
  readonly kinds: readonly DataChangeKind[];
  /** Whether the datasets list should be read again. */
  readonly datasets: boolean;
}

/** What the effects read of a job: a listed job or a job event. */
export type JobEnd = Pick<
  IJob,
  'id' | 'kind' | 'status' | 'dataset' | 'effects'
>;

/**
 * The effect of a job that ended well, as the server declared it (`effects`,
 * null until a job is done), or null when it changed nothing shown.
 */
export function jobEffect(job: JobEnd): IJobEffect | null {
  const effects = jobEffects(job.effects);
  if (job.status !== 'done' || !effects || !job.dataset) {
    return null;
  }
  const datasets = effects.datasets !== null;
  if (!effects.data.length && !datasets) {
    return null;
  }
  return { dataset: job.dataset, kinds: effects.data, datasets };
}

/**
 * Follows job ends for the model: the server's job events (jobs started
 * anywhere, seen without polling; each also refreshes the jobs list) and the
 * jobs panels waited on themselves. Each job's end is announced once, whoever
 * saw it first.
 */
export class JobEnds {
  constructor(
    private readonly _model: IVisionLensModel,
    events: ISignal<unknown, Event.Emission> | null
  ) {
    events?.connect((_, emission) => {
      const event = visionLensEvent(emission);
      if (event?.type === 'job') {
        _model.jobs.refresh().catch(() => undefined); // the next event tries again
        this.jobEnded(event);
      }
    });
  }

  /** A job ended (or changed status: only final ones count). */
  jobEnded(job: JobEnd): void {
    const final = ['done', 'failed', 'cancelled'].includes(job.status);
    if (!final || this._announced.has(job.id)) {
      return;
    }
    this._announced.add(job.id);
    const effect = jobEffect(job);
    if (!effect) {
      return;
    }
    for (const kind of effect.kinds) {
      this._model.notifyDataChanged({
        dataset: effect.dataset,
        kind,
        ids: null
      });
    }
    if (effect.datasets) {
      // A failed read leaves the list as it was; the Refresh button says why.
      this._model.refreshDatasets(job.id).catch(() => undefined);
    }
  }

  private _announced = new Set<string>();
}
