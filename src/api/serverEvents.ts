/**
 * The Jupyter server events VisionLens sends (`/api/events/subscribe`), as a
 * typed union: the server side is `visionlens_jlab/jobs/events.py`.
 */
import { Event } from '@jupyterlab/services';

import { JobStatus } from './types';

/** The schema id of a job status change (the server names the same). */
export const JOB_EVENT_SCHEMA =
  'https://events.visionlens.dev/visionlens_jlab/job/v1';

/** A VisionLens job was queued, started or ended. */
export interface IJobEvent {
  readonly type: 'job';
  readonly id: string;
  readonly kind: string;
  readonly status: JobStatus;
  readonly dataset: string | null;
}

/** Every VisionLens server event. */
export type VisionLensEvent = IJobEvent;

const STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'running',
  'done',
  'failed',
  'cancelled'
]);

/** The VisionLens event an emission carries, or null (another schema, or malformed). */
export function visionLensEvent(
  emission: Event.Emission
): VisionLensEvent | null {
  if (emission.schema_id !== JOB_EVENT_SCHEMA) {
    return null;
  }
  const { id, kind, status, dataset } = emission;
  if (
    typeof id !== 'string' ||
    typeof kind !== 'string' ||
    typeof status !== 'string' ||
    !STATUSES.has(status)
  ) {
    return null;
  }
  return {
    type: 'job',
    id,
    kind,
    status: status as JobStatus,
    dataset: typeof dataset === 'string' ? dataset : null
  };
}
