/**
 * Active-filter chips: one short text per condition group of the filter JSON,
 * and the removal of that group. Texts hold dataset values: render them with
 * textContent.
 */
import { classificationEntries } from '../../model/classificationFilters';
import { boxCounts, cloneFilter, normalizeFilter } from '../../model/filters';
import { GROUND_TRUTH, ICondition, IFilter, IRange } from '../../model/tokens';

/** An active-filter chip: a short text and what to remove. */
export interface IChip {
  /** Stable identifier, used by `removeChip`. */
  id: string;
  text: string;
}

function sourceText(source: string | undefined): string {
  if (source === undefined) {
    return '';
  }
  return source === GROUND_TRUTH ? ' (GT)' : ` (${source})`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function rangeText(r: IRange): string {
  if (r.min !== undefined && r.max !== undefined) {
    return `${fmt(r.min)}–${fmt(r.max)}`;
  }
  return r.min !== undefined ? `≥ ${fmt(r.min)}` : `≤ ${fmt(r.max as number)}`;
}

function condText(name: string, c: ICondition): string[] {
  const out: string[] = [];
  if (c.in) {
    out.push(`${name}: ${c.in.join(', ')}`);
  }
  if (c.min !== undefined || c.max !== undefined) {
    out.push(`${name} ${rangeText(c)}`);
  }
  if (c.contains !== undefined) {
    out.push(`${name} contains “${c.contains}”`);
  }
  if (c.eq !== undefined) {
    out.push(`${name} = ${String(c.eq)}`);
  }
  if (c.is_null !== undefined) {
    out.push(`${name} ${c.is_null ? 'is empty' : 'is set'}`);
  }
  return out;
}

/**
 * One chip per condition group of the filter. Texts are plain strings (they
 * hold dataset values): render them with textContent.
 */
export function describeFilter(filter: IFilter): IChip[] {
  const chips: IChip[] = [];
  if (filter.ids) {
    chips.push({ id: 'ids', text: `${filter.ids.length} chosen samples` });
  }
  for (const [name, c] of Object.entries(filter.sample ?? {})) {
    const text = condText(name, c).join('; ');
    if (text) {
      chips.push({ id: `sample:${name}`, text });
    }
  }
  const tags = filter.tags ?? {};
  if (tags.any?.length) {
    chips.push({ id: 'tags:any', text: `tags: ${tags.any.join(', ')}` });
  }
  if (tags.all?.length) {
    chips.push({ id: 'tags:all', text: `all tags: ${tags.all.join(', ')}` });
  }
  if (tags.none?.length) {
    chips.push({
      id: 'tags:none',
      text: `not tagged: ${tags.none.join(', ')}`
    });
  }
  (filter.labels ?? []).forEach((l, i) => {
    const parts: string[] = [];
    if (l.classes) {
      parts.push(`label: ${l.classes.join(', ')}`);
    }
    if (l.score) {
      parts.push(`score ${rangeText(l.score)}`);
    }
    if (l.type !== undefined) {
      const types = Array.isArray(l.type) ? l.type : [l.type];
      parts.push(`with ${types.join(' or ')}`);
    }
    for (const [name, c] of Object.entries(l.where ?? {})) {
      parts.push(...condText(name, c));
    }
    for (const [k, v] of Object.entries(l)) {
      if (!['source', 'classes', 'score', 'where', 'type'].includes(k)) {
        parts.push(`${k}: ${JSON.stringify(v)}`);
      }
    }
    if (parts.length) {
      chips.push({
        id: `labels:${i}`,
        text: parts.join('; ') + sourceText(l.source)
      });
    }
  });
  boxCounts(filter).forEach(bc => {
    chips.push({
      // by source, not position: one condition per source
      id: `box_count:${bc.source ?? ''}`,
      text: `boxes ${rangeText(bc)}${sourceText(bc.source)}`
    });
  });
  classificationEntries(filter).forEach((c, i) => {
    const parts: string[] = [];
    if (c.classes) {
      parts.push(`image label: ${c.classes.join(', ')}`);
    }
    if (c.score) {
      parts.push(`image label score ${rangeText(c.score)}`);
    }
    if (c.differs_from_ground_truth !== undefined) {
      parts.push(
        c.differs_from_ground_truth
          ? 'image label differs from GT'
          : 'image label agrees with GT'
      );
    }
    chips.push({
      id: `classifications:${i}`,
      text:
        (parts.length ? parts : ['has image label']).join('; ') +
        sourceText(c.source)
    });
  });
  return chips;
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
