/**
 * A sample's caption: the computed field `caption` that a caption job
 * (`visionlens predict --task caption`) writes. The value is untrusted
 * dataset content; callers show it as text through `visibleText`.
 */
import { ownValue } from '../base/dataText';
import { ISample } from './tokens';

/** The computed field a caption job writes. */
export const CAPTION_FIELD = 'caption';

/** The sample's caption, or null when it has none (or it is not text). */
export function sampleCaption(sample: ISample): string | null {
  const value = ownValue(sample.computed, CAPTION_FIELD);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
