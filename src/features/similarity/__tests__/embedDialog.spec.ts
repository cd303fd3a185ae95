/**
 * The "Compute embeddings" picker: the frames choice is offered for a
 * dataset of videos only, and its request carries it as the server reads it.
 */
import { embedRequest, ModelPicker } from '../EmbedDialog';

const MODELS = [
  {
    name: 'builtin-color-gradient',
    pretrained: null,
    dim: 448,
    source: 'builtin',
    available_offline: true,
    text: false,
    default: true
  }
];

describe('ModelPicker', () => {
  it('offers no frames choice for still images, and sends none', () => {
    const picker = new ModelPicker('d', MODELS);
    expect(picker.node.querySelector('.jp-VisionLens-embedFrames')).toBeNull();
    expect(embedRequest(picker.getValue(), MODELS)).toEqual({
      model: 'builtin-color-gradient'
    });
    picker.dispose();
  });

  it("sends a video dataset's frames, the number enabled only where one is taken", () => {
    const picker = new ModelPicker('d', MODELS, true);
    const frames = picker.node.querySelector(
      '.jp-VisionLens-embedFrames'
    ) as HTMLSelectElement;
    const value = picker.node.querySelector(
      '.jp-VisionLens-embedFramesValue'
    ) as HTMLInputElement;
    expect([...frames.options].map(o => o.value)).toEqual([
      'all',
      'every',
      'fps',
      'scenes'
    ]);
    expect(value.disabled).toBe(true);
    expect(embedRequest(picker.getValue(), MODELS)).toEqual({
      model: 'builtin-color-gradient',
      frames: 'all'
    });
    const choose = (mode: string, typed: string) => {
      frames.value = mode;
      frames.dispatchEvent(new Event('change'));
      value.value = typed;
      return embedRequest(picker.getValue(), MODELS).frames;
    };
    expect(choose('every', '3')).toBe('every:3');
    expect(value.disabled).toBe(false);
    expect(choose('fps', '0.5')).toBe('fps:0.5');
    expect(choose('scenes', '')).toBe('scenes');
    expect(choose('scenes', '20')).toBe('scenes:20');
    expect(() => choose('fps', '0')).toThrow('R is a number above 0');
    expect(choose('all', '')).toBe('all');
    expect(value.disabled).toBe(true);
    picker.dispose();
  });
});
