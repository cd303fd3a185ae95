/**
 * Pure functions that read and compose the filter JSON of the API.
 *
 * A facet of `POST /facets` says where it filters (`facet.filter`: a `path`
 * and, for sample columns and label attributes, a `key`), as the server
 * declares it where the facet is defined (catalog/query/facet_places.py). The
 * functions here put a facet's values at that place: `sample[key]`,
 * `tags.any`, the `classes` / `score` / `where[key]` / `type` of the `labels`
 * entry of the facet's source, its source's entry of the `box_count` list, or
 * the `classes` / `score` of its source's `classifications` entry
 * (`./classificationFilters`), or its `track` condition of the facet's model
 * (`./trackFilters`). A `labels.type` value `classification` asks for
 * the source's `classifications` entry. Every function returns a new object;
 * filters are never mutated, so an old filter can be kept for undo.
 */
import {
  classificationEntries,
  getClassificationClasses,
  getClassificationScore,
  hasClassification,
  setClassificationClasses,
  setClassificationScore,
  setHasClassification
} from './classificationFilters';
import { isObjectLabelType } from './labels';
import * as track from './trackFilters';
import {
  IBoxCountFilter,
  ICondition,
  IFacetFilter,
  IFilter,
  ILabelFilter,
  IRange,
  ISampleConditions,
  ObjectLabelType,
  SEMANTIC_REGIONS
} from './tokens';

/** The condition on sample field `name` (none for the regions' key). */
export function fieldCondition(
  sample: ISampleConditions | undefined,
  name: string
): ICondition | undefined {
  // every key but the regions' holds a field's condition: what the index
  // signature cannot say, the key says
  return name === SEMANTIC_REGIONS
    ? undefined
    : (sample?.[name] as ICondition | undefined);
}

/** What a facet is: its name, its label source, and its place in the filter. */
export interface IFacetKey {
  name: string;
  source?: string;
  /** The tracking evaluation's model of a `labels.track` facet. */
  model?: string;
  /** The facet's `filter` as the server answers it (null: not filterable). */
  filter: IFacetFilter | null;
}

/** The object label types (`labels.type`) of a label entry, as a list. */
function objectTypes(entry: ILabelFilter | undefined): ObjectLabelType[] {
  const found = entry?.type;
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

/** Deep copy of a JSON filter. */
export function cloneFilter(filter: IFilter): IFilter {
  return JSON.parse(JSON.stringify(filter ?? {}));
}

/** True when the filter has no condition. */
export function isEmptyFilter(filter: IFilter): boolean {
  return Object.keys(normalizeFilter(filter)).length === 0;
}

/** Drop empty parts, so equal filters serialize equally. */
export function normalizeFilter(filter: IFilter): IFilter {
  const out: IFilter = {};
  if (filter.ids) {
    out.ids = [...filter.ids];
  }
  const sample = Object.entries(filter.sample ?? {}).filter(
    ([, c]) => c && Object.keys(c).length > 0
  );
  if (sample.length) {
    out.sample = Object.fromEntries(sample);
  }
  const tags = Object.entries(filter.tags ?? {}).filter(
    ([, v]) => Array.isArray(v) && v.length > 0
  );
  if (tags.length) {
    out.tags = Object.fromEntries(tags);
  }
  const labels = (filter.labels ?? []).filter(
    l => Object.keys(l).filter(k => k !== 'source').length > 0
  );
  if (labels.length) {
    out.labels = labels;
  }
  const counts = boxCounts(filter).filter(
    b => b.min !== undefined || b.max !== undefined
  );
  if (counts.length) {
    out.box_count = counts;
  }
  // an entry of a source alone still selects: the samples with such a label
  const classifications = classificationEntries(filter);
  if (classifications.length) {
    out.classifications = classifications;
  }
  return out;
}

/** The `box_count` conditions as a list (the API also takes one object). */
export function boxCounts(filter: IFilter): IBoxCountFilter[] {
  const bc = filter.box_count;
  return bc === undefined ? [] : Array.isArray(bc) ? bc : [bc];
}

/** Whether two filters select the same samples (same JSON after normalizing). */
export function sameFilter(a: IFilter, b: IFilter): boolean {
  return (
    JSON.stringify(normalizeFilter(a)) === JSON.stringify(normalizeFilter(b))
  );
}

function labelEntry(
  filter: IFilter,
  source: string | undefined
): ILabelFilter | undefined {
  return (filter.labels ?? []).find(l => l.source === source);
}

/** Replace (or remove, when empty) the labels entry of one source. */
function withLabelEntry(
  filter: IFilter,
  source: string | undefined,
  update: (entry: ILabelFilter) => ILabelFilter
): IFilter {
  const out = cloneFilter(filter);
  const labels = out.labels ?? [];
  const index = labels.findIndex(l => l.source === source);
  const current: ILabelFilter =
    index >= 0 ? labels[index] : source === undefined ? {} : { source };
  const next = update(current);
  if (next.where && Object.keys(next.where).length === 0) {
    delete next.where;
  }
  const empty = Object.keys(next).filter(k => k !== 'source').length === 0;
  if (index >= 0) {
    if (empty) {
      labels.splice(index, 1);
    } else {
      labels[index] = next;
    }
  } else if (!empty) {
    labels.push(next);
  }
  if (labels.length) {
    out.labels = labels;
  } else {
    delete out.labels;
  }
  return out;
}

function setCondition(
  conds: { [k: string]: ICondition } | undefined,
  name: string,
  cond: ICondition | null
): { [k: string]: ICondition } | undefined;
function setCondition(
  conds: ISampleConditions | undefined,
  name: string,
  cond: ICondition | null
): ISampleConditions | undefined;
function setCondition(
  conds: ISampleConditions | undefined,
  name: string,
  cond: ICondition | null
): ISampleConditions | undefined {
  const out = { ...(conds ?? {}) };
  if (cond && Object.keys(cond).length) {
    out[name] = cond;
  } else {
    delete out[name];
  }
  return Object.keys(out).length ? out : undefined;
}

/** Values checked for a categorical facet (empty when none). */
export function getCategorical(filter: IFilter, key: IFacetKey): string[] {
  const place = key.filter;
  switch (place?.path) {
    case 'tags':
      return filter.tags?.any ?? [];
    case 'sample':
      return fieldCondition(filter.sample, place.key)?.in ?? [];
    case 'labels.classes':
      return labelEntry(filter, key.source)?.classes ?? [];
    case 'labels.type': {
      const types: string[] = objectTypes(labelEntry(filter, key.source));
      return hasClassification(filter, key.source)
        ? [...types, 'classification']
        : types;
    }
    case 'classifications.classes':
      return getClassificationClasses(filter, key.source);
    case 'labels.where':
      return labelEntry(filter, key.source)?.where?.[place.key]?.in ?? [];
    case 'labels.track':
      return track.trackCategorical(
        labelEntry(filter, key.source),
        key.model,
        place.key
      );
    default:
      return [];
  }
}

/** Set the checked values of a categorical facet (an empty list clears it). */
export function setCategorical(
  filter: IFilter,
  key: IFacetKey,
  values: string[]
): IFilter {
  const unique = [...new Set(values)];
  const place = key.filter;
  if (place?.path === 'tags') {
    const out = cloneFilter(filter);
    const tags = { ...(out.tags ?? {}) };
    if (unique.length) {
      tags.any = unique;
    } else {
      delete tags.any;
    }
    if (Object.keys(tags).length) {
      out.tags = tags;
    } else {
      delete out.tags;
    }
    return out;
  }
  if (place?.path === 'sample') {
    const out = cloneFilter(filter);
    const prev = fieldCondition(out.sample, place.key) ?? {};
    const { in: _old, ...rest } = prev;
    const cond: ICondition = unique.length ? { ...rest, in: unique } : rest;
    const sample = setCondition(out.sample, place.key, cond);
    if (sample) {
      out.sample = sample;
    } else {
      delete out.sample;
    }
    return out;
  }
  if (place?.path === 'labels.classes') {
    return withLabelEntry(filter, key.source, entry => {
      const next = { ...entry };
      if (unique.length) {
        next.classes = unique;
      } else {
        delete next.classes;
      }
      return next;
    });
  }
  if (place?.path === 'labels.type') {
    const types = unique.filter(isObjectLabelType);
    const withTypes = withLabelEntry(filter, key.source, entry => {
      const { type: _old, ...rest } = entry;
      return types.length ? { ...rest, type: types } : rest;
    });
    const wanted = unique.includes('classification');
    return wanted === hasClassification(filter, key.source)
      ? withTypes
      : setHasClassification(withTypes, key.source, wanted);
  }
  if (place?.path === 'classifications.classes') {
    return setClassificationClasses(filter, key.source, unique);
  }
  if (place?.path === 'labels.where') {
    return withLabelEntry(filter, key.source, entry => {
      const prev = entry.where?.[place.key] ?? {};
      const { in: _old, ...rest } = prev;
      const cond: ICondition = unique.length ? { ...rest, in: unique } : rest;
      return { ...entry, where: setCondition(entry.where, place.key, cond) };
    });
  }
  if (place?.path === 'labels.track') {
    return withLabelEntry(filter, key.source, entry =>
      track.withTrackCategorical(entry, key.model, place.key, unique)
    );
  }
  throw new Error(`not a categorical facet: ${key.name}`);
}

function pickRange(cond: IRange | undefined): IRange | null {
  if (!cond || (cond.min === undefined && cond.max === undefined)) {
    return null;
  }
  const out: IRange = {};
  if (cond.min !== undefined && cond.min !== null) {
    out.min = cond.min;
  }
  if (cond.max !== undefined && cond.max !== null) {
    out.max = cond.max;
  }
  return Object.keys(out).length ? out : null;
}

/** The range set on a numeric facet, or null. */
export function getRange(filter: IFilter, key: IFacetKey): IRange | null {
  const place = key.filter;
  if (place?.path === 'sample') {
    return pickRange(fieldCondition(filter.sample, place.key));
  }
  if (place?.path === 'box_count') {
    return pickRange(boxCounts(filter).find(b => b.source === key.source));
  }
  if (place?.path === 'labels.score') {
    return pickRange(labelEntry(filter, key.source)?.score);
  }
  if (place?.path === 'classifications.score') {
    return pickRange(getClassificationScore(filter, key.source) ?? undefined);
  }
  if (place?.path === 'labels.where') {
    return pickRange(labelEntry(filter, key.source)?.where?.[place.key]);
  }
  if (place?.path === 'labels.track') {
    const entry = labelEntry(filter, key.source);
    return track.trackRange(entry, key.model, place.key);
  }
  return null;
}

/** Set (or clear, with null) the range of a numeric facet. */
export function setRange(
  filter: IFilter,
  key: IFacetKey,
  range: IRange | null
): IFilter {
  const r = range ? pickRange(range) : null;
  const place = key.filter;
  if (place?.path === 'sample') {
    const out = cloneFilter(filter);
    const prev = fieldCondition(out.sample, place.key) ?? {};
    const { min: _a, max: _b, ...rest } = prev;
    const sample = setCondition(out.sample, place.key, {
      ...rest,
      ...(r ?? {})
    });
    if (sample) {
      out.sample = sample;
    } else {
      delete out.sample;
    }
    return out;
  }
  if (place?.path === 'box_count') {
    // One condition per source: ground truth and each model can all have one.
    const out = cloneFilter(filter);
    const counts = boxCounts(out).filter(b => b.source !== key.source);
    if (r) {
      counts.push(key.source === undefined ? r : { source: key.source, ...r });
    }
    if (counts.length) {
      out.box_count = counts;
    } else {
      delete out.box_count;
    }
    return out;
  }
  if (place?.path === 'labels.score') {
    return withLabelEntry(filter, key.source, entry => {
      const next = { ...entry };
      if (r) {
        next.score = r;
      } else {
        delete next.score;
      }
      return next;
    });
  }
  if (place?.path === 'classifications.score') {
    return setClassificationScore(filter, key.source, r);
  }
  if (place?.path === 'labels.where') {
    return withLabelEntry(filter, key.source, entry => {
      const prev = entry.where?.[place.key] ?? {};
      const { min: _a, max: _b, ...rest } = prev;
      return {
        ...entry,
        where: setCondition(entry.where, place.key, { ...rest, ...(r ?? {}) })
      };
    });
  }
  if (place?.path === 'labels.track') {
    return withLabelEntry(filter, key.source, entry =>
      track.withTrackRange(entry, key.model, place.key, r)
    );
  }
  throw new Error(`not a numeric facet: ${key.name}`);
}

/** Set the file-name search (`sample.file_name.contains`); '' clears it. */
export function setFileNameSearch(filter: IFilter, text: string): IFilter {
  const out = cloneFilter(filter);
  const sample = setCondition(
    out.sample,
    'file_name',
    text ? { contains: text } : null
  );
  if (sample) {
    out.sample = sample;
  } else {
    delete out.sample;
  }
  return out;
}
