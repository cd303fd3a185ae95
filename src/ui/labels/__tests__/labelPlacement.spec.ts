import { GROUND_TRUTH, IAnnotation } from '../../../model/tokens';
import { LabelPlacer, overlaps, Rect } from '../labelPlacement';
import { labelRenderers } from '../registry';
import { createLabelLayers, drawSampleLabels } from '../sampleLabels';
import { wireBox } from '../../../__tests__/wireSample';

describe('label placement', () => {
  it('puts the label above its box, and a second one on the same box elsewhere', () => {
    const placer = new LabelPlacer(200, 200, 10);
    const box: Rect = [50, 60, 40, 30];
    expect(placer.place(box, 'cat')).toEqual({ x: 50, y: 48 });
    const second = placer.place(box, 'cat 0.91');
    expect(second).toEqual({ x: 50, y: 90 }); // under the box
    expect(overlaps(placer.placed[0], placer.placed[1])).toBe(false);
  });

  it('keeps labels inside the image and apart, however crowded', () => {
    const placer = new LabelPlacer(120, 100, 10);
    for (let i = 0; i < 8; i++) {
      placer.place([100, 0, 20, 15], `label ${i}`);
    }
    const rects = placer.placed;
    for (const [x, y, w, h] of rects) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(120 + 1e-9);
      expect(y + h).toBeLessThanOrEqual(100 + 1e-9);
    }
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        expect(overlaps(rects[i], rects[j])).toBe(false);
      }
    }
  });

  it('draws a ground-truth box and its prediction with labels that do not cover each other', () => {
    const ann = (source: string, score: number | null): IAnnotation =>
      wireBox({
        ann_id: 1,
        source,
        label: 'dog',
        bbox: [20, 30, 50, 40],
        score
      });
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    // The prediction first: ground truth still gets the place above the box.
    labelRenderers.draw(
      svg,
      { isBoxVisible: () => true, classColor: () => '#123456' },
      200,
      200,
      [ann('model', 0.8), ann(GROUND_TRUTH, null)],
      { displaySize: 200, labels: true }
    );
    const texts = [...svg.querySelectorAll('text')].map(t => [
      t.textContent,
      Number(t.getAttribute('y'))
    ]);
    const gt = texts.find(([text]) => text === 'dog')![1] as number;
    const pred = texts.find(([text]) => text === 'dog 0.80')![1] as number;
    expect(gt).toBeLessThan(30);
    expect(pred).toBeGreaterThan(70);
  });
});

describe('the labels a view draws', () => {
  it('leaves out the objects a filtered page marks as not matching, when asked', () => {
    jest
      .spyOn(HTMLCanvasElement.prototype, 'getContext')
      .mockImplementation(() => null);
    const box = (ann_id: number, match?: boolean): IAnnotation =>
      wireBox({
        ann_id,
        source: GROUND_TRUTH,
        label: 'cat',
        bbox: [1, 1, 10, 10],
        ...(match === undefined ? {} : { match })
      });
    const sample = {
      sample_id: 1,
      file_name: 'a.jpg',
      width: 50,
      height: 50,
      split: null,
      source_image_id: null,
      tags: [],
      annotations: [box(1, true), box(2, false), box(3)],
      classifications: []
    } as never;
    const style = { isBoxVisible: () => true, classColor: () => '#123456' };
    const draw = (onlyMatching: boolean) =>
      drawSampleLabels(createLabelLayers(), style, sample, {
        displaySize: 50,
        shown: new Set(['boxes']),
        keypointClasses: new Map(),
        layout: { cssWidth: 50, cssHeight: 50, pixelRatio: 1 },
        compact: true,
        maskStep: 1,
        onMaskReady: null,
        onlyMatching
      }).boxes;
    expect(draw(true)).toBe(2); // a page without label conditions says nothing: drawn
    expect(draw(false)).toBe(3);
    jest.restoreAllMocks();
  });
});
