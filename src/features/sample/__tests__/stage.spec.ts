/**
 * The sample stage: which drags pan, and which sample's labels it says it
 * drew (`data-labels-of` on its canvas, read by the video playback benchmark
 * to check that the labels shown are those of the frame shown), and that a new
 * image and its labels appear together.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { LabelTypeToggles } from '../../../model/labels';
import { VisionLensModel } from '../../../model/model';
import { wireBox, wireSample } from '../../../__tests__/wireSample';
import { SampleStage } from '../SampleStage';
import { startsPan } from '../stagePointer';

/** A stage of a model without a server, and its labels' canvas. */
function newStage(): { stage: SampleStage; canvas: HTMLElement } {
  const model = new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
  const stage = new SampleStage(model, new LabelTypeToggles());
  const canvas = stage.node.querySelector<HTMLElement>(
    '.jp-VisionLens-canvas'
  )!;
  return { stage, canvas };
}

describe('the sample stage', () => {
  it('pans with the middle button, with Shift, or with the pan tool only', () => {
    const down = (button: number, shiftKey = false) => ({ button, shiftKey });
    expect(startsPan('select', down(0))).toBe(false);
    expect(startsPan('select', down(0, true))).toBe(true);
    expect(startsPan('select', down(1))).toBe(true);
    expect(startsPan('select', down(2))).toBe(false);
    expect(startsPan('pan', down(0))).toBe(true);
  });

  it('says which sample its labels are drawn for, and none once cleared', () => {
    const { stage, canvas } = newStage();
    const box = wireBox({
      ann_id: 1,
      source: 'ground_truth',
      label: 'car',
      bbox: [10, 20, 30, 40]
    });
    stage.show(wireSample({ sample_id: 7, annotations: [box] }), null);
    expect(canvas.dataset.labelsOf).toBe('7');
    expect(stage.node.querySelectorAll('.jp-VisionLens-box')).toHaveLength(1);
    stage.show(wireSample({ sample_id: 8 }), null);
    expect(canvas.dataset.labelsOf).toBe('8');
    stage.show(null, null);
    expect(canvas.dataset.labelsOf).toBeUndefined();
  });

  it('swaps in a new image only once decoded, with its labels at once', async () => {
    // jsdom loads no image: an Image that is not complete until `decode`
    // resolves stands for the browser's
    const decodes: (() => void)[] = [];
    const real = Object.getOwnPropertyDescriptor(
      HTMLImageElement.prototype,
      'complete'
    );
    const realDecode = Object.getOwnPropertyDescriptor(
      HTMLImageElement.prototype,
      'decode'
    );
    const decoded = new Set<string>();
    Object.defineProperty(HTMLImageElement.prototype, 'complete', {
      configurable: true,
      get(this: HTMLImageElement) {
        return decoded.has(this.src);
      }
    });
    HTMLImageElement.prototype.decode = function (this: HTMLImageElement) {
      return new Promise<void>(resolve =>
        decodes.push(() => {
          decoded.add(this.src);
          resolve();
        })
      );
    };
    try {
      const { stage, canvas } = newStage();
      const img = stage.node.querySelector<HTMLImageElement>('img')!;
      // what names the picture (a video's frame counter) hears of each one drawn
      const shown: (number | null)[] = [];
      stage.shown.connect((_, s) => shown.push(s?.sample_id ?? null));
      stage.show(wireSample({ sample_id: 1 }), null);
      stage.show(wireSample({ sample_id: 2 }), 'http://x/2.jpg');
      stage.show(wireSample({ sample_id: 3 }), 'http://x/3.jpg');
      // neither image is decoded: the stage still shows what it showed
      expect(img.getAttribute('src')).toBeNull();
      expect(canvas.dataset.labelsOf).toBe('1');
      expect(shown).toEqual([1]);
      decodes[0](); // frame 2 decoded, but frame 3 was asked since
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve();
      expect(img.getAttribute('src')).toBeNull();
      expect(canvas.dataset.labelsOf).toBe('1');
      expect(shown).toEqual([1]); // frame 2 is never drawn
      decodes[1]();
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve();
      expect(img.getAttribute('src')).toBe('http://x/3.jpg');
      expect(canvas.dataset.labelsOf).toBe('3');
      expect(shown).toEqual([1, 3]);
      stage.show(null, null);
      expect(shown).toEqual([1, 3, null]);
    } finally {
      if (real) {
        Object.defineProperty(HTMLImageElement.prototype, 'complete', real);
      }
      if (realDecode) {
        Object.defineProperty(HTMLImageElement.prototype, 'decode', realDecode);
      } else {
        delete (HTMLImageElement.prototype as { decode?: unknown }).decode;
      }
    }
  });
});
