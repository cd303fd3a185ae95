/**
 * The edit row of the sample view's toolbar: the edit commands' buttons and
 * the class picker, hidden while a version is browsed (read-only).
 */
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { versionBrowse } from '../../model/versionBrowse';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { commandButton, OverflowToolbar } from '../../ui/toolbar';
import { BoxEditor } from './BoxEditor';
import { SampleMasking } from './SampleMasking';

/** The edit row; `editor`'s presses stop while a version is browsed. */
export function editToolbar(
  commands: CommandRegistry,
  model: IVisionLensModel,
  classItem: Widget,
  editor: BoxEditor,
  masking: SampleMasking
): OverflowToolbar {
  const item = (id: string, label: string, className: string) =>
    [id, commandButton(commands, id, { label, className })] as [string, Widget];
  // Items go to the "…" menu from the end: the least used last.
  const bar = new OverflowToolbar('jp-VisionLens-sampleEditBar').add(
    item(CommandIDs.sampleDrawBox, 'Draw box', 'jp-VisionLens-drawBox'),
    item(
      CommandIDs.sampleDrawPolygon,
      'Draw polygon',
      'jp-VisionLens-drawPolygon'
    ),
    item(
      CommandIDs.sampleDrawRotatedBox,
      'Rotated box',
      'jp-VisionLens-drawRotatedBox'
    ),
    item(CommandIDs.sampleDrawPolyline, 'Line', 'jp-VisionLens-drawPolyline'),
    item(
      CommandIDs.sampleDrawKeypoints,
      'Keypoints',
      'jp-VisionLens-drawKeypoints'
    ),
    item(CommandIDs.sampleMaskTool, 'Click to mask', 'jp-VisionLens-maskTool'),
    item(CommandIDs.sampleMaskBrush, 'Brush', 'jp-VisionLens-maskBrush'),
    item(CommandIDs.sampleMaskEraser, 'Eraser', 'jp-VisionLens-maskEraser'),
    ['brushSize', masking.brush.sizeItem],
    ['class', classItem],
    item(CommandIDs.sampleRelabelObject, 'Relabel', 'jp-VisionLens-relabel'),
    item(CommandIDs.sampleDeleteObject, 'Delete', 'jp-VisionLens-deleteObject'),
    item(CommandIDs.sampleUndoEdit, 'Undo', 'jp-VisionLens-undoEdit'),
    item(CommandIDs.sampleRedoEdit, 'Redo', 'jp-VisionLens-redoEdit'),
    item(CommandIDs.sampleAcceptObject, 'Accept', 'jp-VisionLens-acceptObject')
  );
  const browse = versionBrowse(model);
  const follow = () => {
    bar.setHidden(browse.isBrowsing);
    editor.node.style.pointerEvents = browse.isBrowsing ? 'none' : '';
  };
  browse.changed.connect(follow, bar);
  follow();
  return bar;
}
