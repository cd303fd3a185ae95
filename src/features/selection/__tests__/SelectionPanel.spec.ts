/**
 * The selection panel over a stub model: Run sends the grid's current filter
 * with the form's words, the finished job's record is listed and shown;
 * "Show in grid" sets the model's filter to the selection's tag; "Show on
 * map" shows the candidates (its filter) with the chosen samples selected;
 * "Export…" and "Label Studio…" run their commands on the chosen samples as
 * the model's selection; a row opens its sample; a cancelled job says so.
 */
import { Signal } from '@lumino/signaling';

import { JobError } from '../../../api/client';
import {
  IDataChange,
  IFilter,
  IJob,
  ISelectionRecord,
  ISelectionRequest,
  IVisionLensModel
} from '../../../model/tokens';
import { SelectionPanel } from '../SelectionPanel';

const RECORD: ISelectionRecord = {
  id: 4,
  dataset: 'd',
  created: '2026-01-02T03:04:05Z',
  strategies: [{ name: 'diversity', weight: 1 }],
  filter: { sample: { split: { eq: 'val' } } },
  options: {},
  space: 'clip',
  seed: 0,
  count: 2,
  chosen: 2,
  tag: 'selected-4',
  seconds: 0.5,
  rows: [
    { sample_id: 8, rank: 0, score: 1, scores: { diversity: 1 } },
    { sample_id: 9, rank: 1, score: 0.5, scores: { diversity: 0.5 } }
  ]
};

function job(status: IJob['status']): IJob {
  return {
    id: 'j1',
    kind: 'selection',
    status,
    progress: status === 'done' ? 1 : 0.5,
    message: '',
    result: status === 'done' ? { id: RECORD.id } : null,
    error: null
  } as unknown as IJob;
}

function stub(end: IJob['status'] = 'done') {
  const sent: ISelectionRequest[] = [];
  const cancelled: string[] = [];
  const filters: IFilter[] = [];
  const selected: number[][] = [];
  let stored: ISelectionRecord[] = [];
  const model = {
    dataset: 'd',
    filter: RECORD.filter as IFilter,
    datasetChanged: new Signal<unknown, string | null>({}),
    filterChanged: new Signal<unknown, IFilter>({}),
    dataChanged: new Signal<unknown, IDataChange>({}),
    setDataset: () => undefined,
    setFilter: (f: IFilter) => filters.push(f),
    setSelection: (ids: Iterable<number>) => selected.push([...ids]),
    jobs: { cancel: async (id: string) => cancelled.push(id) },
    client: {
      listSpaces: async () => [{ space: 'clip', count: 10 }],
      querySamples: async () => ({
        samples: [{ sample_id: 8, file_name: 'a.jpg' }]
      }),
      startSelection: async (_d: string, request: ISelectionRequest) => {
        sent.push(request);
        return job('running');
      },
      waitForJob: async (_j: IJob, o: { onUpdate: (j: IJob) => void }) => {
        o.onUpdate(job('running'));
        if (end !== 'done') {
          throw new JobError(job(end));
        }
        stored = [RECORD];
        return job('done');
      },
      listSelections: async () => stored,
      getSelection: async () => RECORD
    }
  } as unknown as IVisionLensModel;
  const elsewhere = () => (stored = [RECORD]);
  return { model, sent, cancelled, filters, selected, elsewhere };
}

function shell() {
  const opened: string[] = [];
  return {
    opened,
    openGrid: async () => opened.push('grid'),
    openMap: async () => opened.push('map'),
    exportView: async () => opened.push('export'),
    labelStudio: async () => opened.push('label studio'),
    openSample: (dataset: string, id: number) => opened.push(`${dataset}/${id}`)
  };
}

describe('SelectionPanel', () => {
  it('runs on the grid view, lists and shows the record, shows its tag', async () => {
    const { model, sent, filters, selected } = stub();
    const views = shell();
    const panel = new SelectionPanel(model, views);
    await panel.load();
    const node = panel.node;
    expect(node.querySelector('.jp-VisionLens-selFrom')!.textContent).toBe(
      "From: the grid's current view"
    );
    const space = node.querySelector(
      'select[aria-label="Space"]'
    ) as HTMLSelectElement;
    expect([...space.options].map(o => o.value)).toEqual(['', 'clip']);
    (node.querySelector('input[aria-label="K"]') as HTMLInputElement).value =
      '2';
    await panel.run();
    expect(sent).toEqual([
      { count: 2, strategies: ['diversity'], filter: RECORD.filter }
    ]);
    expect(panel.shown).toBe(RECORD);
    const item = node.querySelector('.jp-VisionLens-selItem') as HTMLElement;
    expect(item.classList.contains('jp-mod-active')).toBe(true);
    const rows = node.querySelectorAll<HTMLElement>('.jp-VisionLens-selRow');
    expect([...rows].map(r => r.textContent)).toEqual([
      '18 · a.jpg1.000',
      '290.500'
    ]);
    rows[1].click();
    node.querySelector<HTMLElement>('.jp-VisionLens-selShowGrid')!.click();
    node.querySelector<HTMLElement>('.jp-VisionLens-selShowMap')!.click();
    node.querySelector<HTMLElement>('.jp-VisionLens-selExport')!.click();
    node.querySelector<HTMLElement>('.jp-VisionLens-selLabelStudio')!.click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(filters).toEqual([{ tags: { any: ['selected-4'] } }, RECORD.filter]);
    expect(selected).toEqual([
      [8, 9],
      [8, 9],
      [8, 9]
    ]);
    expect(views.opened).toEqual([
      'd/9',
      'grid',
      'map',
      'export',
      'label studio'
    ]);
    expect(
      (node.querySelector('.jp-VisionLens-selRun') as HTMLButtonElement)
        .disabled
    ).toBe(false);
  });

  it('says a cancelled job was cancelled, and refuses an empty form', async () => {
    const { model, sent } = stub('cancelled');
    const panel = new SelectionPanel(model, shell());
    await panel.load();
    const status = panel.node.querySelector('.jp-VisionLens-message')!;
    await panel.run();
    expect(status.textContent).toBe('Cancelled.');
    expect(panel.shown).toBeNull();
    for (const box of panel.node.querySelectorAll<HTMLInputElement>(
      '.jp-VisionLens-selStrategies input[type="checkbox"]'
    )) {
      box.checked = false;
    }
    await panel.run();
    expect(status.textContent).toBe('Tick at least one strategy.');
    expect(sent).toHaveLength(1);
  });

  it('lists a selection run elsewhere when its tags are written', async () => {
    const { model, elsewhere } = stub();
    const panel = new SelectionPanel(model, shell());
    await panel.load();
    const items = () => panel.node.querySelectorAll('.jp-VisionLens-selItem');
    expect(items()).toHaveLength(0);
    elsewhere();
    const changed = model.dataChanged as Signal<unknown, IDataChange>;
    changed.emit({ dataset: 'other', kind: 'samples', ids: null });
    changed.emit({ dataset: 'd', kind: 'labels', ids: null });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(items()).toHaveLength(0);
    changed.emit({ dataset: 'd', kind: 'samples', ids: null });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect([...items()].map(li => li.textContent)).toEqual([
      '#4 · diversity · 2 chosen · selected-4'
    ]);
  });
});
