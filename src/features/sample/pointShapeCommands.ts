/**
 * The commands of the tools drawing a new rotated box (R), a new line (L) and
 * a new keypoint object (K); the line's and the keypoints' Enter (finish) and
 * Shift Backspace (take back a point), and the keypoints' S (skip one), while
 * their tool is on (keys in schema/sample.json).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

import { CommandIDs } from '../../model/tokens';
import { SampleEditing } from './SampleEditing';
import { StageTool } from './stagePointer';

/** Add the tools' commands, acting on the view `editing` gives (null: none). */
export function addPointShapeCommands(
  app: JupyterFrontEnd,
  editing: () => SampleEditing | null
): void {
  const tools: [string, StageTool, string, string][] = [
    [
      CommandIDs.sampleDrawRotatedBox,
      'obb',
      'Draw a Rotated Box',
      'Drag the first edge (the heading) of a new ground-truth rotated box of the class picked beside, then move the pointer to set its width and click'
    ],
    [
      CommandIDs.sampleDrawPolyline,
      'polyline',
      'Draw a Line',
      'Click the points of a new ground-truth polyline of the class picked beside; click the last one again or press Enter to finish it'
    ],
    [
      CommandIDs.sampleDrawKeypoints,
      'keypoints',
      'Draw Keypoints',
      'Click the points of a new ground-truth object of the keypoint class picked beside, in its skeleton’s order (S skips one); Enter finishes it'
    ]
  ];
  // the keypoint tool where the dataset has a keypoint class
  const offered = (tool: StageTool) =>
    tool !== 'keypoints' || (editing()?.pointShapes.keypointsOffered ?? false);
  for (const [id, tool, label, caption] of tools) {
    app.commands.addCommand(id, {
      label: `VisionLens Sample: ${label}`,
      caption,
      isEnabled: () => editing() !== null && offered(tool),
      isVisible: () => offered(tool),
      isToggled: () => editing()?.tool === tool,
      execute: () => {
        const e = editing();
        e?.setTool(e.tool === tool ? 'select' : tool);
      }
    });
  }
  const line = () => editing()?.pointShapes.polyline ?? null;
  app.commands.addCommand(CommandIDs.samplePolylineFinish, {
    label: 'VisionLens Sample: Finish the Line',
    caption: 'Add the line drawn so far as a new object (at least two points)',
    // enabled with one point too: finishing it says what is missing
    isEnabled: () => (line()?.points.length ?? 0) > 0,
    execute: () => line()?.finish()
  });
  app.commands.addCommand(CommandIDs.samplePolylineUndoPoint, {
    label: "VisionLens Sample: Take Back the Line's Last Point",
    caption: 'Drop the last point of the line being drawn',
    isEnabled: () => (line()?.points.length ?? 0) > 0,
    execute: () => line()?.undoPoint()
  });
  const points = () => editing()?.pointShapes.keypoints ?? null;
  const placed = () => (points()?.points.length ?? 0) > 0;
  app.commands.addCommand(CommandIDs.sampleKeypointsFinish, {
    label: 'VisionLens Sample: Finish the Keypoints',
    caption:
      'Add the points placed so far as a new object (the rest unlabelled; at least two apart)',
    isEnabled: placed,
    execute: () => points()?.finish()
  });
  app.commands.addCommand(CommandIDs.sampleKeypointsSkip, {
    label: 'VisionLens Sample: Skip the Next Keypoint',
    caption: 'Leave the next point of the new object unlabelled',
    isEnabled: () => editing()?.tool === 'keypoints',
    execute: () => points()?.skip()
  });
  app.commands.addCommand(CommandIDs.sampleKeypointsUndoPoint, {
    label: 'VisionLens Sample: Take Back the Last Keypoint',
    caption: 'Drop the last point placed (or skipped) of the new object',
    isEnabled: placed,
    execute: () => points()?.undoPoint()
  });
}
