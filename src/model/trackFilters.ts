/**
 * The `track` condition of a labels entry (an object's outcome in a model's
 * tracking evaluation), as the `track.*` facets set it: `{model, status?:
 * [...], switched?: bool, track_switches?: {min, max}, track_status?: [...]}`.
 * A labels entry holds one track condition: a facet of another model replaces
 * it. Pure functions of a labels entry; `./filters` places the entry.
 */
import { ILabelFilter, IRange } from './tokens';

/** A labels entry's `track` condition as the facets read and write it. */
interface ITrackCondition {
  model?: string;
  switched?: boolean;
  track_switches?: IRange;
  [key: string]: unknown;
}

function conditionOf(
  entry: ILabelFilter | undefined,
  model: string | undefined
): ITrackCondition | null {
  const track = entry?.track as ITrackCondition | undefined;
  return track && track.model === model ? track : null;
}

/** `entry` with `cond` as its track condition (none when it names no outcome). */
function withCondition(
  entry: ILabelFilter,
  cond: ITrackCondition
): ILabelFilter {
  const { track: _old, ...rest } = entry;
  const named = Object.keys(cond).some(k => k !== 'model');
  return named ? { ...rest, track: cond } : rest;
}

/** The values picked on the `key` facet of `model`'s outcomes (as text). */
export function trackCategorical(
  entry: ILabelFilter | undefined,
  model: string | undefined,
  key: string
): string[] {
  const cond = conditionOf(entry, model);
  if (!cond) {
    return [];
  }
  if (key === 'switched') {
    return cond.switched === undefined ? [] : [String(cond.switched)];
  }
  const values = cond[key];
  return Array.isArray(values) ? values.map(String) : [];
}

/**
 * `entry` with `values` picked on the `key` facet of `model`'s outcomes; for
 * `switched` one value is a condition, both or none are none.
 */
export function withTrackCategorical(
  entry: ILabelFilter,
  model: string | undefined,
  key: string,
  values: string[]
): ILabelFilter {
  const cond: ITrackCondition = { ...(conditionOf(entry, model) ?? { model }) };
  delete cond[key];
  if (key === 'switched') {
    const picked = [...new Set(values)];
    if (picked.length === 1) {
      cond.switched = picked[0] === 'true';
    }
  } else if (values.length) {
    cond[key] = values;
  }
  return withCondition(entry, cond);
}

/** The range set on the numeric `key` facet of `model`'s outcomes, or null. */
export function trackRange(
  entry: ILabelFilter | undefined,
  model: string | undefined,
  key: string
): IRange | null {
  const range = conditionOf(entry, model)?.[key] as IRange | undefined;
  return range && (range.min !== undefined || range.max !== undefined)
    ? { ...range }
    : null;
}

/**
 * `entry` with `range` on the numeric `key` facet of `model`'s outcomes
 * (null clears it); the bounds are whole numbers (switches are counts), the
 * least one within the range picked.
 */
export function withTrackRange(
  entry: ILabelFilter,
  model: string | undefined,
  key: string,
  range: IRange | null
): ILabelFilter {
  const cond: ITrackCondition = { ...(conditionOf(entry, model) ?? { model }) };
  delete cond[key];
  const whole: IRange = {};
  if (range?.min !== undefined && range.min !== null) {
    whole.min = Math.ceil(range.min);
  }
  if (range?.max !== undefined && range.max !== null) {
    whole.max = Math.floor(range.max);
  }
  if (Object.keys(whole).length) {
    cond[key] = whole;
  }
  return withCondition(entry, cond);
}
