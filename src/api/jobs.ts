/**
 * Following one job to its end (`VisionLensClient.waitForJob`): the only poll of
 * a single job, a running job being reason enough to poll even from a hidden page.
 */
import { Poll } from '@lumino/polling';

import { IJob } from './types';

/** How `followJob` follows a job. */
export interface IFollowJobOptions {
  intervalMs: number;
  signal?: AbortSignal;
  onUpdate?: (job: IJob) => void;
}

/**
 * Poll one job from `first` until it ends and resolve with its last state
 * (`done`, `failed` or `cancelled`); reject when a request fails or `signal`
 * aborts. A running job is reason enough to poll, even from a hidden page.
 */
export function followJob(
  fetchJob: (id: string, signal?: AbortSignal) => Promise<IJob>,
  first: IJob,
  options: IFollowJobOptions
): Promise<IJob> {
  const { signal, onUpdate } = options;
  return new Promise<IJob>((resolve, reject) => {
    const ended = (job: IJob): boolean => {
      onUpdate?.(job);
      return !isActive(job);
    };
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    if (ended(first)) {
      resolve(first);
      return;
    }
    const poll = new Poll<IJob, Error>({
      auto: false,
      factory: () => fetchJob(first.id, signal),
      frequency: {
        interval: options.intervalMs,
        backoff: false,
        max: options.intervalMs
      },
      standby: 'never',
      name: 'visionlens:job'
    });
    const finish = (settle: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      poll.dispose();
      settle();
    };
    const onAbort = () => finish(() => reject(abortError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    poll.ticked.connect((_, state) => {
      if (state.phase === 'rejected') {
        finish(() => reject(state.payload));
      } else if (state.phase === 'resolved' && state.payload) {
        const job = state.payload as IJob;
        if (ended(job)) {
          finish(() => resolve(job));
        }
      }
    });
    // The first request one interval after `first`, as every later one.
    void poll.schedule({ interval: options.intervalMs, phase: 'started' });
  });
}

function abortError(): Error {
  const error = new Error('the request was aborted');
  error.name = 'AbortError';
  return error;
}

/** Whether a job can still change. */
export function isActive(job: IJob): boolean {
  return job.status === 'queued' || job.status === 'running';
}
