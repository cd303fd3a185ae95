/**
 * Polling only while needed (issue #15): the jobs list and `followJob` under
 * jest's fake timers. The client here counts `GET /jobs` requests and answers
 * the states a test sets; the real server's side is client.spec.ts's and the
 * Galata idle check's.
 */
import { followJob } from '../../api/jobs';
import { IDLE_MAX_POLL_MS, JobsModel } from '../jobs';
import { IVisionLensClient } from '../tokens';
import { IJob, JobStatus } from '../../api/types';
import { wireJob } from '../../__tests__/wireJob';

function job(id: string, status: JobStatus): IJob {
  return wireJob({ id, kind: 'ingest', status });
}

/** The jobs a fake server lists, and how often it was asked. */
class CountingServer {
  jobs: IJob[] = [];
  requests = 0;
  client = {
    listJobs: async () => {
      this.requests += 1;
      return this.jobs.map(j => ({ ...j }));
    },
    cancelJob: async (id: string) => job(id, 'cancelled')
  } as unknown as IVisionLensClient;
}

let visibility: DocumentVisibilityState = 'visible';

beforeAll(() => {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => visibility
  });
});

beforeEach(() => {
  jest.useFakeTimers();
  visibility = 'visible';
});

afterEach(() => {
  jest.useRealTimers();
});

/** Let `ms` of fake time pass, settling the promises of every tick. */
async function pass(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

function setVisibility(state: DocumentVisibilityState): void {
  visibility = state;
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('the jobs list polls only while needed', () => {
  it('makes no request while nobody watches and no job runs', async () => {
    const server = new CountingServer();
    new JobsModel(server.client, { activeMs: 1000, idleMs: 5000 });
    await pass(10 * 60 * 1000);
    expect(server.requests).toBe(0);
  });

  it('stops when the panel is hidden and no job runs', async () => {
    const server = new CountingServer();
    const model = new JobsModel(server.client, {
      activeMs: 1000,
      idleMs: 5000
    });
    const watch = model.watch();
    await pass(0);
    expect(server.requests).toBe(1);
    watch.dispose(); // the panel was hidden
    const before = server.requests;
    await pass(10 * 60 * 1000);
    expect(server.requests).toBe(before);
  });

  it('stops while the page is hidden, and refreshes when it shows again', async () => {
    const server = new CountingServer();
    const model = new JobsModel(server.client, {
      activeMs: 1000,
      idleMs: 5000
    });
    model.watch();
    await pass(0);
    setVisibility('hidden');
    const hidden = server.requests;
    await pass(10 * 60 * 1000);
    expect(server.requests).toBe(hidden);
    setVisibility('visible');
    await pass(0);
    expect(server.requests).toBe(hidden + 1);
  });

  it('backs off while a watched list stays idle', async () => {
    const server = new CountingServer();
    const model = new JobsModel(server.client, {
      activeMs: 1000,
      idleMs: 5000
    });
    model.watch();
    await pass(10 * 60 * 1000);
    // 5 + 10 + 20 + 40 + 60 + 60... s: far fewer than one request per 5 s
    const atFixedIdle = (10 * 60 * 1000) / 5000;
    expect(server.requests).toBeGreaterThan(5);
    expect(server.requests).toBeLessThan(atFixedIdle / 4);
    const before = server.requests;
    await pass(IDLE_MAX_POLL_MS);
    expect(server.requests).toBe(before + 1); // never slower than the cap
  });

  it('polls a running job until it is done, even with nothing watching', async () => {
    const server = new CountingServer();
    server.jobs = [job('a', 'running')];
    const model = new JobsModel(server.client, {
      activeMs: 1000,
      idleMs: 5000
    });
    const watch = model.watch();
    await pass(0);
    watch.dispose();
    setVisibility('hidden');
    const start = server.requests;
    await pass(10_000);
    expect(server.requests - start).toBeGreaterThanOrEqual(9); // every second
    server.jobs = [job('a', 'done')];
    await pass(1000);
    expect(model.jobs.map(j => j.status)).toEqual(['done']);
    const done = server.requests;
    await pass(10 * 60 * 1000);
    expect(server.requests).toBe(done);
  });

  it('backs off after failed requests', async () => {
    // Lumino draws each wait at random: a seeded sequence keeps the count the same run
    // after run (unseeded, one run in many drew short waits often enough to pass 40)
    let seed = 42;
    const random = jest.spyOn(Math, 'random').mockImplementation(() => {
      seed = (seed * 1664525 + 1013904223) % 4294967296;
      return seed / 4294967296;
    });
    let calls = 0;
    const client = {
      listJobs: async () => {
        calls += 1;
        throw new Error('server down');
      }
    } as unknown as IVisionLensClient;
    const model = new JobsModel(client, { activeMs: 1000, idleMs: 5000 });
    model.watch();
    await pass(5 * 60 * 1000);
    // Lumino's backoff: a random wait between 1 s and 3x the last one, capped
    // at 30 s: about 10-25 tries in 5 min (random), not 300 at 1 s nor 60 at 5 s
    random.mockRestore();
    expect(calls).toBeGreaterThan(3);
    expect(calls).toBeLessThan(40);
  });
});

describe('followJob', () => {
  it('polls a running job until it ends, then stops', async () => {
    const states: JobStatus[] = ['running', 'running', 'running', 'done'];
    let requests = 0;
    const fetchJob = async (id: string) => {
      requests += 1;
      return job(id, states[Math.min(requests - 1, states.length - 1)]);
    };
    const seen: string[] = [];
    setVisibility('hidden'); // a running job is reason enough
    const done = followJob(fetchJob, job('x', 'queued'), {
      intervalMs: 500,
      onUpdate: j => seen.push(j.status)
    });
    await pass(500 * 4);
    await expect(done).resolves.toMatchObject({ id: 'x', status: 'done' });
    expect(requests).toBe(4);
    expect(seen).toEqual(['queued', 'running', 'running', 'running', 'done']);
    await pass(60_000);
    expect(requests).toBe(4);
  });

  it('stops at once when aborted', async () => {
    let requests = 0;
    const controller = new AbortController();
    const follow = followJob(
      async id => {
        requests += 1;
        return job(id, 'running');
      },
      job('y', 'running'),
      { intervalMs: 500, signal: controller.signal }
    );
    const settled = follow.catch(e => e);
    await pass(1000);
    controller.abort();
    expect((await settled).name).toBe('AbortError');
    const before = requests;
    await pass(60_000);
    expect(requests).toBe(before);
  });
});
