import {
  ISelectionForm,
  scoreBars,
  selectionRequest,
  settingLines,
  strategyWord,
  tagList,
  targetShares
} from '../format';
import { MAX_ROWS, renderSelectionDetail } from '../SelectionDetail';
import { ISelectionRecord } from '../../../api/selectionTypes';

const EVIL = '<img src=x onerror="window.__pwned=1">';

function form(over: Partial<ISelectionForm> = {}): ISelectionForm {
  return {
    count: '5',
    strategies: [{ word: 'diversity', weight: '1' }],
    filter: {},
    space: '',
    excludeTags: '',
    excludeLabelled: false,
    tag: '',
    seed: '',
    referenceTag: '',
    balanceField: '',
    balanceTarget: '',
    models: '',
    ...over
  };
}

function record(): ISelectionRecord {
  return {
    id: 7,
    dataset: 'd',
    created: '2026-01-02T03:04:05Z',
    strategies: [
      { name: 'diversity', weight: 1 },
      { name: 'uncertainty', weight: 2 }
    ],
    filter: { split: 'val' },
    options: { exclude_tags: ['sent'], candidates: 40 },
    space: 'clip',
    seed: 3,
    count: 2,
    chosen: 2,
    tag: EVIL,
    seconds: 1.25,
    rows: [
      {
        sample_id: 11,
        rank: 0,
        score: 1.5,
        scores: { diversity: 0.5, uncertainty: 1 }
      },
      { sample_id: 12, rank: 1, score: 0, scores: { diversity: 0 } }
    ]
  };
}

describe('strategy words', () => {
  it('leaves a weight of 1 out and keeps any other as typed', () => {
    expect(strategyWord({ word: 'diversity', weight: '1' })).toBe('diversity');
    expect(strategyWord({ word: 'diversity', weight: '' })).toBe('diversity');
    expect(strategyWord({ word: 'margin', weight: '2.5' })).toBe('margin:2.5');
    // a bad weight goes to the server, whose 400 names it
    expect(strategyWord({ word: 'margin', weight: '-1' })).toBe('margin:-1');
  });

  it('splits a tag list on commas, trimmed, empty ones dropped', () => {
    expect(tagList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(tagList('')).toEqual([]);
  });
});

describe('selectionRequest', () => {
  it('sends only what was set: the server defaults the rest', () => {
    expect(selectionRequest(form())).toEqual({
      count: 5,
      strategies: ['diversity']
    });
  });

  it('takes the view filter, weights and every option of the form', () => {
    const filter = { tags: { none: ['x'] } };
    expect(
      selectionRequest(
        form({
          count: '3',
          strategies: [
            { word: 'diversity', weight: '1' },
            { word: 'similar', weight: '0.5' }
          ],
          filter,
          space: 'clip',
          excludeTags: 'sent, done',
          excludeLabelled: true,
          tag: ' next ',
          seed: '4',
          referenceTag: 'hard',
          balanceField: ' split ',
          balanceTarget: 'train:1, val:2',
          models: 'a, b'
        })
      )
    ).toEqual({
      count: 3,
      strategies: ['diversity', 'similar:0.5'],
      filter,
      space: 'clip',
      exclude_tags: ['sent', 'done'],
      exclude_labelled: true,
      tag: 'next',
      seed: 4,
      reference_tag: 'hard',
      balance_field: 'split',
      balance_target: { train: 1, val: 2 },
      models: ['a', 'b']
    });
  });

  it('says why a form cannot be sent', () => {
    expect(selectionRequest(form({ count: '0' }))).toMatch(/K must/);
    expect(selectionRequest(form({ count: '2.5' }))).toMatch(/K must/);
    expect(selectionRequest(form({ strategies: [] }))).toMatch(/strategy/);
    expect(selectionRequest(form({ seed: '-1' }))).toMatch(/seed/);
    expect(selectionRequest(form({ balanceTarget: 'cat' }))).toMatch(
      /"cat" is not value:share/
    );
  });
});

describe('targetShares', () => {
  it('reads value:share pairs; a value may hold a colon', () => {
    expect(targetShares('cat:2, dog:0,a:b:1')).toEqual({
      cat: 2,
      dog: 0,
      'a:b': 1
    });
  });

  it('says what it cannot read', () => {
    expect(targetShares('cat:-1')).toMatch(/at least 0/);
    expect(targetShares(':1')).toMatch(/not value:share/);
    expect(targetShares('cat:x')).toMatch(/not value:share/);
    expect(targetShares('cat:1, cat:2')).toMatch(/given twice/);
    expect(targetShares('cat:0')).toMatch(/above 0/);
  });
});

describe('scoreBars', () => {
  it("gives each strategy its share of the row's score, in the record's order", () => {
    const row = record().rows![0];
    expect(scoreBars(row, ['uncertainty', 'diversity'])).toEqual([
      { word: 'uncertainty', value: 1, percent: (100 * 1) / 1.5 },
      { word: 'diversity', value: 0.5, percent: (100 * 0.5) / 1.5 }
    ]);
  });

  it('gives no width to a score of 0 or less, and none at all to a zero row', () => {
    const row = { sample_id: 1, rank: 0, score: 1, scores: { a: 1, b: -0.5 } };
    expect(scoreBars(row, ['a', 'b']).map(b => b.percent)).toEqual([100, 0]);
    const zero = { sample_id: 1, rank: 0, score: 0, scores: { a: 0 } };
    expect(scoreBars(zero, ['a'])[0].percent).toBe(0);
  });

  it('shows a strategy the order does not name after the named ones', () => {
    const row = { sample_id: 1, rank: 0, score: 2, scores: { b: 1, a: 1 } };
    expect(scoreBars(row, ['a']).map(b => b.word)).toEqual(['a', 'b']);
  });
});

describe('the detail', () => {
  it('lists the settings', () => {
    const lines = new Map(settingLines(record()));
    expect(lines.get('Strategies')).toBe('diversity, uncertainty:2');
    expect(lines.get('From')).toBe('{"split":"val"}');
    expect(lines.get('Space')).toBe('clip');
    expect(lines.get('Chosen')).toBe('2 of 2 asked (40 candidates)');
    expect(lines.get('Excluded tags')).toBe('sent');
    expect(lines.get('Seconds')).toBe('1.3');
    expect(lines.has('Balance')).toBe(false);
    const balanced = record();
    balanced.strategies = [{ name: 'balance', weight: 1 }];
    balanced.options = { balance_field: 'split', balance_target: { val: 2 } };
    expect(new Map(settingLines(balanced)).get('Balance')).toBe('split: val:2');
    balanced.options = { models: ['m1', 'm2'] };
    const equal = new Map(settingLines(balanced));
    expect(equal.get('Balance')).toBe('class: equal shares');
    expect(equal.get('Models')).toBe('m1, m2');
  });

  it('renders dataset text as text, the rows with their names and bars', () => {
    const into = document.createElement('div');
    const opened: number[] = [];
    const shown: string[] = [];
    renderSelectionDetail(into, record(), new Map([[11, EVIL]]), {
      showInGrid: r => shown.push(r.tag),
      showOnMap: () => undefined,
      exportView: r => shown.push(`export ${r.id}`),
      labelStudio: r => shown.push(`ls ${r.id}`),
      openSample: (_, id) => opened.push(id)
    });
    expect(into.querySelector('img')).toBeNull();
    const rows = into.querySelectorAll<HTMLElement>('.jp-VisionLens-selRow');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain(`11 · ${EVIL}`);
    expect(rows[1].querySelector('.jp-VisionLens-selName')!.textContent).toBe(
      '12'
    );
    const parts = rows[0].querySelectorAll<HTMLElement>(
      '.jp-VisionLens-selBarPart'
    );
    expect([...parts].map(p => p.dataset.strategy)).toEqual([
      'diversity',
      'uncertainty'
    ]);
    expect(parts[1].style.width).toBe(`${(100 * 1) / 1.5}%`);
    rows[1].click();
    expect(opened).toEqual([12]);
    into.querySelector<HTMLElement>('.jp-VisionLens-selShowGrid')!.click();
    into.querySelector<HTMLElement>('.jp-VisionLens-selExport')!.click();
    into.querySelector<HTMLElement>('.jp-VisionLens-selLabelStudio')!.click();
    expect(shown).toEqual([EVIL, 'export 7', 'ls 7']);
  });

  it('lists the first MAX_ROWS rows and says how many there are', () => {
    const many = record();
    many.rows = Array.from({ length: MAX_ROWS + 1 }, (_, i) => ({
      sample_id: i,
      rank: i,
      score: 1,
      scores: { diversity: 1 }
    }));
    const into = document.createElement('div');
    const none = () => undefined;
    renderSelectionDetail(into, many, new Map(), {
      showInGrid: none,
      showOnMap: none,
      exportView: none,
      labelStudio: none,
      openSample: none
    });
    expect(into.querySelectorAll('.jp-VisionLens-selRow')).toHaveLength(
      MAX_ROWS
    );
    expect(into.querySelector('.jp-VisionLens-selMore')!.textContent).toBe(
      `The first 500 of 501 rows: "Show in grid" shows them all.`
    );
  });
});
