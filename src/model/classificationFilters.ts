/**
 * The `classifications` part of the filter JSON: one condition per source of
 * image-level labels (ground truth, each model), as the facets of those labels
 * map to it. Pure functions; filters are never mutated.
 */
import { IClassificationFilter, IFilter, IRange } from './tokens';

type Entry = IClassificationFilter;

/** The `classifications` conditions as a list (the API also takes one object). */
export function classificationEntries(filter: IFilter): Entry[] {
  const found = filter.classifications;
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

function entryOf(
  filter: IFilter,
  source: string | undefined
): Entry | undefined {
  return classificationEntries(filter).find(c => c.source === source);
}

/** Replace (or remove, for null) the condition of one source, in place. */
function withEntry(
  filter: IFilter,
  source: string | undefined,
  update: (entry: Entry) => Entry | null
): IFilter {
  const out: IFilter = JSON.parse(JSON.stringify(filter ?? {}));
  const list = classificationEntries(out);
  const index = list.findIndex(c => c.source === source);
  const current =
    index >= 0 ? list[index] : source === undefined ? {} : { source };
  const next = update({ ...current });
  if (index >= 0 && next) {
    list[index] = next;
  } else if (index >= 0) {
    list.splice(index, 1);
  } else if (next) {
    list.push(next);
  }
  if (list.length) {
    out.classifications = list;
  } else {
    delete out.classifications;
  }
  return out;
}

/** An entry that says nothing but its source is only kept as "has a label". */
function keptIfAny(entry: Entry): Entry | null {
  return Object.keys(entry).some(k => k !== 'source') ? entry : null;
}

/** Whether the filter asks for an image-level label of `source`. */
export function hasClassification(
  filter: IFilter,
  source: string | undefined
): boolean {
  return entryOf(filter, source) !== undefined;
}

/** Ask for (or drop every condition on) an image-level label of `source`. */
export function setHasClassification(
  filter: IFilter,
  source: string | undefined,
  on: boolean
): IFilter {
  return withEntry(filter, source, entry => (on ? entry : null));
}

/** The classes checked for the image-level labels of `source`. */
export function getClassificationClasses(
  filter: IFilter,
  source: string | undefined
): string[] {
  return entryOf(filter, source)?.classes ?? [];
}

/** Set the checked classes (an empty list clears them). */
export function setClassificationClasses(
  filter: IFilter,
  source: string | undefined,
  classes: string[]
): IFilter {
  return withEntry(filter, source, entry => {
    const { classes: _old, ...rest } = entry;
    return classes.length
      ? { ...rest, classes: [...new Set(classes)] }
      : keptIfAny(rest);
  });
}

/** The score range set on the image-level labels of `source`, or null. */
export function getClassificationScore(
  filter: IFilter,
  source: string | undefined
): IRange | null {
  return entryOf(filter, source)?.score ?? null;
}

/** Set (or clear, with null) the score range of the labels of `source`. */
export function setClassificationScore(
  filter: IFilter,
  source: string | undefined,
  range: IRange | null
): IFilter {
  return withEntry(filter, source, entry => {
    const { score: _old, ...rest } = entry;
    return range ? { ...rest, score: range } : keptIfAny(rest);
  });
}

/** Whether model `source`'s labels must differ from (true) or agree with (false) ground truth. */
export function getDiffers(
  filter: IFilter,
  source: string | undefined
): boolean | null {
  return entryOf(filter, source)?.differs_from_ground_truth ?? null;
}

/** Set (or clear, with null) the ground-truth comparison of model `source`'s labels. */
export function setDiffers(
  filter: IFilter,
  source: string | undefined,
  differs: boolean | null
): IFilter {
  return withEntry(filter, source, entry => {
    const { differs_from_ground_truth: _old, ...rest } = entry;
    return differs === null
      ? keptIfAny(rest)
      : { ...rest, differs_from_ground_truth: differs };
  });
}
