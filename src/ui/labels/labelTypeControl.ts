/**
 * The toolbar control of the label types a view draws: one checkbox per
 * type (boxes, masks, keypoints, classifications) and one for the boxes'
 * class names, following the view's toggles (also set from the settings).
 */
import { Widget } from '@lumino/widgets';

import { LABEL_TYPES, LabelTypeToggles } from '../../model/labels';
import { visibleText } from '../../base/dataText';
import { h } from '../../base/dom';
import { toolbarItem } from '../toolbar';
import { statusLegend } from './evalColours';

/**
 * A toolbar item toggling the label types of `toggles`; with `matching`, also
 * whether only the labels that match the filter are drawn (the grid's pages
 * say which match; the sample view's single sample does not).
 */
export function labelTypeControl(
  toggles: LabelTypeToggles,
  matching = false
): Widget {
  const boxes = LABEL_TYPES.map(({ type, title }) => {
    const box = h('input', { attrs: { type: 'checkbox' } });
    box.dataset.labelType = type;
    box.checked = toggles.isShown(type);
    box.addEventListener('change', () => toggles.setShown(type, box.checked));
    return h(
      'label',
      {
        className: 'jp-VisionLens-labelTypeToggle',
        title: `Draw ${title.toLowerCase()}`
      },
      box,
      title
    );
  });
  const names = h('input', { attrs: { type: 'checkbox' } });
  names.checked = toggles.names;
  names.addEventListener('change', () => toggles.setNames(names.checked));
  const namesLabel = h(
    'label',
    {
      className: 'jp-VisionLens-labelTypeToggle jp-VisionLens-boxNames',
      title: "Write each box's class (and a prediction's score) beside it"
    },
    names,
    'Names'
  );
  const only = h('input', { attrs: { type: 'checkbox' } });
  only.checked = toggles.onlyMatching;
  only.addEventListener('change', () => toggles.setOnlyMatching(only.checked));
  const onlyLabel = h(
    'label',
    {
      className: 'jp-VisionLens-labelTypeToggle jp-VisionLens-onlyMatching',
      title:
        "Draw only the labels that match the filter's label conditions (class, score, evaluation)"
    },
    only,
    'Matching only'
  );
  const item = toolbarItem(
    'jp-VisionLens-labelTypesItem',
    ...boxes,
    namesLabel,
    ...(matching ? [onlyLabel] : [])
  );
  const sync = () => {
    only.checked = toggles.onlyMatching;
    names.checked = toggles.names;
    for (const box of item.node.querySelectorAll<HTMLInputElement>(
      'input[data-label-type]'
    )) {
      box.checked = toggles.isShown(
        box.dataset.labelType as (typeof LABEL_TYPES)[number]['type']
      );
    }
  };
  toggles.changed.connect(sync);
  item.disposed.connect(() => toggles.changed.disconnect(sync));
  return item;
}

/**
 * A toolbar item colouring the boxes by evaluation status (TP/FP/FN) instead
 * of by class, with the legend of the colours while on.
 */
export function evalColourControl(toggles: LabelTypeToggles): Widget {
  const box = h('input', { attrs: { type: 'checkbox' } });
  box.addEventListener('change', () => toggles.setEvalColours(box.checked));
  const legend = statusLegend();
  const item = toolbarItem(
    'jp-VisionLens-evalColoursItem',
    h(
      'label',
      {
        className: 'jp-VisionLens-labelTypeToggle jp-VisionLens-evalColours',
        title:
          'Colour labels by their status in the evaluation shown in the Evaluation panel (else the newest): TP, FP, FN (missed)'
      },
      box,
      'TP/FP/FN'
    ),
    legend
  );
  // Which evaluation judged what is drawn: the legend says (text, never HTML).
  const of = h('span', { className: 'jp-VisionLens-evalLegendOf' });
  legend.prepend(of);
  const sync = () => {
    box.checked = toggles.evalColours;
    legend.hidden = !toggles.evalColours;
    const shown = toggles.evaluationShown;
    of.textContent = shown ? `${visibleText(shown)}:` : '';
    of.title = shown ? `TP/FP/FN in the evaluation ${visibleText(shown)}` : '';
  };
  sync();
  toggles.changed.connect(sync);
  item.disposed.connect(() => toggles.changed.disconnect(sync));
  return item;
}
