/**
 * Active-filter chips: one short text per condition group of the filter JSON,
 * and the removal of that group. Texts hold dataset values: render them with
 * textContent.
 */
import { classificationEntries } from '../../model/classificationFilters';
import {
  boxCounts,
  cloneFilter,
  fieldCondition,
  normalizeFilter
} from '../../model/filters';
import { IFilter, SEMANTIC_REGIONS } from '../../model/tokens';
import {
  boxCountText,
  classificationText,
  conditionTexts,
  idsText,
  labelText,
  regionsText,
  tagTexts
} from './conditionText';

/** An active-filter chip: a short text and what to remove. */
export interface IChip {
  /** Stable identifier, used by `removeChip`. */
  id: string;
  text: string;
}

/**
 * The chips of each part of the filter JSON, in display order. Typed over
 * every key of `IFilter`: a new kind of condition does not compile without
 * its words.
 */
const PARTS: { [K in keyof Required<IFilter>]: (f: IFilter) => IChip[] } = {
  ids: f => (f.ids ? [{ id: 'ids', text: idsText(f.ids) }] : []),
  sample: f =>
    Object.keys(f.sample ?? {})
      .map(name => {
        const regions = f.sample?.semantic_regions;
        const text =
          name === SEMANTIC_REGIONS
            ? regions
              ? regionsText(regions)
              : ''
            : conditionTexts(name, fieldCondition(f.sample, name) ?? {}).join(
                '; '
              );
        return { id: `sample:${name}`, text };
      })
      .filter(chip => chip.text),
  tags: f =>
    Object.entries(tagTexts(f.tags)).map(([k, text]) => ({
      id: `tags:${k}`,
      text
    })),
  labels: f =>
    (f.labels ?? []).map((l, i) => ({ id: `labels:${i}`, text: labelText(l) })),
  box_count: f =>
    boxCounts(f).map(bc => ({
      // by source, not position: one condition per source
      id: `box_count:${bc.source ?? ''}`,
      text: boxCountText(bc)
    })),
  classifications: f =>
    classificationEntries(f).map((c, i) => ({
      id: `classifications:${i}`,
      text: classificationText(c)
    }))
};

/**
 * One chip per condition group of the filter, in words (`./conditionText`).
 * Texts are plain strings (they hold dataset values): render them with
 * textContent.
 */
export function describeFilter(filter: IFilter): IChip[] {
  return (Object.keys(PARTS) as (keyof IFilter)[]).flatMap(k =>
    PARTS[k](filter)
  );
}

/** Remove the condition group behind one chip. */
export function removeChip(filter: IFilter, chipId: string): IFilter {
  const out = cloneFilter(filter);
  const [kind, rest] = [
    chipId.split(':')[0],
    chipId.split(':').slice(1).join(':')
  ];
  if (kind === 'ids') {
    delete out.ids;
  } else if (kind === 'sample' && out.sample) {
    delete out.sample[rest];
  } else if (kind === 'tags' && out.tags) {
    delete (out.tags as any)[rest];
  } else if (kind === 'labels' && out.labels) {
    out.labels.splice(Number(rest), 1);
  } else if (kind === 'box_count') {
    out.box_count = boxCounts(out).filter(b => (b.source ?? '') !== rest);
  } else if (kind === 'classifications') {
    const kept = classificationEntries(out).filter(
      (_, i) => i !== Number(rest)
    );
    if (kept.length) {
      out.classifications = kept;
    } else {
      delete out.classifications;
    }
  }
  return normalizeFilter(out);
}
