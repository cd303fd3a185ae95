/**
 * The sample view's per-source toggles: one checkbox per source of labels
 * (ground truth, the dataset's models, and any other source the sample's
 * objects name), each showing or hiding that source's labels everywhere.
 */
import { h } from '../../base/dom';
import { GROUND_TRUTH, ISample, IVisionLensModel } from '../../model/tokens';

/** The toggles of the sources of `sample` (and of the dataset). */
export function sourceToggles(
  model: IVisionLensModel,
  sample: ISample | null
): HTMLLabelElement[] {
  const sources = new Set<string>([GROUND_TRUTH]);
  for (const m of model.currentInfo?.models ?? []) {
    sources.add(m.name);
  }
  for (const a of sample?.annotations ?? []) {
    sources.add(a.source);
  }
  return [...sources].map(source => {
    const box = h('input', { attrs: { type: 'checkbox' } });
    box.checked = model.isSourceVisible(source);
    box.addEventListener('change', () =>
      model.setSourceVisible(source, box.checked)
    );
    return h(
      'label',
      { className: 'jp-VisionLens-sourceToggle' },
      box,
      source === GROUND_TRUTH ? 'ground truth' : source
    );
  });
}
