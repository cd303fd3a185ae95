/**
 * What a finished server job changed. Jobs started from the lab, the notebook
 * or the command line all send the server's job events, so the model turns
 * each job's end into `dataChanged` (and a fresh datasets list) once, and
 * panels follow those signals instead of asking each other or polling.
 */
import { Event } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';

import { visionLensEvent } from '../api/serverEvents';
import { IJob } from '../api/types';
import { DataChangeKind } from './interfaces';
import { IVisionLensModel } from './tokens';

/** The data each job kind writes when it ends well; other kinds write none a panel shows. */
export const JOB_DATA_CHANGES: Readonly<Record<string, DataChangeKind>> = {
  ingest: 'samples',
  predictions: 'predictions',
  // A model job (`visionlens predict`): a prediction set, or captions
  // (`computed.caption`) that the sample view and the hover card show.
  predict: 'predictions',
  evaluate: 'evaluation',
  embed: 'fields',
  duplicates: 'fields',
  // computed.quality_* / computed.lq_* sample fields (the quality view's counts)
  image_quality: 'fields',
  label_quality: 'fields',
  'plugin-field': 'fields'
};

/**
 * Job kinds whose end changes what the datasets list says (sample counts,
 * models, label types, embedding spaces).
 */
const LIST_CHANGES: ReadonlySet<string> = new Set([
  'ingest',
  'predictions',
  'predict',
  'evaluate',
  'embed'
]);

/** What one finished job changed. */
export interface IJobEffect {
  readonly dataset: string;
  readonly kind: DataChangeKind;
  /** Whether the datasets list should be read again. */
  readonly datasets: boolean;
}

/** What the effects read of a job: a listed job or a job event. */
export type JobEnd = Pick<IJob, 'id' | 'kind' | 'status' | 'dataset'>;

/** The effect of a job that ended well, or null when it changed nothing shown. */
export function jobEffect(job: JobEnd): IJobEffect | null {
  const kind = JOB_DATA_CHANGES[job.kind];
  if (job.status !== 'done' || !kind || !job.dataset) {
    return null;
  }
  return { dataset: job.dataset, kind, datasets: LIST_CHANGES.has(job.kind) };
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
    this._model.notifyDataChanged({
      dataset: effect.dataset,
      kind: effect.kind,
      ids: null
    });
    if (effect.datasets) {
      // A failed read leaves the list as it was; the Refresh button says why.
      this._model.refreshDatasets(job.id).catch(() => undefined);
    }
  }

  private _announced = new Set<string>();
}
