/**
 * The versions panel's pure parts: version choices, diff and evaluation rows,
 * and how deltas read (signed, rounded, better or worse).
 */
import { IEvaluationDiff, IVersionDiff } from '../../../model/tokens';
import {
  defaultDiff,
  diffRows,
  evaluationRows,
  evaluationSummary,
  formatDelta,
  formatStat,
  isBetter,
  isKnownRef,
  parseVersionRef,
  trend,
  versionChoiceLabel
} from '../logic';

const version = (n: number, message = '') => ({
  version: n,
  created_at: '2026-01-01T00:00:00',
  message,
  samples: 2,
  annotations: 3,
  seq: 2 * n,
  user: 'someone'
});

describe('version choices', () => {
  it('reads a choice back as a number or current', () => {
    expect(parseVersionRef('3')).toBe(3);
    expect(parseVersionRef('current')).toBe('current');
    expect(parseVersionRef('')).toBe('current');
    expect(parseVersionRef('1.5')).toBe('current');
  });

  it('names a version by number and message', () => {
    expect(versionChoiceLabel(version(2, 'fixed dogs'))).toBe('2 · fixed dogs');
    expect(versionChoiceLabel(version(2))).toBe('2');
    expect(versionChoiceLabel(null)).toBe('Current labels');
  });

  it('compares the latest version with the current labels first', () => {
    expect(defaultDiff([version(1), version(4)])).toEqual({
      from: 4,
      to: 'current'
    });
    expect(defaultDiff([])).toBeNull();
    expect(isKnownRef(4, [version(4)])).toBe(true);
    expect(isKnownRef(5, [version(4)])).toBe(false);
    expect(isKnownRef('current', [])).toBe(true);
  });
});

describe('deltas', () => {
  it('are signed with a real minus, rates to 3 decimals, counts whole', () => {
    expect(formatDelta('AP', 0.1254)).toBe('+0.125');
    expect(formatDelta('AP', -0.05)).toBe('\u22120.050');
    expect(formatDelta('fp', -2)).toBe('\u22122');
    expect(formatDelta('tp', 1500)).toBe('+1,500');
    expect(formatDelta('AP', null)).toBe('–');
    expect(formatDelta('AP', 0)).toBe('0.000');
    expect(formatDelta('tp', 0)).toBe('0');
  });

  it('a change rounded off to nothing reads and counts as none', () => {
    expect(formatDelta('AP', 0.00004)).toBe('0.000');
    expect(formatDelta('AP', -0.00004)).toBe('0.000');
    expect(trend('AP', 0.00004)).toBe('same');
    expect(trend('AP', 0.2)).toBe('up');
    expect(trend('recall', -0.2)).toBe('down');
    expect(trend('AP', null)).toBe('same');
  });

  it('more AP is better, more false positives or misses worse', () => {
    expect(isBetter('AP', 'up')).toBe(true);
    expect(isBetter('precision', 'down')).toBe(false);
    expect(isBetter('fp', 'up')).toBe(false);
    expect(isBetter('fn', 'down')).toBe(true);
    expect(isBetter('AP', 'same')).toBeNull();
  });

  it('values: rates with 3 decimals, counts whole, undefined as a dash', () => {
    expect(formatStat('AP', 0.5)).toBe('0.500');
    expect(formatStat('num_gt', 12000)).toBe('12,000');
    expect(formatStat('recall', null)).toBe('–');
  });
});

describe('diff tables', () => {
  it('one row per changed class, by class name', () => {
    const diff: IVersionDiff = {
      added: 1,
      removed: 0,
      relabelled: 2,
      moved: 0,
      samples_changed: 2,
      sample_tags: { added: 0, removed: 0 },
      image_labels: { added: 0, removed: 0, by_class: {} },
      by_class: {
        zebra: { added: 1, removed: 0, relabelled: 0, moved: 0 },
        // Class names are dataset text: a prototype member's name is a class too.
        constructor: { added: 0, removed: 0, relabelled: 2, moved: 0 }
      },
      from: '1',
      to: 'current'
    };
    expect(diffRows(diff)).toEqual([
      { label: 'constructor', added: 0, removed: 0, relabelled: 2, moved: 0 },
      { label: 'zebra', added: 1, removed: 0, relabelled: 0, moved: 0 }
    ]);
  });

  it('evaluation rows: AP, precision, recall per class; non-numbers as undefined', () => {
    const evaluation: IEvaluationDiff = {
      model: 'm',
      method: 'voc',
      iou: 0.5,
      from: { mAP: 0.5, tp: 3, fp: 1, fn: 2 },
      to: { mAP: 0.75, tp: 4, fp: 0, fn: 1 },
      delta: { mAP: 0.25, tp: 1, fp: -1, fn: -1 },
      by_class: {
        dog: {
          from: { AP: 1, precision: 1, recall: 1 },
          to: { AP: null, precision: 0, recall: null },
          delta: { AP: null, precision: -1, recall: null }
        },
        cat: {
          from: { AP: 0.5, precision: 0.5, recall: 1 },
          to: { AP: 0.75, precision: 0.75, recall: 1 },
          delta: { AP: 0.25, precision: 0.25, recall: 0 }
        }
      }
    };
    const rows = evaluationRows(evaluation);
    expect(rows.map(r => r.label)).toEqual(['cat', 'dog']);
    expect(rows[1].cells).toEqual([
      { stat: 'AP', from: 1, to: null, delta: null },
      { stat: 'precision', from: 1, to: 0, delta: -1 },
      { stat: 'recall', from: 1, to: null, delta: null }
    ]);
    expect(evaluationSummary(evaluation).map(c => [c.stat, c.delta])).toEqual([
      ['mAP', 0.25],
      ['tp', 1],
      ['fp', -1],
      ['fn', -1]
    ]);
  });
});
