/**
 * Pure parts of the search and duplicates views: Python reprs, the notebook
 * calls, ranking order, the model picker's labels and requests.
 */
import {
  describeQuery,
  duplicatesCode,
  orderByRanking,
  pyFloat,
  pyNumber,
  pyRepr,
  pyString,
  searchCode,
  snippet,
  textModelsHint
} from '../similarity';
import { ISample } from '../../api/types';
import {
  describeModel,
  embedRequestOf
} from '../../features/similarity/EmbedDialog';
import { wireSample } from '../../__tests__/wireSample';

function sample(id: number): ISample {
  return wireSample({ sample_id: id, width: 1, height: 1 });
}

describe('Python reprs', () => {
  it('quotes strings as Python does', () => {
    expect(pyString('cat')).toBe("'cat'");
    expect(pyString("it's")).toBe('"it\'s"');
    expect(pyString('both \' and "')).toBe("'both \\' and \"'");
    expect(pyString('a\\b\nc\td\u0001')).toBe("'a\\\\b\\nc\\td\\x01'");
    expect(pyString('café ☕')).toBe("'café ☕'");
  });

  it('prints numbers as Python prints the parsed JSON', () => {
    expect(pyNumber(3)).toBe('3');
    expect(pyNumber(-0.25)).toBe('-0.25');
    expect(pyNumber(0.0001)).toBe('0.0001');
    expect(pyNumber(0.00001)).toBe('1e-05');
    expect(pyNumber(1.5e-7)).toBe('1.5e-07');
    expect(pyNumber(1.5e16)).toBe('1.5e+16');
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(0.95)).toBe('0.95');
    expect(() => pyNumber(NaN)).toThrow();
  });

  it('prints JSON containers, booleans and null', () => {
    expect(
      pyRepr({ sample: { split: { in: ['val'] } }, ok: true, no: null })
    ).toBe("{'sample': {'split': {'in': ['val']}}, 'ok': True, 'no': None}");
    expect(pyRepr([1, false, 'x', []])).toBe("[1, False, 'x', []]");
    expect(pyRepr({ gone: undefined, kept: 1 })).toBe("{'kept': 1}");
  });
});

describe('reproducing code', () => {
  it('writes the search call of each kind of query', () => {
    expect(searchCode('d', { like: 7 }, {})).toBe(
      "vl.dataset('d').search(like=7)"
    );
    expect(searchCode('d', { text: 'a dog', k: 10 }, null)).toBe(
      "vl.dataset('d').search(text='a dog', k=10)"
    );
    expect(
      searchCode('d', { image: 'AAAA', model: 'ViT-B-32' }, { ids: [1, 2] })
    ).toBe(
      "vl.dataset('d').search(like='path/to/query.jpg', filter={'ids': [1, 2]}, model='ViT-B-32')"
    );
  });

  it('writes the duplicates call and a runnable snippet', () => {
    expect(duplicatesCode("o'k", 0.9)).toBe(
      'vl.dataset("o\'k").duplicates(threshold=0.9)'
    );
    expect(duplicatesCode('d', 1, true, 'm')).toBe(
      "vl.dataset('d').duplicates(threshold=1.0, exact=True, model='m')"
    );
    expect(snippet('x()')).toBe('import visionlens_jlab as vl\nx()');
  });

  it('names queries for the chip', () => {
    expect(describeQuery({ like: 3 })).toBe('Similar to sample 3');
    expect(describeQuery({ text: 'cat' })).toBe('Matching “cat”');
    expect(describeQuery({ image: 'AAAA' })).toBe(
      'Similar to the uploaded image'
    );
  });
});

describe('ranking order', () => {
  it('puts a page fetched by id in the ranking’s order, null for missing ids', () => {
    const got = orderByRanking([5, 2, 9, 1], [sample(1), sample(2), sample(5)]);
    expect(got.map(s => s?.sample_id ?? null)).toEqual([5, 2, null, 1]);
  });
});

describe('the model picker', () => {
  const base = {
    dim: 512,
    source: 'open_clip',
    available_offline: true,
    text: true,
    default: false
  };

  it('labels models with dimension, text support, weights and default', () => {
    expect(
      describeModel({
        ...base,
        name: 'ViT-B-32',
        pretrained: 'laion2b_s34b_b79k',
        available_offline: false,
        default: true
      })
    ).toBe(
      'ViT-B-32 (laion2b_s34b_b79k) · 512-d · text search · weights not on this machine · default'
    );
    expect(
      describeModel({
        ...base,
        name: 'builtin-color-gradient',
        pretrained: null,
        dim: 448,
        text: false
      })
    ).toBe('builtin-color-gradient · 448-d · no text search');
  });

  it('sends a tag as ARCH:TAG and a checkpoint path as the checkpoint', () => {
    expect(
      embedRequestOf({ ...base, name: 'ViT-B-32', pretrained: 'tag' })
    ).toEqual({
      model: 'ViT-B-32:tag'
    });
    expect(
      embedRequestOf({ ...base, name: 'tiny', pretrained: '/ckpt/tiny' })
    ).toEqual({ model: 'tiny', checkpoint: '/ckpt/tiny' });
    expect(
      embedRequestOf({
        ...base,
        name: 'builtin-color-gradient',
        pretrained: null
      })
    ).toEqual({ model: 'builtin-color-gradient' });
  });
});

describe('textModelsHint', () => {
  const row = (name: string, text: boolean, here: boolean) => ({
    name,
    pretrained: null,
    dim: 512,
    source: 'test',
    available_offline: here,
    text,
    default: false
  });

  it('names only the models with text search that are on this machine', () => {
    const hint = textModelsHint([
      row('builtin-color-gradient', false, true),
      row('my-clip', true, true),
      row('ViT-B-32', true, false)
    ]);
    expect(hint).toBe(
      'Models with text search on this machine: my-clip (Embed… computes their vectors).'
    );
  });

  it('says when there is none', () => {
    expect(textModelsHint([row('ViT-B-32', true, false)])).toBe(
      'No model with text search is on this machine (Embed… lists the models here).'
    );
  });
});
