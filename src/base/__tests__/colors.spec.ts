import { classColor, classHsl, hashString } from '../colors';

describe('class colours', () => {
  it('hashes deterministically (pinned values)', () => {
    // Pinned: a change here changes every colour users already know.
    expect([hashString('person'), hashString('dog'), hashString('')]).toEqual([
      4126741864, 3972324758, 1572119809
    ]);
    expect(hashString('person')).not.toBe(hashString('persoN'));
    expect(
      ['person', 'car', 'dog', 'traffic light'].map(c => classColor(c))
    ).toEqual([
      'hsl(304, 81%, 51%)',
      'hsl(269, 89%, 45%)',
      'hsl(158, 81%, 45%)',
      'hsl(207, 73%, 45%)'
    ]);
  });

  it('gives valid HSL in the readable range', () => {
    for (const name of ['a', 'b', 'person', 'car', '猫', 'x'.repeat(300)]) {
      const [h, s, l] = classHsl(name);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(360);
      expect(s).toBeGreaterThanOrEqual(65);
      expect(s).toBeLessThanOrEqual(89);
      expect(l).toBeGreaterThanOrEqual(45);
      expect(l).toBeLessThanOrEqual(57);
      expect(classColor(name)).toBe(`hsl(${h}, ${s}%, ${l}%)`);
    }
  });

  it('spreads the 80 COCO-like names over many hues', () => {
    const names = Array.from({ length: 80 }, (_, i) => `class_${i}`);
    const hues = new Set(names.map(n => Math.floor(classHsl(n)[0] / 10)));
    // 36 buckets of 10 degrees: a poor hash would cluster in a few.
    expect(hues.size).toBeGreaterThan(25);
  });

  it('prefers overrides from the settings', () => {
    expect(classColor('person', { person: '#ff0000' })).toBe('#ff0000');
    expect(classColor('dog', { person: '#ff0000' })).toBe(classColor('dog'));
    expect(classColor('dog', null)).toBe(classColor('dog'));
  });
});
