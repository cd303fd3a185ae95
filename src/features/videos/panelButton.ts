/**
 * A button of a tile panel's bar that runs a command: "Images" back to the
 * grid of frames, "Videos" and "Tracks" between the two views of a video
 * dataset.
 */
import { CommandRegistry } from '@lumino/commands';

import { h } from '../../base/dom';

/** A styled button running `command` (its class: `jp-VisionLens-<label>Button`). */
export function panelButton(
  commands: CommandRegistry,
  command: string,
  label: string,
  title: string
): HTMLButtonElement {
  const button = h('button', {
    className: `jp-VisionLens-${label.toLowerCase()}Button jp-mod-styled`,
    text: label,
    title
  });
  button.addEventListener('click', () => {
    void commands.execute(command);
  });
  return button;
}
