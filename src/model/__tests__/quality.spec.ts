/**
 * The quality view's logic: the rows a click turns into the shared view's
 * filter and sort and the open-patches arguments, the model choices, and a
 * job run followed to its end, with a client that records calls.
 */
import { Signal } from '@lumino/signaling';

import {
  IDataChange,
  IImageIssueRow,
  IJob,
  ILabelIssueRow,
  IQualityOverview,
  ISort
} from '../tokens';
import {
  IPatchesArgs,
  modelChoices,
  patchesArgs,
  QualityModel
} from '../quality';

const SWAPPED: ILabelIssueRow = {
  issue: 'swapped',
  count: 7,
  filter: {
    labels: [
      {
        source: 'ground_truth',
        label_quality: { model: 'm', issue: ['swapped'], flagged: true }
      }
    ]
  },
  source: 'ground_truth',
  sort: 'lq_score',
  order: 'asc',
  lq_model: 'm',
  code: "vl.dataset('d').patches(...)",
  example: null
};

const DARK: IImageIssueRow = {
  issue: 'dark',
  count: 3,
  filter: { sample: { 'computed.is_dark_issue': { eq: 'true' } } },
  sort: 'computed.quality_dark_score',
  order: 'asc',
  code: "vl.dataset('d').samples(...)"
};

function overview(model: string | null): IQualityOverview {
  return {
    dataset: 'd',
    models: ['other', 'm'].map(name => ({
      name,
      kind: 'objects',
      scorable: true,
      reason: null
    })),
    scored: ['m'],
    model,
    label:
      model === 'm'
        ? {
            kind: 'objects',
            model: 'm',
            created_at: '2026-01-01T00:00:00',
            thresholds: {},
            objects: 40,
            images: 20,
            issues: [SWAPPED]
          }
        : null,
    image: null
  };
}

/** A shared model whose client answers overviews and runs one job. */
class FakeModel {
  dataset: string | null = 'd';
  currentInfo = { models: [{ name: 'other' }, { name: 'm' }] };
  filters: unknown[] = [];
  sorts: ISort[] = [];
  rowKinds: string[] = [];
  asked: (string | null | undefined)[] = [];
  started: string[] = [];
  ended: IJob[] = [];
  datasetChanged = new Signal<unknown, string | null>(this);
  dataChanged = new Signal<unknown, IDataChange>(this);
  jobs = { refresh: async () => [], cancel: async () => undefined };
  setFilter = (f: unknown) => this.filters.push(f);
  setSort = (s: ISort) => this.sorts.push(s);
  setRowKind = (k: string) => this.rowKinds.push(k);
  jobEnded = (job: IJob) => this.ended.push(job);
  client = {
    qualityOverview: async (_d: string, model?: string | null) => {
      this.asked.push(model);
      return overview(model ?? 'm');
    },
    startLabelQuality: async (_d: string, model: string) => {
      this.started.push(`label:${model}`);
      return { id: 'j1', status: 'running', progress: 0 } as IJob;
    },
    startImageQuality: async () => {
      this.started.push('image');
      return { id: 'j2', status: 'running', progress: 0 } as IJob;
    },
    waitForJob: async (
      job: IJob,
      options: { onUpdate?: (j: IJob) => void }
    ) => {
      options.onUpdate?.({ ...job, progress: 0.5 });
      return { ...job, status: 'done', progress: 1 } as IJob;
    }
  };
}

function make(): {
  fake: FakeModel;
  quality: QualityModel;
  opened: (IPatchesArgs | 'grid')[];
} {
  const fake = new FakeModel();
  const opened: (IPatchesArgs | 'grid')[] = [];
  const quality = new QualityModel(fake as any, {
    patches: async args => opened.push(args),
    grid: async () => opened.push('grid')
  });
  return { fake, quality, opened };
}

describe('quality view logic', () => {
  it('offers scored models first, then the others, only of this dataset', () => {
    expect(modelChoices(['a', 'b', 'c'], ['c', 'gone'])).toEqual([
      'c',
      'a',
      'b'
    ]);
  });

  it('opens a label issue as the patches of its members, worst first', async () => {
    const { fake, quality, opened } = make();
    await quality.openLabelIssue(SWAPPED);
    expect(fake.filters).toEqual([SWAPPED.filter]);
    expect(opened).toEqual([patchesArgs(SWAPPED)]);
    expect(opened[0]).toEqual({
      kind: 'objects',
      source: 'ground_truth',
      sort: 'lq_score',
      order: 'asc',
      lqModel: 'm'
    });
  });

  it('opens an image issue as the grid filtered on it, sorted by its score', async () => {
    const { fake, quality, opened } = make();
    await quality.openImageIssue(DARK);
    expect(fake.rowKinds).toEqual(['samples']);
    expect(fake.filters).toEqual([DARK.filter]);
    expect(fake.sorts).toEqual([
      { field: 'computed.quality_dark_score', order: 'asc' }
    ]);
    expect(opened).toEqual(['grid']);
  });

  it('loads the newest run, then the chosen model', async () => {
    const { fake, quality } = make();
    await quality.load();
    expect(fake.asked).toEqual([null]);
    expect(quality.chosenModel).toBe('m');
    expect(quality.models).toEqual(['m', 'other']);
    await quality.choose('other');
    expect(fake.asked).toEqual([null, 'other']);
    expect(quality.overview?.label).toBeNull();
    expect(quality.chosenModel).toBe('other');
  });

  it("runs the chosen model's job, shows progress, announces its end, reloads", async () => {
    const { fake, quality } = make();
    await quality.choose('other');
    const progress: number[] = [];
    quality.changed.connect(() => {
      if (quality.job) {
        progress.push(quality.job.progress ?? -1);
      }
    });
    await quality.run('label');
    expect(fake.started).toEqual(['label:other']);
    expect(progress).toContain(0.5);
    expect(fake.ended.map(j => j.status)).toEqual(['done']);
    expect(quality.runningKind).toBeNull();
    expect(fake.asked[fake.asked.length - 1]).toBe('other');
    await quality.run('image');
    expect(fake.started).toEqual(['label:other', 'image']);
  });

  it('reads again when fields of the open dataset change', async () => {
    const { fake, quality } = make();
    await quality.load();
    fake.dataChanged.emit({ dataset: 'd', kind: 'fields', ids: null });
    fake.dataChanged.emit({ dataset: 'x', kind: 'fields', ids: null });
    await Promise.resolve();
    expect(fake.asked.length).toBe(2);
  });
});
