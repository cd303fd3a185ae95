/**
 * The sample view's edit row: every drawing tool has its button, the rotated
 * box (R) and the line (L) too, titled with its key; a press of either turns
 * its tool on, says how to draw, and a second press turns it off and takes
 * the hint away. What the tools say lies over the image (the stage's notes),
 * not in the header above it, so that a hint appearing never moves the image
 * (the layout itself: ui-tests/tests/pointShapeDrawing.spec.ts).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ServerConnection } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { CommandIDs } from '../../../model/tokens';
import { addBrushCommands } from '../brushCommands';
import { addMaskCommands } from '../maskCommands';
import { addPointShapeCommands } from '../pointShapeCommands';
import { KEYPOINT_CLASS_HINT } from '../KeypointDrawer';
import { POLYLINE_HINT } from '../PolylineDrawer';
import { ROTATED_BOX_HINT } from '../RotatedBoxDrawer';
import { SampleView } from '../SampleView';
import schema from '../../../../schema/sample.json';

/** The button of the edit row's item `tool` (its class without the prefix). */
function button(bar: HTMLElement, tool: string): HTMLElement | null {
  return bar.querySelector<HTMLElement>(
    `.jp-VisionLens-${tool} .jp-ToolbarButtonComponent`
  );
}

/** The drawing tools' items in the edit row. */
const TOOLS = [
  'drawBox',
  'drawPolygon',
  'drawRotatedBox',
  'drawPolyline',
  'drawKeypoints',
  'maskTool',
  'maskBrush',
  'maskEraser'
];

/** The edit row of `view`, once its React buttons have rendered. */
async function editRow(view: SampleView): Promise<HTMLElement> {
  const bar = view.node.querySelector<HTMLElement>(
    '.jp-VisionLens-sampleEditBar'
  )!;
  const missing = () => TOOLS.some(tool => !button(bar, tool));
  for (let i = 0; i < 200 && missing(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  return bar;
}

describe("the sample view's edit row", () => {
  let view: SampleView;

  beforeEach(() => {
    const model = new VisionLensModel({
      client: new VisionLensClient(ServerConnection.makeSettings()),
      state: null,
      saveDelay: 0
    });
    const commands = new CommandRegistry();
    const app = { commands } as unknown as JupyterFrontEnd;
    view = new SampleView(model, commands);
    const editing = () => view.editing;
    addPointShapeCommands(app, editing);
    addMaskCommands(app, editing);
    addBrushCommands(app, editing);
    // the plugin's other commands, which the view's edits notify
    for (const id of Object.values(CommandIDs)) {
      if (id.startsWith('visionlens:sample-') && !commands.hasCommand(id)) {
        commands.addCommand(id, { execute: () => undefined });
      }
    }
    for (const binding of schema['jupyter.lab.shortcuts']) {
      commands.addKeyBinding(binding);
    }
    Widget.attach(view, document.body);
  });

  afterEach(() => view.dispose());

  it('has a button for every drawing tool, the rotated box and the line with their keys', async () => {
    const bar = await editRow(view);
    for (const tool of TOOLS) {
      expect([tool, button(bar, tool) !== null]).toEqual([tool, true]);
    }
    expect(button(bar, 'drawRotatedBox')!.textContent).toBe('Rotated box');
    expect(button(bar, 'drawRotatedBox')!.title).toMatch(/\(R\)$/);
    expect(button(bar, 'drawPolyline')!.textContent).toBe('Line');
    expect(button(bar, 'drawPolyline')!.title).toMatch(/\(L\)$/);
  });

  it('names each key once in a button title (the toolbar adds it to the caption)', async () => {
    const bar = await editRow(view);
    const keys: [string, string][] = [
      ['drawRotatedBox', 'R'],
      ['drawPolyline', 'L'],
      ['drawKeypoints', 'K'],
      ['maskTool', 'M'],
      ['maskBrush', 'U'],
      ['maskEraser', 'E']
    ];
    for (const [tool, key] of keys) {
      const title = button(bar, tool)!.title;
      expect([tool, title.split(`(${key})`).length - 1]).toEqual([tool, 1]);
    }
  });

  it('turns the rotated-box and line tools on and off, the hint with them', async () => {
    const bar = await editRow(view);
    const stage = view.node.querySelector<HTMLElement>('.jp-VisionLens-stage')!;
    const hint = view.editing.hint;
    // (the buttons act on the press: a click would move the focus)
    const press = (tool: string) =>
      button(bar, tool)!.dispatchEvent(
        new MouseEvent('mousedown', { bubbles: true, button: 0 })
      );

    press('drawRotatedBox');
    expect(stage.dataset.tool).toBe('obb');
    expect(hint.textContent).toBe(ROTATED_BOX_HINT);
    press('drawPolyline');
    expect(stage.dataset.tool).toBe('polyline');
    expect(hint.textContent).toBe(POLYLINE_HINT);
    press('drawPolyline');
    expect(stage.dataset.tool).toBe('select');
    expect(hint.textContent).toBe('');
  });

  it('offers the keypoint tool only where the dataset has a keypoint class', async () => {
    const bar = await editRow(view);
    const keypoints = bar.querySelector('.jp-VisionLens-drawKeypoints')!;
    // (no dataset shown: no keypoint class) hidden, and K does nothing
    expect(keypoints.classList.contains('lm-mod-hidden')).toBe(true);
    expect(view.editing.pointShapes.keypointsOffered).toBe(false);
    view.editing.setTool('keypoints');
    expect(view.editing.pointShapes.keypoints.hint()).toBe(KEYPOINT_CLASS_HINT);
  });

  it('says what the tools say over the image, not in the header above it', () => {
    const stage = view.node.querySelector('.jp-VisionLens-stage')!;
    const header = view.node.querySelector('.jp-VisionLens-gridToolbar')!;
    for (const row of [
      view.editing.hint,
      view.editing.message,
      view.editing.masking.status
    ]) {
      expect(stage.contains(row)).toBe(true);
      expect(header.contains(row)).toBe(false);
    }
  });
});
