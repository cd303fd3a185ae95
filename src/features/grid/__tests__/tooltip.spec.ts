/**
 * The grid's hover card counts every label type of the sample on both sides
 * (ground truth, visible models), following the view: a hidden model or a
 * prediction under the confidence threshold is not counted. A caption
 * (`computed.caption`) is a line of text of its own.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { GROUND_TRUTH, IAnnotation, ISample } from '../../../api/types';
import { labelCounts, noLabelCounts } from '../../../model/labelCounts';
import { VisionLensModel } from '../../../model/model';
import { fillTooltip } from '../tiles';
import { wireBox, wireSample } from '../../../__tests__/wireSample';

const square = [[0, 0, 10, 0, 10, 10, 0, 10]];
const rle = { size: [4, 4] as [number, number], counts: '04L0' };
const NOT_A_MASK = 'not a mask' as unknown as IAnnotation['segmentation'];

function ann(
  id: number,
  source: string,
  score: number | null,
  extra: Partial<IAnnotation> = {}
): IAnnotation {
  return wireBox({
    ann_id: id,
    source,
    label: 'cat',
    bbox: [0, 0, 10, 10],
    score,
    ...extra
  });
}

const sample: ISample = wireSample({
  sample_id: 1,
  file_name: 'a.jpg',
  annotations: [
    ann(1, GROUND_TRUTH, null, { segmentation: square }),
    ann(2, GROUND_TRUTH, null, {
      segmentation: rle,
      keypoints: [1, 1, 2, 5, 5, 0]
    }),
    ann(3, GROUND_TRUTH, null, { keypoints: [1, 1, 0] }), // no labelled point
    ann(4, 'm1', 0.9, { segmentation: square }),
    ann(5, 'm1', 0.2, { segmentation: square }),
    // untrusted: a value that is no mask draws nothing
    ann(6, 'm2', 0.8, { segmentation: NOT_A_MASK })
  ],
  classifications: [
    { source: GROUND_TRUTH, label: 'indoor', score: null },
    { source: 'm1', label: 'indoor', score: 0.7 },
    { source: 'm2', label: 'outdoor', score: 0.6 }
  ]
});

function makeModel(): VisionLensModel {
  return new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
}

describe('the grid tooltip', () => {
  it('counts boxes, masks, keypoints and classifications per side', () => {
    const model = makeModel();
    model.setConfidenceThreshold(0.5);
    expect(labelCounts(model, sample)).toEqual({
      groundTruth: {
        ...noLabelCounts(),
        boxes: 3,
        masks: 2,
        keypoints: 1,
        classifications: 1
      },
      predictions: {
        ...noLabelCounts(),
        boxes: 2,
        masks: 1,
        keypoints: 0,
        classifications: 2
      }
    });
    model.setSourceVisible('m2', false);
    expect(labelCounts(model, sample).predictions).toEqual({
      ...noLabelCounts(),
      boxes: 1,
      masks: 1,
      keypoints: 0,
      classifications: 1
    });
  });

  it('shows every label type in the card', () => {
    const model = makeModel();
    model.setConfidenceThreshold(0.5);
    const tip = document.createElement('div');
    fillTooltip(tip, model, sample);
    const lines = [...tip.children].map(el => el.textContent);
    expect(lines).toContain(
      'ground truth: 3 boxes · 2 masks · 1 with keypoints · 1 classification'
    );
    expect(lines).toContain(
      'predictions: 2 boxes · 1 mask · 2 classifications'
    );
    expect(lines).toContain('640×480');
  });

  it('counts rotated boxes and lines', () => {
    const tip = document.createElement('div');
    const obb = [10, 10, 50, 20, 45, 40, 5, 30];
    fillTooltip(tip, makeModel(), {
      ...sample,
      annotations: [
        ann(9, GROUND_TRUTH, null, {
          label: 'plane',
          bbox: [5, 10, 45, 30],
          obb
        }),
        ann(10, GROUND_TRUTH, null, { label: 'lane', polyline: [0, 0, 10, 10] })
      ],
      classifications: []
    });
    expect(tip.textContent).toContain(
      'ground truth: 2 boxes · 1 rotated · 1 line'
    );
  });

  it('counts a label map per shown source', () => {
    const model = makeModel();
    const bare = {
      ...sample,
      annotations: [],
      classifications: [],
      mask_sources: [GROUND_TRUTH, 'seg']
    };
    const tip = document.createElement('div');
    fillTooltip(tip, model, bare);
    expect(tip.textContent).toContain('ground truth: 0 boxes · 1 label map');
    expect(tip.textContent).toContain('predictions: 0 boxes · 1 label map');
    model.setSourceVisible('seg', false);
    expect(labelCounts(model, bare).predictions.label_maps).toBe(0);
    expect(labelCounts(model, bare).groundTruth.label_maps).toBe(1);
  });

  it('says 0 boxes and leaves predictions out for an image without labels', () => {
    const tip = document.createElement('div');
    fillTooltip(tip, makeModel(), {
      ...sample,
      annotations: [],
      classifications: []
    });
    const text = tip.textContent ?? '';
    expect(text).toContain('ground truth: 0 boxes');
    expect(text).not.toContain('predictions');
  });

  it('shows the caption of the page data as text', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const tip = document.createElement('div');
    fillTooltip(tip, makeModel(), {
      ...sample,
      computed: { caption: hostile }
    });
    const line = tip.querySelector('.jp-VisionLens-tooltipCaption');
    expect(line?.textContent).toBe(hostile);
    expect(tip.querySelector('img')).toBeNull();
  });

  it('has no caption line without a caption', () => {
    for (const computed of [{}, { dup_group: 2 }, { caption: 1 }]) {
      const tip = document.createElement('div');
      fillTooltip(tip, makeModel(), { ...sample, computed });
      expect(tip.querySelector('.jp-VisionLens-tooltipCaption')).toBeNull();
    }
  });
});
