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
});
