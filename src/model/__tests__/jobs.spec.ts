import { isActive } from '../../api/jobs';
import {
  describeProgress,
  ERROR_HEADLINE_CHARS,
  errorHeadline,
  fmtDuration,
  orderJobs
} from '../jobs';
import { IJob, JobStatus } from '../../api/types';
import { wireJob } from '../../__tests__/wireJob';

function job(id: string, status: JobStatus, extra: Partial<IJob> = {}): IJob {
  return wireJob({ id, kind: 'embed', status, ...extra });
}

describe('jobs list', () => {
  it('orders running, queued by position, then finished newest first', () => {
    // As GET /jobs lists them: newest first.
    const listed = [
      job('f', 'done', { created_at: '2026-01-01T00:00:05Z' }),
      job('e', 'queued', { queue_position: 1 }),
      job('d', 'queued', { queue_position: 2 }),
      job('c', 'failed', { created_at: '2026-01-01T00:00:03Z' }),
      job('b', 'running'),
      job('a', 'cancelled')
    ];
    expect(orderJobs(listed).map(j => j.id)).toEqual([
      'b',
      'e',
      'd',
      'f',
      'c',
      'a'
    ]);
    // Without positions, queued jobs run oldest first (listed last).
    const unnumbered = [job('y', 'queued'), job('x', 'queued')];
    expect(orderJobs(unnumbered).map(j => j.id)).toEqual(['x', 'y']);
    expect(listed.map(j => j.id)).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
    expect(listed.filter(isActive).map(j => j.id)).toEqual(['e', 'd', 'b']);
  });

  it('describes progress as far as the server reports it', () => {
    expect(describeProgress(job('a', 'queued', { queue_position: 2 }))).toBe(
      '#2 in the queue'
    );
    expect(describeProgress(job('a', 'queued'))).toBe('queued');
    expect(
      describeProgress(
        job('a', 'running', {
          stage: 'embedding',
          progress: 0.256,
          items_per_second: 412.4,
          eta_seconds: 200
        })
      )
    ).toBe('embedding · 26% · 412/s · ETA 3 min 20 s');
    expect(
      describeProgress(job('a', 'running', { items_per_second: 2.345 }))
    ).toBe('2.3/s');
    expect(
      describeProgress(
        job('a', 'failed', { error: 'no weights', message: 'x' })
      )
    ).toBe('no weights');
    expect(describeProgress(job('a', 'done', { message: 'all good' }))).toBe(
      ''
    );
  });

  it('shows the headline of a long or many-line error', () => {
    expect(errorHeadline('no weights')).toBe('no weights');
    expect(errorHeadline('bad file\nTraceback: ...')).toBe('bad file …');
    const long = `nothing usable could be read: ${'problem; '.repeat(40)}`;
    const headline = errorHeadline(long);
    expect(headline.endsWith(' …')).toBe(true);
    expect(headline.length).toBeLessThanOrEqual(ERROR_HEADLINE_CHARS + 2);
    expect(long.startsWith(headline.slice(0, -2))).toBe(true);
    expect(
      describeProgress(job('a', 'failed', { error: long, message: 'x' }))
    ).toBe(headline);
  });

  it('formats durations', () => {
    expect(fmtDuration(0)).toBe('0 s');
    expect(fmtDuration(59.6)).toBe('1 min');
    expect(fmtDuration(125)).toBe('2 min 5 s');
    expect(fmtDuration(7500)).toBe('2 h 5 min');
    expect(fmtDuration(3600)).toBe('1 h');
  });
});
