/**
 * The note a panel shows over a stored result computed over the whole dataset
 * (duplicate groups, blind spots, a map, label quality) once the server says it
 * is `stale`: samples were deleted, restored or added, or the labels it read
 * changed, since it was computed (its answer's `stale_reason` says which).
 */
import { h } from '../base/dom';

/** What a stored result's answer says of its staleness. */
export interface IStaleness {
  stale?: boolean | null;
  stale_reason?: string | null;
}

/** The note's words, or null when the result is not stale (or unknown). */
export function staleText(
  result: IStaleness | null | undefined
): string | null {
  if (!result?.stale) {
    return null;
  }
  const why =
    result.stale_reason ?? 'the dataset changed since it was computed';
  return `Stale — recompute: ${why}.`;
}

/** The note as an element (its words as text, never markup), or null. */
export function staleNote(
  result: IStaleness | null | undefined
): HTMLDivElement | null {
  const text = staleText(result);
  return text
    ? h('div', {
        className: 'jp-VisionLens-staleNote',
        text,
        attrs: { role: 'status' }
      })
    : null;
}
