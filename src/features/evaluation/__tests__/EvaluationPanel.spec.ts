import { Signal } from '@lumino/signaling';

import { EvaluationPanel } from '../EvaluationPanel';
import {
  IEvaluationRequest,
  IEvaluationSummary,
  IJob
} from '../../../api/types';
import { IVisionLensModel } from '../../../model/tokens';
import { wireJob } from '../../../__tests__/wireJob';

const EVIL = '<b>tulip</b>';

const SUMMARIES: IEvaluationSummary[] = [
  {
    key: 'pose--coco-keypoints-iou0.5',
    model: 'pose',
    protocol: 'coco',
    iou_type: 'keypoints',
    iou: 0.5,
    params: {},
    created_at: '2026-11-23T00:00:00Z',
    latest: true,
    stale: false,
    edited_since: false,
    stats: { AP: 0.5 }
  },
  {
    key: 'pose--coco-iou0.5',
    model: 'pose',
    protocol: 'coco',
    iou_type: 'bbox',
    iou: 0.5,
    params: {},
    created_at: '2026-11-22T00:00:00Z',
    latest: false,
    stale: true,
    edited_since: true,
    stats: { AP: 0.4 }
  }
];

/** The job result of a classification model (see classification.py). */
const CLASSIFICATION = {
  kind: 'classification',
  dataset: 'people',
  model: 'pose',
  images: 2,
  accuracy: 0.5,
  top5: null,
  top_k_images: 0,
  per_class: [
    { class: EVIL, precision: 1, recall: 0.5, f1: 2 / 3, support: 2 }
  ],
  confusion: {
    labels: [EVIL, 'rose'],
    matrix: [
      [1, 1],
      [0, 0]
    ]
  },
  calibration: { ece: 0.25, bins: 15, images: 2 },
  counts: { images: 2 },
  warnings: []
};

/** A model whose client records the evaluation requests it is sent. */
function fakeModel(): IVisionLensModel & { requests: IEvaluationRequest[] } {
  const requests: IEvaluationRequest[] = [];
  const owner = {};
  const job: IJob = wireJob({ id: 'j1', kind: 'evaluate', progress: 0 });
  const model = {
    requests,
    evalKey: null as string | null,
    setEvalKey: (key: string | null) => {
      model.evalKey = key;
    },
    dataset: 'people',
    currentInfo: { models: [{ name: 'pose', num_predictions: 2 }] },
    datasetChanged: new Signal(owner),
    datasetsChanged: new Signal(owner),
    dataChanged: new Signal(owner),
    notifyDataChanged: () => undefined,
    client: {
      listEvaluations: async () => SUMMARIES,
      getEvaluation: async () => new Promise(() => undefined),
      startEvaluation: async (_: string, request: IEvaluationRequest) => {
        requests.push(request);
        return job;
      },
      waitForJob: async () => ({
        ...job,
        status: 'done',
        result: CLASSIFICATION
      })
    }
  };
  return model as unknown as IVisionLensModel & {
    requests: IEvaluationRequest[];
  };
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

function field<T extends HTMLElement>(
  panel: EvaluationPanel,
  label: string
): T {
  return panel.node.querySelector(`[aria-label="${label}"]`) as T;
}

function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event('change'));
}

function evaluate(panel: EvaluationPanel): void {
  (
    Array.from(panel.node.querySelectorAll('button')).find(
      b => b.textContent === 'Evaluate'
    ) as HTMLButtonElement
  ).click();
}

const status = (panel: EvaluationPanel) =>
  panel.node.querySelector('.jp-VisionLens-evalStatus')?.textContent;

describe('EvaluationPanel', () => {
  it('labels the evaluations with their iou type', async () => {
    const panel = new EvaluationPanel(fakeModel());
    await flush();
    const options = Array.from(
      field<HTMLSelectElement>(panel, 'Report').options
    ).map(o => o.textContent);
    expect(options).toEqual([
      'pose · COCO keypoints @0.5',
      'pose · COCO bbox @0.5 (stale)'
    ]);
  });

  it('offers sigmas for keypoints only and COCO only beyond boxes', async () => {
    const panel = new EvaluationPanel(fakeModel());
    await flush();
    const iouType = field<HTMLSelectElement>(panel, 'IoU type');
    const protocol = field<HTMLSelectElement>(panel, 'Protocol');
    const sigmas = field<HTMLInputElement>(panel, 'OKS sigmas');
    expect(Array.from(iouType.options).map(o => o.value)).toEqual([
      'bbox',
      'rotated',
      'segm',
      'keypoints'
    ]);
    expect((sigmas.parentElement as HTMLElement).hidden).toBe(true);
    choose(protocol, 'voc');
    choose(iouType, 'keypoints');
    expect((sigmas.parentElement as HTMLElement).hidden).toBe(false);
    expect(protocol.value).toBe('coco');
    expect(protocol.disabled).toBe(true);
    choose(iouType, 'bbox');
    expect(protocol.disabled).toBe(false);
  });

  it("offers only the iou types of the chosen model's labels", async () => {
    const model = fakeModel();
    const types = (masks: number, keypoints: number, cls: number) => ({
      boxes: cls ? 0 : 4,
      masks,
      keypoints,
      classifications: cls
    });
    const models = [
      { name: 'det', num_predictions: 4, label_types: types(4, 0, 0) },
      { name: 'cls', num_predictions: 3, label_types: types(0, 0, 3) }
    ];
    // the listing has no label types: the panel reads them from the detail
    (model as { currentInfo: unknown }).currentInfo = {
      models: models.map(({ name, num_predictions }) => ({
        name,
        num_predictions
      }))
    };
    (model.client as { getDataset: unknown }).getDataset = async () => ({
      models
    });
    const panel = new EvaluationPanel(model);
    await flush();
    const iouType = field<HTMLSelectElement>(panel, 'IoU type');
    const options = () => Array.from(iouType.options).map(o => o.value);
    expect(options()).toEqual(['bbox', 'segm']);
    const hidden = (label: string) =>
      (field<HTMLElement>(panel, label).parentElement as HTMLElement).hidden;
    expect([hidden('Protocol'), hidden('IoU')]).toEqual([false, false]);
    choose(field<HTMLSelectElement>(panel, 'Model'), 'cls');
    expect(options()).toEqual(['classification']);
    // a classifier is scored per image: no protocol, no IoU
    expect([hidden('Protocol'), hidden('IoU')]).toEqual([true, true]);
    evaluate(panel);
    await flush();
    await flush();
    expect(model.requests).toEqual([
      { model: 'cls', protocol: 'coco', iou: 0.5, plus_one: false }
    ]);
  });

  it('refuses bad sigmas before asking the server', async () => {
    const model = fakeModel();
    const panel = new EvaluationPanel(model);
    await flush();
    choose(field<HTMLSelectElement>(panel, 'IoU type'), 'keypoints');
    field<HTMLInputElement>(panel, 'OKS sigmas').value = '0.1, -1';
    evaluate(panel);
    await flush();
    expect(model.requests).toEqual([]);
    expect(status(panel)).toContain('"-1" is not a positive number');
  });

  it('sends the iou type and sigmas, and shows a classification result', async () => {
    const model = fakeModel();
    const panel = new EvaluationPanel(model);
    await flush();
    choose(field<HTMLSelectElement>(panel, 'IoU type'), 'keypoints');
    field<HTMLInputElement>(panel, 'OKS sigmas').value = '0.1, 0.2';
    evaluate(panel);
    await flush();
    await flush();
    expect(model.requests).toEqual([
      {
        model: 'pose',
        protocol: 'coco',
        iou: 0.5,
        plus_one: false,
        iou_type: 'keypoints',
        sigmas: [0.1, 0.2]
      }
    ]);
    const view = panel.node.querySelector('.jp-VisionLens-evalClassification');
    expect(view).not.toBeNull();
    expect(view?.querySelector('b')).toBeNull();
    expect(view?.textContent).toContain(EVIL);
    expect(view?.textContent).toContain('0.250');
    // The report picked next replaces it: one report at a time.
    choose(field<HTMLSelectElement>(panel, 'Report'), 'pose--coco-iou0.5');
    await flush();
    expect(
      panel.node.querySelector('.jp-VisionLens-evalClassification')
    ).toBeNull();
  });

  it('makes the report on screen the one that colours TP/FP/FN', async () => {
    const model = fakeModel();
    const panel = new EvaluationPanel(model);
    await flush();
    expect(model.evalKey).toBe('pose--coco-keypoints-iou0.5');
    choose(field<HTMLSelectElement>(panel, 'Report'), 'pose--coco-iou0.5');
    await flush();
    expect(model.evalKey).toBe('pose--coco-iou0.5');
  });
});
