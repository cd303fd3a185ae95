/**
 * What each facet counts. The grid counts samples, but a class facet counts
 * objects (a sample with three cars adds three), so every facet says its unit
 * and every count carries it: "counts objects", "1,204 objects". The server
 * states each facet's unit (`facet.unit`, where the facet is defined).
 */
import { fmtInt } from '../../base/dom';
import { FacetUnit } from '../../model/tokens';

export type { FacetUnit };

/** What the facet's title says it counts: "counts objects". */
export function unitText(unit: FacetUnit): string {
  return `counts ${unit}`;
}

/** A count with its unit: "1 sample", "1,204 objects". */
export function countText(n: number, unit: FacetUnit): string {
  return `${fmtInt(n)} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
}
