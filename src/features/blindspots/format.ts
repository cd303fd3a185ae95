/**
 * Pure formatting of blind-spot findings: numbers, the value-vs-baseline bar
 * and the tested/rejected line. No DOM here (unit-tested with jest).
 */
import { IFilter, ILabelFilter } from '../../api/types';
import type { IWireFilter } from '../../api/wireTypes';
import {
  IBlindSpotFinding,
  IBlindSpotsResult,
  IBlindSpotTest
} from '../../api/blindSpotTypes';
import { ownValue } from '../../base/dataText';

/** Metric labels shown on cards (the engine's metric names as keys). */
export const METRIC_LABELS: { [metric: string]: string } = {
  recall: 'Recall',
  precision: 'Precision',
  confusion: 'Class confusion rate',
  localisation: 'Median IoU of matches',
  fp_per_image: 'False positives per image',
  calibration: 'Calibration error (ECE)'
};

/** The label of a metric (its own name when unknown). */
export function metricLabel(metric: string): string {
  return ownValue(METRIC_LABELS, metric) ?? metric;
}

/** A metric value with 3 significant digits; an en dash when missing. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  return Number(value.toPrecision(3)).toString();
}

/** A signed difference ("+0.12", "−0.59"). */
export function formatEffect(effect: number | null | undefined): string {
  if (effect === null || effect === undefined || !Number.isFinite(effect)) {
    return '–';
  }
  const text = formatValue(Math.abs(effect));
  return effect < 0 ? `−${text}` : `+${text}`;
}

/** A q- or p-value: "< 0.001" below it, else 2 significant digits. */
export function formatQ(q: number | null | undefined): string {
  if (q === null || q === undefined || !Number.isFinite(q)) {
    return '–';
  }
  if (q < 0.001) {
    return '< 0.001';
  }
  return Number(q.toPrecision(2)).toString();
}

/** The interval of the effect as "[−0.66, −0.51]". */
export function formatInterval(
  ci: [number | null, number | null] | null | undefined
): string {
  if (!ci) {
    return '–';
  }
  return `[${formatEffect(ci[0])}, ${formatEffect(ci[1])}]`;
}

/** The numbers line of a card. */
export function numbersLine(f: IBlindSpotFinding): string {
  return (
    `${metricLabel(f.metric)} ${formatValue(f.value)} vs ${formatValue(f.baseline)} · ` +
    `effect ${formatEffect(f.effect)} ${formatInterval(f.ci)} · ` +
    `q ${formatQ(f.q)} · N ${f.n.toLocaleString('en-US')}`
  );
}

/**
 * The caveat of a finding that rests on VLM attributes (a model's answers, not
 * measurements): each with its calibration kappa; null when it rests on none.
 */
export function vlmKappaLine(f: IBlindSpotFinding): string | null {
  const entries = Object.entries(f.vlm_kappa ?? {});
  if (!entries.length) {
    return null;
  }
  const parts = entries.map(([name, kappa]) => `${name} κ ${kappa.toFixed(2)}`);
  return `Rests on a VLM's answers (calibrated): ${parts.join(', ')}`;
}

/** Where to draw a card's bar, in percent of its width. */
export interface IBarGeometry {
  /** Length of the slice's bar (its value). */
  value: number;
  /** Position of the baseline tick. */
  baseline: number;
  /** The CI of the slice's value (baseline + CI of the effect), or null. */
  ci: [number, number] | null;
}

/**
 * The bar of value vs baseline with its interval, on a scale from 0 to the
 * largest of them (1 for rates, which never exceed it).
 */
export function barGeometry(f: IBlindSpotFinding): IBarGeometry | null {
  const { value, baseline } = f;
  if (
    value === null ||
    baseline === null ||
    !Number.isFinite(value) ||
    !Number.isFinite(baseline)
  ) {
    return null;
  }
  const [lo, hi] = f.ci ?? [null, null];
  const ci: [number, number] | null =
    lo !== null && hi !== null && Number.isFinite(lo) && Number.isFinite(hi)
      ? [baseline + lo, baseline + hi]
      : null;
  const top = Math.max(
    f.metric === 'fp_per_image' ? 0 : 1,
    value,
    baseline,
    ...(ci ?? [])
  );
  const pct = (x: number) =>
    top > 0 ? Math.round((Math.max(0, Math.min(x, top)) / top) * 1000) / 10 : 0;
  return {
    value: pct(value),
    baseline: pct(baseline),
    ci: ci ? [pct(ci[0]), pct(ci[1])] : null
  };
}

/** The tests of a result that were not reported (its own list, or the agent's). */
export function rejectedTests(result: IBlindSpotsResult): IBlindSpotTest[] {
  return (result.tests ?? []).filter(t => t.outcome === 'rejected');
}

/**
 * What a run tested, in words a reader new to blind spots follows: how many
 * slice tests (a metric on a slice, against the rest of the dataset), how
 * many became the findings above, how many were rejected and why.
 */
export function testedLine(result: IBlindSpotsResult): string {
  const rejected = result.tests
    ? rejectedTests(result).length
    : result.rejected.length;
  const n = (value: number) => value.toLocaleString('en-US');
  const found = result.findings.length;
  return (
    `${n(result.tested)} slice tests (a metric on a slice of the images, ` +
    `against the rest) · ${n(found)} blind spot${found === 1 ? '' : 's'} ` +
    `found · ${n(rejected)} rejected: no significant gap, or not confirmed ` +
    'on the held-out half (listed under “What was tested and rejected”)'
  );
}

/** One line of the tested list: "recall · night and small · effect −0.59, q < 0.001". */
export function testLine(t: IBlindSpotTest): string {
  const why = t.reason ? ` — ${t.reason}` : '';
  return (
    `${metricLabel(t.metric)} · ${t.slice} · N ${t.n.toLocaleString('en-US')}, ` +
    `effect ${formatEffect(t.effect)}, q ${formatQ(t.q)}${why}`
  );
}

/**
 * A finding's filter in the shape the model's filter state holds: the engine
 * writes one label condition as an object, the grid keeps a list of them.
 */
export function gridFilter(filter: IWireFilter): IFilter {
  const out: IFilter = JSON.parse(JSON.stringify(filter ?? {}));
  const labels = out.labels as unknown;
  if (labels && !Array.isArray(labels)) {
    out.labels = [labels as ILabelFilter];
  }
  return out;
}
