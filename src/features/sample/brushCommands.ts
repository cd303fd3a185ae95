/**
 * The mask brush's commands (keys in schema/sample.json): the brush and the
 * eraser as stage tools, and its size a step smaller or larger.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

import { CommandIDs } from '../../model/tokens';
import { SampleEditing } from './SampleEditing';
import { StageTool } from './stagePointer';

/** Add the brush's commands, acting on the view `editing` gives (null: none). */
export function addBrushCommands(
  app: JupyterFrontEnd,
  editing: () => SampleEditing | null
): void {
  const tools: [string, StageTool, string, string][] = [
    [
      CommandIDs.sampleMaskBrush,
      'brush',
      'Mask Brush',
      "Drag to paint the selected object's mask (a box gets one), or the click-to-mask mask; [ and ] change the size"
    ],
    [
      CommandIDs.sampleMaskEraser,
      'erase',
      'Mask Eraser',
      "Drag to clear pixels of the selected object's mask, or of the click-to-mask mask; [ and ] change the size"
    ]
  ];
  for (const [id, tool, label, caption] of tools) {
    app.commands.addCommand(id, {
      label: `VisionLens Sample: ${label}`,
      caption,
      isEnabled: () => editing() !== null,
      isToggled: () => editing()?.tool === tool,
      execute: () => {
        const e = editing();
        e?.setTool(e.tool === tool ? 'select' : tool);
      }
    });
  }
  const sizes: [string, -1 | 1, string][] = [
    [CommandIDs.sampleBrushSmaller, -1, 'Smaller Brush'],
    [CommandIDs.sampleBrushLarger, 1, 'Larger Brush']
  ];
  for (const [id, by, label] of sizes) {
    app.commands.addCommand(id, {
      label: `VisionLens Sample: ${label}`,
      caption: `${label} for the mask brush and eraser`,
      isEnabled: () => editing() !== null,
      execute: () => editing()?.masking.brush.resize(by)
    });
  }
}
