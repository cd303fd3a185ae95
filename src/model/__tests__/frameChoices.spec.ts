/**
 * The `frames` option of the export and model jobs on videos
 * (`model/frameChoices.ts`): each choice as the server reads it, and the
 * numbers it refuses said before the request leaves.
 */
import { framesOption, takesNumber } from '../frameChoices';

describe('framesOption', () => {
  it('writes each choice as the server reads it', () => {
    expect(framesOption('labelled', '7')).toBe('labelled');
    expect(framesOption('all', 'ignored')).toBe('all');
    expect(framesOption('every', ' 5 ')).toBe('every:5');
    expect(framesOption('every', '1')).toBe('every:1');
    expect(framesOption('fps', '0.5')).toBe('fps:0.5');
    expect(framesOption('fps', '2')).toBe('fps:2');
    expect(framesOption('scenes', '')).toBe('scenes');
    expect(framesOption('scenes', '0')).toBe('scenes:0');
    expect(framesOption('scenes', '12.5')).toBe('scenes:12.5');
  });

  it('says what to type for a number the server would refuse', () => {
    for (const k of ['', '0', '-2', '2.5', 'ten', '1e400']) {
      expect(() => framesOption('every', k)).toThrow(
        'K is a whole number, 1 or more'
      );
    }
    for (const r of ['', '0', '-1', 'x', 'Infinity']) {
      expect(() => framesOption('fps', r)).toThrow('R is a number above 0');
    }
    for (const t of ['-1', 'x', 'Infinity']) {
      expect(() => framesOption('scenes', t)).toThrow(
        'the threshold T is a number, 0 or more'
      );
    }
  });

  it('knows which choices take the number', () => {
    expect(
      ['labelled', 'all', 'every', 'fps', 'scenes'].map(m =>
        takesNumber(m as Parameters<typeof takesNumber>[0])
      )
    ).toEqual([false, false, true, true, true]);
  });
});
