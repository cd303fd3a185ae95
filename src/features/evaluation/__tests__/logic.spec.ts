import {
  BACKGROUND,
  cellFilter,
  cellLabelFilter,
  classColumns,
  curvePoints,
  evaluationKinds,
  evaluationRequest,
  fmtMetric,
  IEvaluateForm,
  parseSigmas,
  sortRows
} from '../logic';
import { IClassRow } from '../../../api/types';
import { noLabelCounts } from '../../../model/labelCounts';
import { evaluationLabel } from '../../../model/sources/evaluations';

const report = { key: 'm1--coco-iou0.5', model: 'm1' };

describe('cellLabelFilter', () => {
  it('maps each kind of confusion cell to the boxes it counts', () => {
    expect(cellLabelFilter(report, 'cat', 'cat')).toEqual({
      source: 'm1',
      classes: ['cat'],
      eval: { key: report.key, status: ['tp'] }
    });
    expect(cellLabelFilter(report, 'dog', 'cat')).toEqual({
      source: 'm1',
      classes: ['cat'],
      eval: {
        key: report.key,
        status: ['fp'],
        error: ['class_confusion'],
        confused_with: ['dog']
      }
    });
    expect(cellLabelFilter(report, BACKGROUND, 'cat')?.eval).toEqual({
      key: report.key,
      status: ['fp'],
      error: ['duplicate', 'localization', 'background']
    });
    expect(cellLabelFilter(report, 'dog', BACKGROUND)).toEqual({
      source: 'ground_truth',
      classes: ['dog'],
      eval: { key: report.key, status: ['fn'], confused: false }
    });
    expect(cellLabelFilter(report, BACKGROUND, BACKGROUND)).toBeNull();
  });

  it('sets the whole filter to the cell (nothing of an earlier filter stays)', () => {
    expect(cellFilter(report, 'cat', 'cat')).toEqual({
      labels: [cellLabelFilter(report, 'cat', 'cat')]
    });
    expect(cellFilter(report, BACKGROUND, BACKGROUND)).toBeNull();
  });
});

describe('table and curve helpers', () => {
  const row = (cls: string, AP: number | null): IClassRow => ({
    class: cls,
    AP,
    precision: null,
    recall: null,
    tp: 0,
    fp: 0,
    fn: 0,
    num_gt: 1
  });

  it('sorts with nulls last in both directions', () => {
    const rows = [row('b', 0.2), row('a', null), row('c', 0.9)];
    expect(sortRows(rows, 'AP', true).map(r => r.class)).toEqual([
      'c',
      'b',
      'a'
    ]);
    expect(sortRows(rows, 'AP', false).map(r => r.class)).toEqual([
      'b',
      'c',
      'a'
    ]);
    expect(sortRows(rows, 'class', false).map(r => r.class)).toEqual([
      'a',
      'b',
      'c'
    ]);
  });

  it('draws recall on x and precision upwards', () => {
    expect(curvePoints([0, 1], [1, 0.5], 100, 50)).toBe('0.0,0.0 100.0,25.0');
    expect(fmtMetric(-1)).toBe('n/a');
    expect(fmtMetric(0.12345)).toBe('0.123');
  });
});

describe('evaluation labels and per-class columns', () => {
  const base = { model: 'm1', protocol: 'coco' as const, iou: 0.5 };

  it('names the iou type, bbox for entries that carry none', () => {
    expect(evaluationLabel({ ...base, iou_type: 'segm' })).toBe(
      'm1 · COCO segm @0.5'
    );
    expect(
      evaluationLabel({ ...base, iou_type: 'keypoints', stale: true })
    ).toBe('m1 · COCO keypoints @0.5 (stale)');
    expect(evaluationLabel({ ...base, protocol: 'voc', iou: 0.7 })).toBe(
      'm1 · VOC bbox @0.7'
    );
  });

  it('shows AR20 for keypoints, AR100 for boxes and masks, AP_11point for VOC', () => {
    expect(classColumns({ protocol: 'coco', iou_type: 'keypoints' })).toEqual([
      'class',
      'AP',
      'AP50',
      'AP75',
      'AR20',
      'precision',
      'recall',
      'tp',
      'fp',
      'fn',
      'num_gt'
    ]);
    expect(classColumns({ protocol: 'coco', iou_type: 'segm' })).toContain(
      'AR100'
    );
    expect(classColumns({ protocol: 'coco' })).toContain('AR100');
    const voc = classColumns({ protocol: 'voc', iou_type: 'bbox' });
    expect(voc).toContain('AP_11point');
    expect(voc).not.toContain('AR100');
  });
});

describe('the evaluate form', () => {
  const form = (over: Partial<IEvaluateForm> = {}): IEvaluateForm => ({
    model: 'pose',
    protocol: 'coco',
    iou: '0.5',
    plusOne: false,
    iouType: 'keypoints',
    sigmas: '',
    ...over
  });

  it('reads comma-separated positive sigmas, empty meaning the default', () => {
    expect(parseSigmas('')).toEqual({ ok: true, sigmas: null });
    expect(parseSigmas('  ')).toEqual({ ok: true, sigmas: null });
    expect(parseSigmas('0.025, .079,1e-1 , 2')).toEqual({
      ok: true,
      sigmas: [0.025, 0.079, 0.1, 2]
    });
    for (const bad of [
      '0',
      '-0.1',
      '0.1,,0.2',
      'abc',
      '0x1',
      'Infinity',
      '0.1,'
    ]) {
      const parsed = parseSigmas(bad);
      expect(parsed.ok).toBe(false);
    }
    const parsed = parseSigmas('0.1, -2');
    expect(parsed.ok ? '' : parsed.error).toContain('"-2"');
  });

  it('builds the request of each iou type', () => {
    expect(evaluationRequest(form({ sigmas: '0.1, 0.2' }))).toEqual({
      ok: true,
      request: {
        model: 'pose',
        protocol: 'coco',
        iou: 0.5,
        plus_one: false,
        iou_type: 'keypoints',
        sigmas: [0.1, 0.2]
      }
    });
    const keypointsDefault = evaluationRequest(form());
    expect(keypointsDefault.ok && keypointsDefault.request.sigmas).toBe(
      undefined
    );
    // Sigmas typed for keypoints are not sent with another iou type.
    expect(
      evaluationRequest(form({ iouType: 'segm', sigmas: 'junk' }))
    ).toEqual({
      ok: true,
      request: {
        model: 'pose',
        protocol: 'coco',
        iou: 0.5,
        plus_one: false,
        iou_type: 'segm'
      }
    });
  });

  it('offers the evaluations a model has labels for', () => {
    const counts = (
      boxes: number,
      masks: number,
      keypoints: number,
      cls = 0,
      rotated = 0
    ) => ({
      label_types: {
        ...noLabelCounts(),
        boxes,
        rotated_boxes: rotated,
        masks,
        keypoints,
        classifications: cls
      }
    });
    const all = ['bbox', 'rotated', 'segm', 'keypoints'];
    expect(evaluationKinds(undefined)).toEqual(all);
    expect(evaluationKinds({})).toEqual(all);
    expect(evaluationKinds(counts(5, 0, 0))).toEqual(['bbox']);
    expect(evaluationKinds(counts(5, 5, 0))).toEqual(['bbox', 'segm']);
    expect(evaluationKinds(counts(5, 0, 2))).toEqual(['bbox', 'keypoints']);
    expect(evaluationKinds(counts(5, 5, 2, 3))).toEqual([
      'bbox',
      'segm',
      'keypoints'
    ]);
    expect(evaluationKinds(counts(0, 0, 0, 3))).toEqual(['classification']);
    expect(evaluationKinds(counts(5, 0, 0, 0, 5))).toEqual(['bbox', 'rotated']);
  });

  it('asks a classification model for its classification report', () => {
    expect(
      evaluationRequest(
        form({ model: 'cls', iouType: 'classification', iou: 'junk' })
      )
    ).toEqual({
      ok: true,
      request: { model: 'cls', protocol: 'coco', iou: 0.5, plus_one: false }
    });
  });

  it('refuses what the server would refuse, with a reason', () => {
    const reasons = [
      form({ sigmas: '0.1, 0' }),
      form({ model: '' }),
      form({ iouType: 'polygon' }),
      form({ iouType: 'segm', protocol: 'voc' }),
      form({ iouType: 'bbox', iou: '1' }),
      form({ iouType: 'bbox', iou: '' })
    ].map(f => {
      const r = evaluationRequest(f);
      return r.ok ? 'accepted' : r.error;
    });
    expect(reasons).toEqual([
      expect.stringContaining('Sigmas'),
      expect.stringContaining('model'),
      expect.stringContaining('polygon'),
      expect.stringContaining('COCO protocol only'),
      expect.stringContaining('IoU'),
      expect.stringContaining('IoU')
    ]);
    expect(
      evaluationRequest(form({ iouType: 'bbox', protocol: 'voc' })).ok
    ).toBe(true);
  });
});
