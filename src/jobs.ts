/**
 * The server's background jobs as shared state: the list the jobs panel shows
 * (ingests, thumbnails, evaluations, embeddings, duplicates...), kept fresh by
 * polling `GET /jobs` while someone watches it, and cancellation.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IJobsModel, IVisionLensClient } from './tokens';
import { IJob } from './types';

/** Poll interval while a job is queued or running, in ms. */
export const ACTIVE_POLL_MS = 1000;
/** Poll interval while every job is finished (jobs started elsewhere), in ms. */
export const IDLE_POLL_MS = 5000;

/** Whether a job can still change. */
export function isActive(job: IJob): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/**
 * The order of the jobs list: running first, then queued by queue position
 * (oldest first without one), then finished ones, newest first. `jobs` comes
 * newest first, as `GET /jobs` lists them: that breaks ties of `created_at`.
 */
export function orderJobs(jobs: readonly IJob[]): IJob[] {
  const rank = (job: IJob) =>
    job.status === 'running' ? 0 : job.status === 'queued' ? 1 : 2;
  const created = (job: IJob) => job.created_at ?? '';
  const listed = new Map(jobs.map((job, index) => [job, index]));
  const newestFirst = (a: IJob, b: IJob) =>
    created(b).localeCompare(created(a)) ||
    (listed.get(a) ?? 0) - (listed.get(b) ?? 0);
  return [...jobs].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) {
      return byRank;
    }
    if (a.status === 'queued') {
      const pa = a.queue_position ?? Number.MAX_SAFE_INTEGER;
      const pb = b.queue_position ?? Number.MAX_SAFE_INTEGER;
      return pa - pb || newestFirst(b, a);
    }
    return newestFirst(a, b);
  });
}

/** A duration in seconds as `45 s`, `3 min 20 s`, `2 h 5 min`. */
export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const rest = s % 60;
    return `${Math.floor(s / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const min = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${min ? ` ${min} min` : ''}`;
}

/**
 * What a jobs list shows of a job's progress: queue position, stage, percent,
 * rate and ETA as far as the server reports them.
 */
export function describeProgress(job: IJob): string {
  const parts: string[] = [];
  if (job.status === 'queued') {
    parts.push(
      job.queue_position ? `#${job.queue_position} in the queue` : 'queued'
    );
  }
  if (job.status === 'running') {
    if (job.stage) {
      parts.push(job.stage);
    }
    if (job.progress !== null && job.progress !== undefined) {
      parts.push(`${Math.round(job.progress * 100)}%`);
    }
    if (job.items_per_second) {
      const rate = job.items_per_second;
      parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`);
    }
    if (job.eta_seconds !== null && job.eta_seconds !== undefined) {
      parts.push(`ETA ${fmtDuration(job.eta_seconds)}`);
    }
  }
  if (job.status === 'failed' && job.error) {
    parts.push(job.error);
  } else if (job.message && job.status !== 'done') {
    parts.push(job.message);
  }
  return parts.join(' · ');
}

/** Implementation of {@link IJobsModel}. */
export class JobsModel implements IJobsModel {
  constructor(
    private readonly _client: IVisionLensClient,
    options: { activeMs?: number; idleMs?: number } = {}
  ) {
    this._activeMs = options.activeMs ?? ACTIVE_POLL_MS;
    this._idleMs = options.idleMs ?? IDLE_POLL_MS;
  }

  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  get changed(): ISignal<IJobsModel, readonly IJob[]> {
    return this._changed;
  }

  async refresh(): Promise<readonly IJob[]> {
    const jobs = orderJobs(await this._client.listJobs());
    const key = JSON.stringify(jobs);
    if (key !== this._key) {
      this._key = key;
      this._jobs = jobs;
      this._changed.emit(jobs);
    }
    return this._jobs;
  }

  async cancel(id: string): Promise<void> {
    await this._client.cancelJob(id);
    await this.refresh();
  }

  watch(): IDisposable {
    this._watchers += 1;
    if (this._watchers === 1) {
      void this._poll();
    }
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        if (!disposed) {
          disposed = true;
          this._watchers -= 1;
          if (this._watchers === 0 && this._timer !== null) {
            clearTimeout(this._timer);
            this._timer = null;
          }
        }
      }
    };
  }

  /** Refresh now, then again after the active or idle interval while watched. */
  private async _poll(): Promise<void> {
    this._timer = null;
    try {
      await this.refresh();
    } catch (error) {
      console.warn('VisionLens: cannot list jobs', error);
    }
    if (this._watchers > 0 && this._timer === null) {
      const delay = this._jobs.some(isActive) ? this._activeMs : this._idleMs;
      this._timer = setTimeout(() => void this._poll(), delay);
    }
  }

  private _jobs: IJob[] = [];
  private _key = '';
  private _watchers = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _activeMs: number;
  private _idleMs: number;
  private _changed = new Signal<IJobsModel, readonly IJob[]>(this);
}
