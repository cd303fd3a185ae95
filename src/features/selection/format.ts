/**
 * The selection panel's pure parts: the strategy words offered, the form's
 * values as the request body, a record's settings as lines and a chosen
 * row's score as bars (one per strategy, its share of the total).
 */
import { IFilter } from '../../api/types';
import {
  ISelectionRecord,
  ISelectionRequest,
  ISelectionRow
} from '../../api/selectionTypes';
import { fmtDate, fmtInt } from '../../base/dom';

/**
 * The strategy words the server takes (visionlens_jlab/select/request.py,
 * `WORDS`), with what each prefers: the panel's checkboxes and their tips.
 */
export const STRATEGIES: readonly { word: string; tip: string }[] = [
  { word: 'diversity', tip: 'far from everything chosen (k-center greedy)' },
  { word: 'typicality', tip: 'dense regions first (TypiClust)' },
  { word: 'coverage', tip: 'cover the most uncovered neighbours (ProbCover)' },
  { word: 'representativeness', tip: 'facility location over the candidates' },
  { word: 'similar', tip: 'close to the samples of the reference tag' },
  { word: 'unlike', tip: 'far from the samples of the reference tag' },
  {
    word: 'balance',
    tip: 'equal shares of the ground-truth classes among the chosen'
  },
  { word: 'uncertainty', tip: "the model's uncertainty" },
  { word: 'entropy', tip: "entropy of the model's class probabilities" },
  { word: 'margin', tip: '1 - (top probability - second probability)' },
  { word: 'disagreement', tip: "how much two models' predictions disagree" },
  { word: 'label_quality', tip: 'suspected label errors first' },
  { word: 'image_quality', tip: 'suspected image problems first' },
  { word: 'random', tip: 'a seeded random order (the reference)' }
];

/** The strategies that compare samples' vectors (they need a space). */
export const VECTOR_STRATEGIES: ReadonlySet<string> = new Set([
  'diversity',
  'typicality',
  'coverage',
  'representativeness',
  'similar',
  'unlike'
]);

/** A strategy ticked in the form, with its weight as typed. */
export interface IStrategyChoice {
  word: string;
  weight: string;
}

/** What the panel's form holds. */
export interface ISelectionForm {
  count: string;
  strategies: readonly IStrategyChoice[];
  filter: IFilter;
  space: string;
  excludeTags: string;
  excludeLabelled: boolean;
  tag: string;
  seed: string;
  referenceTag: string;
  /** Balance over this field ('' : the ground-truth class). */
  balanceField: string;
  /** Target shares as "value:share, ..." ('': equal shares). */
  balanceTarget: string;
  /** Models of the score strategies, comma-separated (two for disagreement). */
  models: string;
}

/**
 * "cat:2, dog:1" as the shares the server takes, or the reason it cannot be
 * read; the value is everything before the last ':', so a value may hold one.
 */
export function targetShares(text: string): Record<string, number> | string {
  const shares: Record<string, number> = {};
  for (const part of tagList(text)) {
    const at = part.lastIndexOf(':');
    const value = at > 0 ? part.slice(0, at).trim() : '';
    const share = at > 0 ? Number(part.slice(at + 1)) : NaN;
    if (!value || !Number.isFinite(share) || share < 0) {
      return `Balance target: "${part}" is not value:share (a share is a number of at least 0).`;
    }
    if (value in shares) {
      return `Balance target: "${value}" is given twice.`;
    }
    shares[value] = share;
  }
  if (!Object.values(shares).some(v => v > 0)) {
    return 'Balance target: give at least one share above 0.';
  }
  return shares;
}

/**
 * A choice as the server's word `name[:weight]`: the weight is left out at
 * 1 (the server's default), kept as typed otherwise so that the server's
 * own check names a bad one.
 */
export function strategyWord(choice: IStrategyChoice): string {
  const weight = choice.weight.trim();
  return weight === '' || Number(weight) === 1
    ? choice.word
    : `${choice.word}:${weight}`;
}

/** A comma-separated list of tags, trimmed, empty ones dropped. */
export function tagList(text: string): string[] {
  return text
    .split(',')
    .map(t => t.trim())
    .filter(t => t !== '');
}

/**
 * The request body of the form, or the reason it cannot be sent. Fields
 * left empty are left out: the server's defaults apply (the newest space, a
 * tag `selected-<id>`, seed 0).
 */
export function selectionRequest(
  form: ISelectionForm
): ISelectionRequest | string {
  const count = Number(form.count);
  if (!Number.isInteger(count) || count < 1) {
    return 'K must be a whole number of at least 1.';
  }
  if (form.strategies.length === 0) {
    return 'Tick at least one strategy.';
  }
  const request: ISelectionRequest = {
    count,
    strategies: form.strategies.map(strategyWord)
  };
  if (Object.keys(form.filter).length > 0) {
    request.filter = form.filter;
  }
  if (form.space) {
    request.space = form.space;
  }
  const exclude = tagList(form.excludeTags);
  if (exclude.length > 0) {
    request.exclude_tags = exclude;
  }
  if (form.excludeLabelled) {
    request.exclude_labelled = true;
  }
  if (form.tag.trim()) {
    request.tag = form.tag.trim();
  }
  if (form.seed.trim()) {
    const seed = Number(form.seed);
    if (!Number.isInteger(seed) || seed < 0) {
      return 'The seed must be a whole number of at least 0.';
    }
    request.seed = seed;
  }
  if (form.referenceTag.trim()) {
    request.reference_tag = form.referenceTag.trim();
  }
  if (form.balanceField.trim()) {
    request.balance_field = form.balanceField.trim();
  }
  if (form.balanceTarget.trim()) {
    const shares = targetShares(form.balanceTarget);
    if (typeof shares === 'string') {
      return shares;
    }
    request.balance_target = shares;
  }
  const models = tagList(form.models);
  if (models.length > 0) {
    request.models = models;
  }
  return request;
}

/** A record's strategies as words: "diversity, uncertainty:2". */
export function strategiesText(record: ISelectionRecord): string {
  return record.strategies
    .map(s => strategyWord({ word: s.name, weight: String(s.weight) }))
    .join(', ');
}

/** A record's settings as [label, text] pairs, in the panel's order. */
export function settingLines(record: ISelectionRecord): [string, string][] {
  const options = record.options as {
    exclude_tags?: string[];
    exclude_labelled?: boolean;
    candidates?: number;
    balance_field?: string;
    balance_target?: Record<string, number> | null;
    models?: string[];
  };
  const filter = record.filter ?? {};
  const lines: [string, string][] = [
    ['Strategies', strategiesText(record)],
    [
      'From',
      Object.keys(filter).length === 0
        ? 'the whole dataset'
        : JSON.stringify(filter)
    ],
    ['Space', record.space ?? '(none: no vector strategy)'],
    ['Seed', String(record.seed)],
    [
      'Chosen',
      `${fmtInt(record.chosen)} of ${fmtInt(record.count)} asked` +
        (options.candidates === undefined
          ? ''
          : ` (${fmtInt(options.candidates)} candidates)`)
    ],
    ['Tag', record.tag],
    ['Seconds', record.seconds.toFixed(1)],
    ['Created', fmtDate(record.created)]
  ];
  if (options.exclude_tags?.length) {
    lines.push(['Excluded tags', options.exclude_tags.join(', ')]);
  }
  if (options.exclude_labelled) {
    lines.push(['Excluded', 'samples with ground-truth labels']);
  }
  if (record.strategies.some(s => s.name === 'balance')) {
    const target = options.balance_target;
    lines.push([
      'Balance',
      `${options.balance_field ?? 'class'}: ` +
        (target
          ? Object.entries(target)
              .map(([value, share]) => `${value}:${share}`)
              .join(', ')
          : 'equal shares')
    ]);
  }
  if (options.models?.length) {
    lines.push(['Models', options.models.join(', ')]);
  }
  return lines;
}

/** One strategy's part of a row's score. */
export interface IScoreBar {
  word: string;
  value: number;
  /** Its width in percent of the row's bar: its share of the total. */
  percent: number;
}

/**
 * A row's per-strategy scores as bars in the record's strategy order; the
 * shares of the positive scores fill the bar (a score of 0 or less has no
 * width: it did not pull the sample in).
 */
export function scoreBars(
  row: ISelectionRow,
  order: readonly string[]
): IScoreBar[] {
  const words = [
    ...order.filter(w => w in row.scores),
    ...Object.keys(row.scores).filter(w => !order.includes(w))
  ];
  const total = words.reduce((sum, w) => sum + Math.max(0, row.scores[w]), 0);
  return words.map(word => {
    const value = row.scores[word];
    return {
      word,
      value,
      percent: total > 0 ? (100 * Math.max(0, value)) / total : 0
    };
  });
}

/** A list entry: "#3 · diversity · 20 chosen · selected-3". */
export function selectionSummary(record: ISelectionRecord): string {
  return `#${record.id} · ${strategiesText(record)} · ${fmtInt(record.chosen)} chosen · ${record.tag}`;
}
