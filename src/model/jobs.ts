/**
 * The server's background jobs as shared state: the list the jobs panel shows
 * (ingests, thumbnails, evaluations, embeddings, duplicates...), kept fresh by
 * polling `GET /jobs` while someone watches it, and cancellation.
 *
 * The one place VisionLens polls the server (the jobs list here, one job in
 * `followJob` in `api/jobs.ts`): a hub culls servers that see no requests, so nothing polls an
 * idle server while the page is hidden or no panel watches.
 */
import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { isActive } from '../api/jobs';
import { IJob } from '../api/types';
import { IJobsModel, IVisionLensClient } from './tokens';

/** Poll interval while a job is queued or running, in ms. */
export const ACTIVE_POLL_MS = 1000;
/** Poll interval while every job is finished (jobs started elsewhere), in ms. */
export const IDLE_POLL_MS = 5000;
/** The idle interval doubles while nothing changes, up to this, in ms. */
export const IDLE_MAX_POLL_MS = 60000;
/** Longest wait between retries after failed polls (server down), in ms. */
export const ERROR_MAX_POLL_MS = 30000;

/** Whether the page is hidden (another tab, a minimised window): nobody sees a refresh. */
export function pageHidden(): boolean {
  return (
    typeof document !== 'undefined' && document.visibilityState === 'hidden'
  );
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
 * A running job's message without the stage it repeats: a stage without a
 * count reports its name as the message ("layout"), a counted one prefixes
 * it ("neighbours: 3 of 10"); the stage is already shown.
 */
function messageBeyondStage(job: IJob): string {
  const message = job.message ?? '';
  const stage = job.status === 'running' ? job.stage : null;
  if (!stage) {
    return message;
  }
  if (message === stage) {
    return '';
  }
  return message.startsWith(`${stage}: `)
    ? message.slice(stage.length + 2)
    : message;
}

/** Longest error headline a job row shows (characters); the rest is behind "Details". */
export const ERROR_HEADLINE_CHARS = 140;

/**
 * The start of a job's error, for a row a sidebar wide: its first line, cut at a
 * word before {@link ERROR_HEADLINE_CHARS} characters with an ellipsis. An error
 * the server wrote for a whole source (every problem of an ingest, with
 * examples) otherwise fills the panel.
 */
export function errorHeadline(error: string): string {
  const first = error.trim().split('\n', 1)[0];
  if (first.length <= ERROR_HEADLINE_CHARS) {
    return first === error.trim() ? first : `${first} …`;
  }
  const cut = first.slice(0, ERROR_HEADLINE_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${space > ERROR_HEADLINE_CHARS / 2 ? cut.slice(0, space) : cut} …`;
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
    parts.push(errorHeadline(job.error));
  } else if (job.message && job.status !== 'done') {
    parts.push(messageBeyondStage(job));
  }
  return parts.filter(p => p !== '').join(' · ');
}

/** Implementation of {@link IJobsModel}. */
export class JobsModel implements IJobsModel {
  constructor(
    private readonly _client: IVisionLensClient,
    options: { activeMs?: number; idleMs?: number; idleMaxMs?: number } = {}
  ) {
    this._activeMs = options.activeMs ?? ACTIVE_POLL_MS;
    this._idleMs = options.idleMs ?? IDLE_POLL_MS;
    this._idleMaxMs = Math.max(
      this._idleMs,
      options.idleMaxMs ?? IDLE_MAX_POLL_MS
    );
    this._poll = new Poll<readonly IJob[], Error>({
      auto: false, // the first watcher starts it
      factory: () => this._tick(),
      frequency: this._frequency(this._activeMs),
      // Poll while a job is queued or running, or while a panel that is shown
      // on a visible page watches the list; otherwise wake up without a request.
      standby: () => !this._needed(),
      name: 'visionlens:jobs'
    });
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', () => {
        if (!pageHidden() && this._watchers > 0) {
          this._wake();
        }
      });
    }
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
      this._unchanged = 0;
      this._changed.emit(jobs);
    } else {
      this._unchanged += 1;
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
      this._wake();
    }
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        if (!disposed) {
          disposed = true;
          this._watchers -= 1; // the poll stands by at its next tick if idle
        }
      }
    };
  }

  /** Whether a request is worth making now. */
  private _needed(): boolean {
    return this._jobs.some(isActive) || (this._watchers > 0 && !pageHidden());
  }

  /** Refresh at once, with the idle interval back at its start. */
  private _wake(): void {
    this._unchanged = 0;
    void this._poll.refresh();
  }

  /** One poll: refresh, then pick the next interval (failures back off). */
  private async _tick(): Promise<readonly IJob[]> {
    const jobs = await this.refresh();
    const interval = jobs.some(isActive)
      ? this._activeMs
      : Math.min(this._idleMs * 2 ** this._unchanged, this._idleMaxMs);
    this._poll.frequency = this._frequency(interval);
    return jobs;
  }

  private _frequency(interval: number): IPoll.Frequency {
    return {
      interval,
      backoff: true,
      max: Math.max(interval, ERROR_MAX_POLL_MS)
    };
  }

  private _jobs: IJob[] = [];
  private _key = '';
  private _watchers = 0;
  private _unchanged = 0;
  private _poll: Poll<readonly IJob[], Error>;
  private _activeMs: number;
  private _idleMs: number;
  private _idleMaxMs: number;
  private _changed = new Signal<IJobsModel, readonly IJob[]>(this);
}
