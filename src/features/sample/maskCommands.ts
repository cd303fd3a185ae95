/**
 * The click-to-mask tool's commands (keys in schema/sample.json): the tool
 * itself (M), and while a mask is prompted, keeping it as a new object
 * (Enter) or as the selected object's mask (Shift Enter), and taking back the
 * last click (Shift Backspace).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

import { CommandIDs } from '../../model/tokens';
import { SampleEditing } from './SampleEditing';

/** Add the click-to-mask commands, acting on the view `editing` gives (null: none). */
export function addMaskCommands(
  app: JupyterFrontEnd,
  editing: () => SampleEditing | null
): void {
  const masking = () => editing()?.masking ?? null;
  app.commands.addCommand(CommandIDs.sampleMaskTool, {
    label: 'VisionLens Sample: Click to Mask',
    caption:
      'Click on an object for its mask (right-click or Alt-click: not the object; drag: a box)',
    isEnabled: () => editing() !== null,
    isToggled: () => masking()?.active ?? false,
    execute: () => {
      const e = editing();
      e?.setTool(e.masking.active ? 'select' : 'mask');
    }
  });
  const commands: [string, string, string, () => boolean, () => unknown][] = [
    [
      CommandIDs.sampleMaskAccept,
      'Add the Mask as a New Object',
      'Keep the mask as a new object of the class picked beside',
      () => masking()?.ready ?? false,
      () => masking()?.accept()
    ],
    [
      CommandIDs.sampleMaskToSelected,
      "Make the Mask the Selected Object's Mask",
      'Keep the mask as the mask of the selected object, its box unchanged',
      () => (masking()?.ready ?? false) && editing()?.selection !== null,
      () => masking()?.acceptAsMaskOf()
    ],
    [
      CommandIDs.sampleMaskUndoClick,
      'Take Back the Last Mask Click',
      'Drop the last click (then the box) of the mask being prompted',
      () => masking()?.session.state.kind !== 'idle' && masking() !== null,
      () => masking()?.session.undoLast()
    ]
  ];
  for (const [id, label, caption, isEnabled, run] of commands) {
    app.commands.addCommand(id, {
      label: `VisionLens Sample: ${label}`,
      caption,
      isEnabled,
      execute: () => (isEnabled() ? run() : undefined)
    });
  }
}
