/**
 * The versions panel's pure parts: version choices, the rows of a diff's
 * per-class tables and how a delta reads (signed, and whether it went up).
 */
import {
  IDiffCounts,
  IEvaluationDiff,
  IEvaluationNumbers,
  ILabelVersion,
  IVersionDiff,
  VersionRef
} from '../../model/tokens';

/** The value of the "current labels" choice (what the REST API takes). */
export const CURRENT = 'current';

/** The kinds of change a diff counts per object, in the order shown. */
export const CHANGE_KINDS: (keyof IDiffCounts)[] = [
  'added',
  'removed',
  'relabelled',
  'moved'
];

/** The per-class evaluation numbers shown, in order. */
export const CLASS_STATS = ['AP', 'precision', 'recall'] as const;

/** A version choice's value read back: a version number or `current`. */
export function parseVersionRef(value: string): VersionRef {
  const number = Number(value);
  return value !== CURRENT && Number.isInteger(number) && number > 0
    ? number
    : CURRENT;
}

/** How a version is named in a choice: "3 · fixed the dogs", or "Current labels". */
export function versionChoiceLabel(version: ILabelVersion | null): string {
  if (!version) {
    return 'Current labels';
  }
  return version.message
    ? `${version.version} · ${version.message}`
    : String(version.version);
}

/**
 * The diff shown when the versions are first listed: the latest version
 * against the current labels; none without a version.
 */
export function defaultDiff(
  versions: readonly ILabelVersion[]
): { from: VersionRef; to: VersionRef } | null {
  const last = versions[versions.length - 1];
  return last ? { from: last.version, to: CURRENT } : null;
}

/** Whether `choice` still names one of `versions` (or the current labels). */
export function isKnownRef(
  choice: VersionRef,
  versions: readonly ILabelVersion[]
): boolean {
  return choice === CURRENT || versions.some(v => v.version === choice);
}

/** A row of the per-class change table. */
export interface IDiffRow extends IDiffCounts {
  label: string;
}

/** The per-class change rows of a diff, by class name. */
export function diffRows(diff: IVersionDiff): IDiffRow[] {
  return Object.entries(diff.by_class)
    .map(([label, counts]) => ({ label, ...counts }))
    .sort((a, b) => compareText(a.label, b.label));
}

/** One number of the evaluation table at both versions and its delta. */
export interface IStatCell {
  stat: string;
  from: number | null;
  to: number | null;
  delta: number | null;
}

/** A row of the per-class evaluation table. */
export interface IEvaluationRow {
  label: string;
  cells: IStatCell[];
}

/** The per-class evaluation rows (AP, precision, recall), by class name. */
export function evaluationRows(evaluation: IEvaluationDiff): IEvaluationRow[] {
  return Object.entries(evaluation.by_class)
    .map(([label, side]) => ({
      label,
      cells: CLASS_STATS.map(stat => statCell(stat, side))
    }))
    .sort((a, b) => compareText(a.label, b.label));
}

/**
 * The whole evaluation's headline numbers: its AP (VOC: mAP) and its true
 * positives, false positives and misses at the IoU threshold.
 */
export function evaluationSummary(evaluation: IEvaluationDiff): IStatCell[] {
  const ap = evaluation.method === 'voc' ? 'mAP' : 'AP';
  return [ap, 'tp', 'fp', 'fn'].map(stat => statCell(stat, evaluation));
}

function statCell(
  stat: string,
  side: {
    from: IEvaluationNumbers;
    to: IEvaluationNumbers;
    delta: IEvaluationNumbers;
  }
): IStatCell {
  const read = (numbers: IEvaluationNumbers) => numberOrNull(numbers[stat]);
  return {
    stat,
    from: read(side.from),
    to: read(side.to),
    delta: read(side.delta)
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Which way a delta went as shown: up, down, or neither (zero or undefined). */
export type Trend = 'up' | 'down' | 'same';

/** The trend of a delta, as its text reads (a rounded-off change is none). */
export function trend(stat: string, delta: number | null): Trend {
  const text = formatDelta(stat, delta);
  return text.startsWith('+')
    ? 'up'
    : text.startsWith('\u2212')
      ? 'down'
      : 'same';
}

/** Whether a change of `stat` in direction `way` is for the better: fewer false positives and misses are. */
export function isBetter(stat: string, way: Trend): boolean | null {
  if (way === 'same') {
    return null;
  }
  const lowerIsBetter = stat === 'fp' || stat === 'fn';
  return (way === 'up') !== lowerIsBetter;
}

/** A count's or a rate's value as shown: rates with 3 decimals, "–" when undefined. */
export function formatStat(stat: string, value: number | null): string {
  if (value === null) {
    return '–';
  }
  return isCount(stat) ? value.toLocaleString('en-US') : value.toFixed(3);
}

/** A delta as shown: signed ("+0.125", "−2"), "0" unchanged, "–" undefined. */
export function formatDelta(stat: string, delta: number | null): string {
  if (delta === null) {
    return '–';
  }
  const size = formatStat(stat, Math.abs(delta));
  if (Number(size.replace(/,/g, '')) === 0) {
    return isCount(stat) ? '0' : (0).toFixed(3);
  }
  return `${delta > 0 ? '+' : '\u2212'}${size}`;
}

/** Counts (true positives, objects) are integers; every other stat a rate. */
function isCount(stat: string): boolean {
  return ['tp', 'fp', 'fn', 'num_gt', 'ignored'].includes(stat);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
