/**
 * A job as the server sends it (every field of `IJob`, the generated wire type),
 * with a test's own fields over quiet defaults.
 */
import { IJob } from '../api/types';

/** A queued default-lane job of `kind`, with `fields` over it. */
export function wireJob(
  fields: Partial<IJob> & Pick<IJob, 'id' | 'kind'>
): IJob {
  return {
    title: fields.kind,
    status: 'queued',
    progress: null,
    message: '',
    result: null,
    error: null,
    created_at: '2026-01-01T00:00:00Z',
    lane: 'default',
    yields: false,
    stage: '',
    items_per_second: null,
    eta_seconds: null,
    queue_position: null,
    dataset: null,
    effects: null,
    stages: null,
    ...fields
  };
}
