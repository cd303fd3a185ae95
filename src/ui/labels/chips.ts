/**
 * Classification chips: a sample's image-level labels as small text chips
 * (ground truth solid, predictions dashed with their score, a prediction
 * that differs from the ground truth marked), in the class colour. The
 * labels are dataset text: set as text, never as markup.
 */
import { classificationChips } from '../../model/labelShapes';
import { IClassification } from '../../model/tokens';
import { h } from '../../base/dom';
import { ILabelStyle } from './overlay';

/** Fill `container` with the chips of `classifications`; returns how many. */
export function renderChips(
  container: HTMLElement,
  style: ILabelStyle,
  classifications: readonly IClassification[] | undefined,
  perModel = 1
): number {
  const chips = classificationChips(classifications, style, perModel);
  if (chips.length === 0 && !container.firstChild) {
    // Most tiles have no chips: leave the empty layer untouched.
    if (!container.hidden) {
      container.hidden = true;
    }
    return 0;
  }
  container.replaceChildren(
    ...chips.map(chip => {
      const el = h('span', {
        className: [
          'jp-VisionLens-classChip',
          chip.groundTruth ? 'jp-mod-gt' : 'jp-mod-pred',
          chip.differs ? 'jp-mod-differs' : ''
        ]
          .join(' ')
          .trim(),
        text: chip.differs ? `≠ ${chip.text}` : chip.text,
        title: chip.groundTruth
          ? `ground truth: ${chip.label}`
          : `${chip.source}: ${chip.text}${chip.differs ? ' (differs from the ground truth)' : ''}`
      });
      el.dataset.source = chip.source;
      el.style.setProperty(
        '--jp-VisionLens-classChip-color',
        style.classColor(chip.label)
      );
      return el;
    })
  );
  container.hidden = chips.length === 0;
  return chips.length;
}
