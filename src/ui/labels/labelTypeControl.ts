/**
 * The toolbar control of the label types a view draws: one checkbox per
 * type (boxes, masks, keypoints, classifications), following the view's
 * toggles (also set from the settings).
 */
import { Widget } from '@lumino/widgets';

import { LABEL_TYPES, LabelTypeToggles } from '../../model/labels';
import { h } from '../../base/dom';
import { toolbarItem } from '../toolbar';

/** A toolbar item toggling the label types of `toggles`. */
export function labelTypeControl(toggles: LabelTypeToggles): Widget {
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
  const item = toolbarItem('jp-VisionLens-labelTypesItem', ...boxes);
  const sync = () => {
    for (const box of item.node.querySelectorAll('input')) {
      box.checked = toggles.isShown(
        box.dataset.labelType as (typeof LABEL_TYPES)[number]['type']
      );
    }
  };
  toggles.changed.connect(sync);
  item.disposed.connect(() => toggles.changed.disconnect(sync));
  return item;
}
