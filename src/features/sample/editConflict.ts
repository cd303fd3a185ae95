/**
 * What the sample view shows when another tab changed an object this edit
 * touches: the server's words and the two ways out, applying this edit over
 * theirs (the operations' `expected` made what the object is now) or keeping
 * theirs.
 */
import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { conflictNow } from '../../model/sources/edits';
import { EditOperation, IEditConflict } from '../../model/tokens';

/** The conflict's text and its buttons (no "Apply mine" when the object is gone). */
export function conflictChoices(
  conflict: IEditConflict,
  operations: EditOperation[],
  applyMine: (operations: EditOperation[]) => unknown,
  keepTheirs: () => void
): (string | HTMLButtonElement)[] {
  const { current, text } = conflictNow(conflict);
  const mine = current
    ? operations.map(op =>
        'expected' in op && op.op !== 'classify' && op.op !== 'unclassify'
          ? { ...op, expected: { label: current.label, bbox: current.bbox } }
          : op
      )
    : null;
  return [
    visibleText(text),
    ...(mine
      ? [
          button('Apply mine', 'jp-VisionLens-editApplyMine', () =>
            applyMine(mine)
          )
        ]
      : []),
    button('Keep theirs', 'jp-VisionLens-editKeepTheirs', keepTheirs)
  ];
}

function button(
  label: string,
  className: string,
  onClick: () => unknown
): HTMLButtonElement {
  const b = h('button', { className: `jp-mod-styled ${className}` }, label);
  b.addEventListener('click', () => void onClick());
  return b;
}
