/**
 * The sample stage: which drags pan, and which sample's labels it says it
 * drew (`data-labels-of` on its canvas, read by the video playback benchmark
 * to check that the labels shown are those of the frame shown).
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { LabelTypeToggles } from '../../../model/labels';
import { VisionLensModel } from '../../../model/model';
import { wireBox, wireSample } from '../../../__tests__/wireSample';
import { SampleStage } from '../SampleStage';
import { startsPan } from '../stagePointer';

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
    const model = new VisionLensModel({
      client: new VisionLensClient(ServerConnection.makeSettings()),
      state: null,
      saveDelay: 0
    });
    const stage = new SampleStage(model, new LabelTypeToggles());
    const canvas = stage.node.querySelector<HTMLElement>(
      '.jp-VisionLens-canvas'
    )!;
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
});
