/**
 * The export dialog: the request its form makes for the grid's view, the
 * view itself (the selection when there is one, else the filter), and the
 * form's controls.
 */
import {
  defaultOut,
  ExportForm,
  exportRequest,
  IExportForm,
  offeredFormats
} from '../ExportDialog';
import { currentView } from '../../../model/sources/exports';
import { IFilter, IVisionLensModel } from '../../../model/tokens';

const FILTER: IFilter = { sample: { split: { in: ['val'] } } } as IFilter;

function form(over: Partial<IExportForm> = {}): IExportForm {
  return {
    format: 'coco',
    out: ' exports/coco ',
    source: 'ground_truth',
    minScore: '',
    images: 'copy',
    overwrite: false,
    version: '',
    frames: null,
    everyK: '',
    ...over
  };
}

describe('exportRequest', () => {
  it('sends the view, the options and the trimmed folder', () => {
    expect(exportRequest(form(), FILTER)).toEqual({
      format: 'coco',
      out: 'exports/coco',
      filter: FILTER,
      source: 'ground_truth',
      images: 'copy',
      overwrite: false
    });
  });

  it("sends a model's score threshold, never one on ground truth", () => {
    const request = exportRequest(
      form({ source: 'm1', minScore: '0.25', format: 'yolo', images: 'none' }),
      FILTER
    );
    expect(request).toMatchObject({
      format: 'yolo',
      source: 'm1',
      min_score: 0.25,
      images: 'none'
    });
    expect(exportRequest(form({ minScore: '0.5' }), FILTER)).not.toHaveProperty(
      'min_score'
    );
    expect(exportRequest(form({ source: 'm1' }), FILTER)).not.toHaveProperty(
      'min_score'
    );
  });

  it("sends a saved version's number, none for the current labels", () => {
    expect(exportRequest(form({ version: '2' }), FILTER)).toMatchObject({
      version: 2
    });
    expect(exportRequest(form(), FILTER)).not.toHaveProperty('version');
  });

  it('sends the frames choice of a dataset of videos, none for still images', () => {
    expect(exportRequest(form(), FILTER)).not.toHaveProperty('frames');
    expect(
      exportRequest(form({ frames: 'labelled', everyK: '3' }), FILTER).frames
    ).toBe('labelled');
    expect(exportRequest(form({ frames: 'all' }), FILTER).frames).toBe('all');
    expect(
      exportRequest(form({ frames: 'every', everyK: ' 5 ' }), FILTER).frames
    ).toBe('every:5');
  });

  it('says what to fix', () => {
    for (const everyK of ['', '0', '2.5']) {
      expect(() =>
        exportRequest(form({ frames: 'every', everyK }), FILTER)
      ).toThrow('K is a whole number, 1 or more');
    }
    expect(() => exportRequest(form({ out: '  ' }), FILTER)).toThrow(
      'Give the output folder'
    );
    for (const minScore of ['abc', '1.5', '-0.1']) {
      expect(() =>
        exportRequest(form({ source: 'm1', minScore }), FILTER)
      ).toThrow('a number from 0 to 1');
    }
  });
});

describe('currentView', () => {
  function model(
    mode: 'ids' | 'all',
    ids: number[],
    ranking: number[] | null = null
  ): IVisionLensModel {
    return {
      filter: FILTER,
      query: { ranking },
      selection: { mode, ids: new Set(ids) },
      selectionFilter: () =>
        mode === 'all' ? FILTER : { ids: [...ids].sort((a, b) => a - b) }
    } as unknown as IVisionLensModel;
  }

  it('is the selection when samples are selected', () => {
    expect(currentView(model('ids', [9, 3], [5, 1]))).toEqual({
      filter: { ids: [3, 9] },
      kind: 'selection',
      count: 2
    });
  });

  it('is the search results, not the whole filter, while a search ranks the grid', () => {
    expect(currentView(model('ids', [], [42, 7, 19, 7]))).toEqual({
      filter: { ids: [7, 19, 42] },
      kind: 'search',
      count: 3
    });
    expect(currentView(model('all', [], []))).toEqual({
      filter: { ids: [] },
      kind: 'search',
      count: 0
    });
  });

  it('is the filter when nothing, or everything matching, is selected and no search ranks', () => {
    expect(currentView(model('ids', []))).toEqual({
      filter: FILTER,
      kind: 'filter',
      count: null
    });
    expect(currentView(model('all', []))).toEqual({
      filter: FILTER,
      kind: 'filter',
      count: null
    });
  });
});

/** What `GET /formats` lists as export formats (the form offers them in order). */
const FORMATS = [
  { name: 'coco', title: 'COCO' },
  { name: 'voc', title: 'Pascal VOC' }
];

describe('ExportForm', () => {
  it('reads its controls, follows the format in the default folder, and disables the score on ground truth', () => {
    const widget = new ExportForm(
      'my data/set',
      ['ground_truth', 'm1'],
      { filter: { ids: [1, 2] }, kind: 'selection', count: 2 },
      FORMATS
    );
    expect(
      [
        ...widget.node.querySelectorAll('.jp-VisionLens-exportFormat option')
      ].map(o => o.textContent)
    ).toEqual(['COCO', 'Pascal VOC']);
    const node = widget.node;
    expect(node.textContent).toContain(
      'the 2 selected samples of “my data/set”'
    );
    const search = new ExportForm(
      'd',
      ['ground_truth'],
      { filter: { ids: [4] }, kind: 'search', count: 1 },
      FORMATS
    );
    expect(search.node.textContent).toContain(
      'the 1 sample of “d” the search found'
    );
    search.dispose();
    const format = node.querySelector(
      '.jp-VisionLens-exportFormat'
    ) as HTMLSelectElement;
    const score = node.querySelector(
      '.jp-VisionLens-exportMinScore'
    ) as HTMLInputElement;
    const source = node.querySelector(
      '.jp-VisionLens-exportSource'
    ) as HTMLSelectElement;
    expect(widget.getValue().out).toBe(defaultOut('my data/set', 'coco'));
    expect(defaultOut('my data/set', 'coco')).toBe(
      'visionlens-exports/my_data_set-coco'
    );
    format.value = 'voc';
    format.dispatchEvent(new Event('change'));
    expect(widget.getValue()).toMatchObject({
      format: 'voc',
      out: 'visionlens-exports/my_data_set-voc'
    });
    expect(score.disabled).toBe(true);
    source.value = 'm1';
    source.dispatchEvent(new Event('change'));
    score.value = '0.4';
    expect(score.disabled).toBe(false);
    expect(widget.getValue()).toMatchObject({ source: 'm1', minScore: '0.4' });
    (
      node.querySelector('.jp-VisionLens-exportOverwrite') as HTMLInputElement
    ).checked = true;
    expect(widget.getValue().overwrite).toBe(true);
    widget.dispose();
  });

  it('offers the saved versions, newest first, only when there are some', () => {
    const view = { filter: FILTER, kind: 'filter' as const, count: null };
    const plain = new ExportForm('d', ['ground_truth'], view, FORMATS);
    expect(plain.node.querySelector('.jp-VisionLens-exportVersion')).toBeNull();
    expect(plain.getValue().version).toBe('');
    plain.dispose();
    const version = (n: number, message: string) => ({
      version: n,
      created_at: '2026-11-25T04:00:00',
      message,
      samples: 8,
      annotations: 20 + n,
      seq: 10 * n,
      user: 'me'
    });
    const widget = new ExportForm('d', ['ground_truth'], view, FORMATS, [
      version(1, 'first'),
      version(2, '<b>cleaned</b>')
    ]);
    const choice = widget.node.querySelector(
      '.jp-VisionLens-exportVersion'
    ) as HTMLSelectElement;
    expect([...choice.options].map(o => o.textContent)).toEqual([
      'now (the current labels)',
      'version 2 “<b>cleaned</b>” (22 labels)',
      'version 1 “first” (21 labels)'
    ]);
    expect(choice.querySelector('b')).toBeNull(); // a message is text, never HTML
    expect(widget.getValue().version).toBe('');
    choice.value = '1';
    expect(widget.getValue().version).toBe('1');
    expect(exportRequest(widget.getValue(), FILTER).version).toBe(1);
    widget.dispose();
  });

  it('offers the frames, with K only for every K-th, only for a dataset of videos', () => {
    const view = { filter: FILTER, kind: 'filter' as const, count: null };
    const still = new ExportForm('d', ['ground_truth'], view, FORMATS);
    expect(still.node.querySelector('.jp-VisionLens-exportFrames')).toBeNull();
    expect(still.getValue().frames).toBeNull();
    expect(exportRequest(still.getValue(), FILTER)).not.toHaveProperty(
      'frames'
    );
    still.dispose();
    const widget = new ExportForm(
      'd',
      ['ground_truth'],
      view,
      FORMATS,
      [],
      true
    );
    const frames = widget.node.querySelector(
      '.jp-VisionLens-exportFrames'
    ) as HTMLSelectElement;
    const everyK = widget.node.querySelector(
      '.jp-VisionLens-exportEveryK'
    ) as HTMLInputElement;
    expect([...frames.options].map(o => o.value)).toEqual([
      'labelled',
      'all',
      'every'
    ]);
    expect(widget.getValue().frames).toBe('labelled');
    expect(everyK.disabled).toBe(true);
    frames.value = 'every';
    frames.dispatchEvent(new Event('change'));
    expect(everyK.disabled).toBe(false);
    everyK.value = '4';
    expect(exportRequest(widget.getValue(), FILTER).frames).toBe('every:4');
    everyK.value = '0';
    expect(() => exportRequest(widget.getValue(), FILTER)).toThrow(
      'K is a whole number'
    );
    frames.value = 'all';
    frames.dispatchEvent(new Event('change'));
    expect(everyK.disabled).toBe(true);
    expect(exportRequest(widget.getValue(), FILTER).frames).toBe('all');
    widget.dispose();
  });

  it('offers the formats that write videos only for a dataset of videos', () => {
    const view = { filter: FILTER, kind: 'filter' as const, count: null };
    const all = [
      { name: 'coco', title: 'COCO' },
      { name: 'mot', title: 'MOT Challenge', videos: true },
      { name: 'parquet', title: 'Parquet' },
      { name: 'cvat-video', title: 'CVAT for video', videos: true }
    ];
    const offered = (widget: ExportForm) =>
      [
        ...widget.node.querySelectorAll<HTMLOptionElement>(
          '.jp-VisionLens-exportFormat option'
        )
      ].map(o => o.value);
    const still = new ExportForm('d', ['ground_truth'], view, all);
    expect(offered(still)).toEqual(['coco', 'parquet']);
    expect(still.getValue().format).toBe('coco');
    still.dispose();
    const video = new ExportForm('d', ['ground_truth'], view, all, [], true);
    expect(offered(video)).toEqual(['coco', 'mot', 'parquet', 'cvat-video']);
    video.dispose();
    expect(offeredFormats(all, false).map(f => f.name)).toEqual([
      'coco',
      'parquet'
    ]);
  });
});
