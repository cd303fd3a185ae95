/**
 * Hostile dataset text (issue #33): `constructor`, `__proto__` and `toString`
 * as class, field and tag names, and bidi controls in file names.
 */
import { classColor } from '../base/colors';
import { ownValue, visibleText } from '../base/dataText';
import { h, sampleField } from '../base/dom';
import { metricLabel } from '../features/blindspots/format';

const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

describe('data-derived keys', () => {
  it('class colours are colours for Object.prototype member names', () => {
    // settings arrive as parsed JSON: a plain object with a prototype
    const overrides = JSON.parse('{"person": "#ff0000"}');
    for (const name of PROTO_NAMES) {
      expect(classColor(name, overrides)).toMatch(/^hsl\(\d+, \d+%, \d+%\)$/);
      expect(classColor(name, {})).toBe(classColor(name));
    }
    expect(classColor('person', overrides)).toBe('#ff0000');
    const own = JSON.parse(
      '{"constructor": "#00ff00", "__proto__": "#0000ff"}'
    );
    expect(classColor('constructor', own)).toBe('#00ff00');
    expect(classColor('__proto__', own)).toBe('#0000ff');
  });

  it('reads only own properties', () => {
    const record: { [key: string]: number } = { a: 1 };
    for (const name of PROTO_NAMES) {
      expect(ownValue(record, name)).toBeUndefined();
    }
    expect(ownValue(record, 'a')).toBe(1);
    expect(ownValue(null, 'a')).toBeUndefined();
  });

  it('sample fields named like Object.prototype members', () => {
    const sample = { split: 'train', fields: JSON.parse('{"toString": "x"}') };
    expect(sampleField(sample, 'fields.toString')).toBe('x');
    expect(sampleField(sample, 'fields.constructor')).toBeUndefined();
    expect(sampleField(sample, 'fields.__proto__')).toBeUndefined();
    expect(sampleField(sample, 'constructor')).toBeUndefined();
  });

  it('metric labels of unknown metrics are the names themselves', () => {
    expect(metricLabel('constructor')).toBe('constructor');
    expect(metricLabel('toString')).toBe('toString');
  });
});

describe('bidi controls in names', () => {
  it('are shown escaped', () => {
    expect(visibleText('invoice\u202Egnp.exe.jpg')).toBe(
      'invoice[U+202E]gnp.exe.jpg'
    );
    const every =
      '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C';
    expect(visibleText(every)).toBe(
      [
        '202A',
        '202B',
        '202C',
        '202D',
        '202E',
        '2066',
        '2067',
        '2068',
        '2069',
        '200E',
        '200F',
        '061C'
      ]
        .map(c => `[U+${c}]`)
        .join('')
    );
    expect(visibleText('nul\u0000name.jpg')).toBe('nul[U+0000]name.jpg');
    expect(visibleText('plain name, ünïcödé, 日本語\ttab')).toBe(
      'plain name, ünïcödé, 日本語\ttab'
    );
  });

  it('are escaped in every element the DOM helper makes', () => {
    const el = h(
      'div',
      { text: 'cat\u202Egod', title: 'a\u2066b' },
      'x\u200Fy'
    );
    expect(el.textContent).toBe('cat[U+202E]godx[U+200F]y');
    expect(el.title).toBe('a[U+2066]b');
  });
});
