/**
 * The REST client against a real Jupyter server with the VisionLens
 * extension, served under a base_url prefix with token authentication.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { ServerConnection } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';

import { JobError, VisionLensClient } from '../client';
import { VisionLensAPIError } from '../restTransport';
import { JobsModel } from '../../model/jobs';
import { IJob } from '../types';
import { JobsPanel } from '../../features/jobs/JobsPanel';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';

/** A COCO file of `n` images (no image files: sizes come from the JSON). */
function writeCoco(file: string, n: number): void {
  const images = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    file_name: `img${i + 1}.jpg`,
    width: 64,
    height: 48
  }));
  const annotations = images.map(im => ({
    id: im.id,
    image_id: im.id,
    category_id: 1,
    bbox: [4, 4, 20, 10],
    area: 200,
    iscrowd: 0
  }));
  fs.writeFileSync(
    file,
    JSON.stringify({
      images,
      annotations,
      categories: [{ id: 1, name: 'cat' }]
    })
  );
}

/**
 * Occupy the server's only job thread: an ingest of a FIFO nobody writes to
 * blocks in its parser until `release()` (which also cancels it).
 */
async function holdJobThread(
  client: VisionLensClient,
  dir: string,
  name: string
): Promise<{ job: IJob; release: () => Promise<void> }> {
  const fifo = path.join(dir, `${name}.json`);
  execFileSync('mkfifo', [fifo]);
  const job = await client.ingest({ source: fifo, name, format: 'coco' });
  const release = async () => {
    await client.cancelJob(job.id);
    try {
      // Give the blocked parser its end of file, whatever cancel did to it.
      fs.closeSync(
        fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
      );
    } catch {
      // no reader left: the worker is gone already
    }
    await client.waitForJob(job.id, { intervalMs: 50 }).catch(() => undefined);
  };
  return { job, release };
}

describe('VisionLensClient URLs', () => {
  it('builds every URL under the server base_url, names encoded', () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'https://hub.example.org/user/alice/'
    });
    const client = new VisionLensClient(settings);
    expect(client.url('datasets')).toBe(
      'https://hub.example.org/user/alice/visionlens/api/datasets'
    );
    expect(client.imageUrl('my set/1', 7, 256)).toBe(
      'https://hub.example.org/user/alice/visionlens/api/datasets/my%20set%2F1/samples/7/image?size=256'
    );
    expect(client.imageUrl('d', 7)).toBe(
      'https://hub.example.org/user/alice/visionlens/api/datasets/d/samples/7/image'
    );
    expect(client.videoUrl('my set/1', 7)).toBe(
      'https://hub.example.org/user/alice/visionlens/api/datasets/my%20set%2F1/samples/7/video'
    );
    // a model's name is data: quoted as one path segment
    expect(client.maskUrl('d', 7, 'seg/net v2')).toBe(
      'https://hub.example.org/user/alice/visionlens/api/datasets/d/samples/7/masks/seg%2Fnet%20v2'
    );
  });
});

describe('VisionLensClient against a Jupyter server', () => {
  let server: ITestServer;
  let client: VisionLensClient;

  beforeAll(async () => {
    // One job at a time, so that a job can be held in the queue.
    server = await startServer(['--VisionLensApp.job_workers=1']);
    client = new VisionLensClient(server.settings);
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it('reaches the API under the base_url prefix with the token', async () => {
    expect(client.url('jobs')).toBe(
      `${server.settings.baseUrl}visionlens/api/jobs`
    );
    expect(server.settings.baseUrl).toContain('/vl-jest/prefix/');
    await expect(client.listDatasets()).resolves.toEqual([]);
    // An aborted request is an AbortError, not a network failure.
    const ctl = new AbortController();
    ctl.abort();
    await expect(client.listDatasets(ctl.signal)).rejects.toMatchObject({
      name: 'AbortError'
    });
  });

  it('reports error answers with the server message and status', async () => {
    const error = await client.getDataset('missing').catch(e => e);
    expect(error).toBeInstanceOf(VisionLensAPIError);
    expect(error.status).toBe(404);
    expect(error.message).toContain('missing');
    const bad = await client
      .ingest({ source: '/x.json', name: '../escape' })
      .catch(e => e);
    expect(bad).toBeInstanceOf(VisionLensAPIError);
    expect(bad.status).toBe(400);
  });

  it('stops waiting on abort, and reports a cancelled job', async () => {
    const held = await holdJobThread(client, server.dir, 'blocked');
    const small = path.join(server.dir, 'queued.json');
    writeCoco(small, 2);
    const queued = await client.ingest({ source: small, name: 'queued' });
    try {
      expect(queued.status).toBe('queued');
      const stop = new AbortController();
      const seen: IJob[] = [];
      const waiting = client.waitForJob(held.job, {
        signal: stop.signal,
        intervalMs: 50,
        onUpdate: job => seen.push(job)
      });
      setTimeout(() => stop.abort(), 300);
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen[seen.length - 1].status).toMatch(/^(queued|running)$/);

      expect((await client.cancelJob(queued.id)).status).toBe('cancelled');
      const error = await client
        .waitForJob(queued.id, { intervalMs: 50 })
        .catch(e => e);
      expect(error).toBeInstanceOf(JobError);
      expect(error.job.status).toBe('cancelled');
    } finally {
      await held.release();
    }
    const end = await client.getJob(held.job.id);
    expect(end.status).toBe('cancelled');
  }, 60000);

  it('lists, orders and cancels jobs in the jobs model and panel', async () => {
    const held = await holdJobThread(client, server.dir, 'held');
    const files = ['q1', 'q2'].map(name => {
      const file = path.join(server.dir, `${name}.json`);
      writeCoco(file, 2);
      return file;
    });
    const q1 = await client.ingest({ source: files[0], name: 'q1' });
    const q2 = await client.ingest({ source: files[1], name: 'q2' });
    const jobs = new JobsModel(client, { activeMs: 50, idleMs: 50 });
    const panel = new JobsPanel(jobs, new CommandRegistry());
    try {
      let emitted = 0;
      jobs.changed.connect(() => emitted++);
      await jobs.refresh();
      expect(emitted).toBe(1);
      const active = jobs.jobs.filter(j =>
        [held.job.id, q1.id, q2.id].includes(j.id)
      );
      expect(active.map(j => [j.id, j.status])).toEqual([
        [held.job.id, 'running'],
        [q1.id, 'queued'],
        [q2.id, 'queued']
      ]);
      // Finished jobs of the earlier tests come after the active ones.
      const finished = jobs.jobs.slice(3);
      expect(
        finished.every(j => !['queued', 'running'].includes(j.status))
      ).toBe(true);
      await jobs.refresh();
      expect(emitted).toBe(1); // nothing changed: no signal

      const row = (id: string) =>
        panel.node.querySelector(`[data-job="${id}"]`) as HTMLElement;
      expect(row(q1.id).dataset.status).toBe('queued');
      expect(row(held.job.id).dataset.status).toBe('running');
      expect(
        row(q1.id).querySelector('.jp-VisionLens-jobTitle')?.textContent
      ).toBe('Ingest q1');
      // The panel's cancel button cancels through the model.
      (
        row(q2.id).querySelector('.jp-VisionLens-jobCancel') as HTMLElement
      ).click();
      await new Promise<void>(resolve => {
        const check = () =>
          row(q2.id)?.dataset.status === 'cancelled'
            ? resolve()
            : setTimeout(check, 20);
        check();
      });
      expect(row(q2.id).querySelector('.jp-VisionLens-jobCancel')).toBeNull();

      // Watching polls until the handle is disposed.
      const watch = jobs.watch();
      await held.release();
      await client.waitForJob(q1.id, { intervalMs: 50 });
      await new Promise<void>(resolve => {
        const check = () =>
          row(q1.id)?.dataset.status === 'done'
            ? resolve()
            : setTimeout(check, 20);
        check();
      });
      watch.dispose();
      expect(watch.isDisposed).toBe(true);
    } finally {
      panel.dispose();
      await held.release();
    }
  }, 90000);

  it('follows an ingest job to its result', async () => {
    const file = path.join(server.dir, 'small.json');
    writeCoco(file, 3);
    const started = await client.ingest({ source: file, name: 'small' });
    const seen: string[] = [];
    const done = await client.waitForJob(started, {
      intervalMs: 50,
      onUpdate: job => seen.push(job.status)
    });
    expect(done.status).toBe('done');
    expect(done.id).toBe(started.id);
    expect(seen[seen.length - 1]).toBe('done');
    const datasets = await client.listDatasets();
    expect(datasets.find(d => d.name === 'small')?.num_samples).toBe(3);
    expect((await client.listJobs()).map(j => j.id)).toContain(started.id);
  }, 60000);

  it('counts facets of a filter too long for a URL (a large selection)', async () => {
    // 30,000 ids: ~200 kB of filter, past what a server takes in a URL.
    const ids = Array.from({ length: 30000 }, (_, i) => i + 1);
    const all = await client.facets('small', {});
    const some = await client.facets('small', { ids });
    expect(all.total).toBe(3);
    expect(some.total).toBe(3);
    const none = await client.facets('small', {
      ids: ids.map(i => i + 1_000_000_000)
    });
    expect(none.total).toBe(0);
  }, 60000);

  it('finds where a selection stands in a filtered, sorted view', async () => {
    const file = path.join(server.dir, 'positions.json');
    writeCoco(file, 6);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'positions' }),
      { intervalMs: 50 }
    );
    const { ids } = await client.ids('positions', {});
    const filter = { ids: ids.slice(0, 4) };
    const order = await client.querySamples('positions', filter, {
      offset: 0,
      limit: 10,
      sort: 'sample_id',
      order: 'desc'
    });
    const shown = order.samples.map(s => s.sample_id);
    // two samples the filter shows, one it hides
    const wanted = [shown[3], shown[1], ids[5]];
    const answer = await client.selectionPosition('positions', {
      filter,
      ids: wanted,
      sort: 'sample_id',
      order: 'desc'
    });
    expect(answer).toEqual({
      index: 1,
      sample_id: shown[1],
      shown: 2,
      hidden: 1
    });
  }, 60000);

  it('starts an export job and reports a refused one', async () => {
    const file = path.join(server.dir, 'toexport.json');
    writeCoco(file, 3);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'toexport' }),
      { intervalMs: 50 }
    );
    const out = path.join(server.dir, 'exported');
    const started = await client.startExport('toexport', {
      format: 'yolo',
      out,
      filter: { sample: { file_name: { in: ['img1.jpg', 'img2.jpg'] } } },
      images: 'none'
    });
    expect(started.kind).toBe('export');
    const done = await client.waitForJob(started, { intervalMs: 50 });
    expect(done.result).toMatchObject({ out, format: 'yolo', samples: 2 });
    expect(fs.existsSync(path.join(out, 'data.yaml'))).toBe(true);
    const refused = await client
      .startExport('toexport', { format: 'coco', out })
      .catch(e => e);
    expect(refused).toBeInstanceOf(VisionLensAPIError);
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('is not empty');
  }, 60000);

  it('copies a view into a new dataset as a job', async () => {
    const file = path.join(server.dir, 'tocopy.json');
    writeCoco(file, 3);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'tocopy' }),
      { intervalMs: 50 }
    );
    const started = await client.startSubset('tocopy', {
      to: 'copied',
      filter: { sample: { file_name: { in: ['img1.jpg', 'img2.jpg'] } } }
    });
    expect(started.kind).toBe('subset');
    const done = await client.waitForJob(started, { intervalMs: 50 });
    expect(done.result).toMatchObject({
      dataset: 'copied',
      source: 'tocopy',
      samples: 2
    });
    const refused = await client
      .startSubset('tocopy', { to: 'copied' })
      .catch(e => e);
    expect(refused).toBeInstanceOf(VisionLensAPIError);
    expect(refused.status).toBe(409);
  }, 60000);

  it('counts, deletes and undoes the labels of a view', async () => {
    const file = path.join(server.dir, 'todelete.json');
    writeCoco(file, 3);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'todelete' }),
      { intervalMs: 50 }
    );
    const filter = { sample: { file_name: { in: ['img1.jpg', 'img3.jpg'] } } };
    const counted = await client.deleteViewLabels('todelete', {
      filter,
      source: 'ground_truth',
      dry_run: true
    });
    expect(counted).toEqual({
      deleted: 2,
      source: 'ground_truth',
      dry_run: true
    });
    const done = await client.deleteViewLabels('todelete', {
      filter,
      source: 'ground_truth'
    });
    expect(done).toMatchObject({ deleted: 2, kind: 'edit', annotations: 1 });
    const undone = await client.undoEdit('todelete');
    expect(undone).toMatchObject({ kind: 'undo', annotations: 3 });
  }, 60000);

  it('counts what a model holds, then deletes it', async () => {
    const file = path.join(server.dir, 'modelgo.json');
    writeCoco(file, 3);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'modelgo' }),
      { intervalMs: 50 }
    );
    const results = path.join(server.dir, 'modelgo-results.json');
    const boxes = [1, 2, 3].map(id => ({
      image_id: id,
      category_id: 1,
      bbox: [4, 4, 20, 10],
      score: 0.9
    }));
    fs.writeFileSync(results, JSON.stringify(boxes));
    const imported = await client.waitForJob(
      await client.importPredictions('modelgo', {
        source: results,
        model: 'm1',
        format: 'coco'
      }),
      { intervalMs: 50 }
    );
    expect(imported.status).toBe('done');
    const counted = await client.deleteModel('modelgo', 'm1', true);
    expect(counted).toEqual({
      dataset: 'modelgo',
      model: 'm1',
      objects: 3,
      image_labels: 0,
      label_maps: 0,
      evaluations: 0
    });
    expect(await client.deleteModel('modelgo', 'm1')).toEqual(counted);
    const info = await client.getDataset('modelgo');
    expect(info.models.map(m => m.name)).toEqual([]);
    const gone = await client.deleteModel('modelgo', 'm1').catch(e => e);
    expect(gone).toBeInstanceOf(VisionLensAPIError);
    expect(gone.status).toBe(404);
  }, 60000);

  it('counts, deletes and undoes the samples of a view', async () => {
    const file = path.join(server.dir, 'samplesgo.json');
    writeCoco(file, 3);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'samplesgo' }),
      { intervalMs: 50 }
    );
    const filter = { sample: { file_name: { in: ['img1.jpg', 'img3.jpg'] } } };
    const counted = await client.deleteViewSamples('samplesgo', {
      filter,
      dry_run: true
    });
    expect(counted).toEqual({ samples: 2, labels: 2, dry_run: true });
    const done = await client.deleteViewSamples('samplesgo', { filter });
    expect(done).toMatchObject({
      samples: 2,
      labels: 2,
      kind: 'delete_samples',
      annotations: 1
    });
    const undone = await client.undoEdit('samplesgo');
    expect(undone).toMatchObject({ kind: 'undo', samples: 2, annotations: 3 });
  }, 60000);

  it('lists the versions an export may write and refuses an unknown one', async () => {
    const file = path.join(server.dir, 'versioned.json');
    writeCoco(file, 2);
    await client.waitForJob(
      await client.ingest({ source: file, name: 'versioned' }),
      { intervalMs: 50 }
    );
    expect(await client.listVersions('versioned')).toEqual([]);
    const out = path.join(server.dir, 'exported-v3');
    const refused = await client
      .startExport('versioned', { format: 'coco', out, version: 3 })
      .catch(e => e);
    expect(refused).toBeInstanceOf(VisionLensAPIError);
    expect(refused.status).toBe(404);
    expect(refused.message).toContain('no version 3');
    expect(fs.existsSync(out)).toBe(false);
  }, 60000);

  it('rejects with the job when it fails', async () => {
    const file = path.join(server.dir, 'broken.json');
    fs.writeFileSync(file, '{"images": [ {"id": 1, ');
    const started = await client.ingest({
      source: file,
      name: 'broken',
      format: 'coco'
    });
    const error = await client
      .waitForJob(started, { intervalMs: 50 })
      .catch(e => e);
    expect(error).toBeInstanceOf(JobError);
    expect(error.job.status).toBe('failed');
    expect(error.message).toContain('failed');
    expect(error.job.error).toBeTruthy();
  }, 60000);
});
