/**
 * Sample view plugin: one full-image view with zoom/pan, box toggles,
 * tables, ←/→ stepping within the current filter (commands bound in
 * schema/sample.json) and tagging, shown over the grid (`SampleOverlay`,
 * the default) or in its own tab (the setting "Open samples in").
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { MainAreaWidget } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { LabelTypeSettings } from '../../model/labels';
import { versionBrowse } from '../../model/versionBrowse';
import { followSettings } from '../../ui/followSettings';
import { CommandIDs, GROUND_TRUTH, IVisionLensModel } from '../../model/tokens';
import { SampleOverlay } from './SampleOverlay';
import { SampleView } from './SampleView';
import { SampleEditing } from './SampleEditing';
import { rotateOperation } from './pointShapes';
import { addBrushCommands } from './brushCommands';
import { addMaskCommands } from './maskCommands';
import { addPointShapeCommands } from './pointShapeCommands';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';

const PLUGIN_ID = 'visionlens_jlab:sample';

/**
 * On the body while the overlay is open over the active panel: Escape's
 * binding (schema/sample.json) then closes it wherever the focus is. A
 * dialog, a menu and the view's text fields handle Escape first and stop it.
 */
const OVERLAY_ACTIVE = 'jp-VisionLens-mod-sampleOverlay';

/** Where a sample opens (the setting "Open samples in"). */
type OpenIn = 'overlay' | 'tab';

/** The command's dataset becomes the open one (no change when it already is). */
async function prepare(
  model: IVisionLensModel,
  args: ReadonlyPartialJSONObject
): Promise<void> {
  await model.restored;
  const dataset = args.dataset as string | undefined;
  if (dataset && dataset !== model.dataset) {
    model.setDataset(dataset);
  }
}

/** A whole-number argument (`sampleId`; `index`: a row of the view query), if given. */
function intArg(args: ReadonlyPartialJSONObject, name: string): number | null {
  const value = args[name];
  const given =
    typeof value === 'number' ||
    (typeof value === 'string' && value.trim() !== '');
  const n = given ? Number(value) : NaN;
  return Number.isInteger(n) ? n : null;
}

export const samplePlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'VisionLens sample view.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ISettingRegistry, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    labShell: ILabShell | null
  ) => {
    let labelTypes: LabelTypeSettings = {};
    let openIn: OpenIn = 'overlay';
    let masking = { model: '', prefetch: true };
    const setMasking = (view: SampleView) => {
      view.editing.masking.segmentModel = masking.model.trim();
      view.editing.masking.prefetch = masking.prefetch;
    };
    const createView = (): SampleView => {
      const view = new SampleView(model, app.commands, sampleId =>
        app.commands.execute(CommandIDs.moreLikeThis, { sampleId })
      );
      view.labelTypes.apply(labelTypes);
      setMasking(view);
      return view;
    };
    const sample = addMainAreaPanel(app, {
      namespace: 'visionlens-sample',
      command: CommandIDs.openSampleTab,
      label: 'Open the Sample View in a Tab',
      icon: PANELS.sample.icon,
      hideToolbar: true,
      mode: 'tab-after',
      prepare: () => prepare(model, {}),
      create: createView,
      update: async (panel, args) => {
        const sampleId = intArg(args, 'sampleId');
        if (sampleId !== null) {
          await panel.content.showSample(sampleId, intArg(args, 'index'));
          void sample.tracker.save(panel);
        }
      },
      restore: {
        name: 'sample',
        args: panel => ({ sampleId: panel.content.sample?.sample_id ?? null })
      },
      restorer
    });

    // The overlay lives over the grid's panel (the one `openGrid` shows); a
    // new grid panel gets a new overlay.
    let overlay: SampleOverlay | null = null;
    const openOverlay = async (sampleId: number, index: number | null) => {
      const panel = await app.commands.execute(CommandIDs.openGrid);
      const host = panel instanceof MainAreaWidget ? panel.content : null;
      if (!host) {
        return;
      }
      if (!overlay || overlay.isDisposed || overlay.host !== host) {
        overlay?.dispose();
        overlay = new SampleOverlay(host, createView(), app.commands);
      }
      await overlay.open(sampleId, index);
      followActive();
    };
    const followActive = () => {
      const host = overlay?.isOpen ? overlay.host : null;
      // focus nowhere (the body): the main area's current panel is the active view
      const active = labShell?.activeWidget ?? app.shell.currentWidget;
      document.body.classList.toggle(
        OVERLAY_ACTIVE,
        host !== null && host.isVisible && !!active?.node.contains(host.node)
      );
    };
    labShell?.activeChanged.connect(followActive);
    labShell?.currentChanged.connect(followActive);
    /** The view the keys act on: the one holding the focus, else the overlay. */
    const active = (): SampleView | null => {
      const views = [
        overlay?.isOpen ? overlay.view : null,
        sample.current?.content ?? null
      ].filter((v): v is SampleView => v !== null);
      const focused = views.find(v => v.node.contains(document.activeElement));
      return focused ?? views[0] ?? null;
    };

    app.commands.addCommand(CommandIDs.openSample, {
      label: openLabel('sample'),
      caption:
        'Show a sample over the grid, or in its own tab (setting "Open samples in")',
      icon: PANELS.sample.icon,
      execute: async args => {
        await prepare(model, args);
        const sampleId = intArg(args, 'sampleId');
        if (openIn === 'overlay' && sampleId !== null) {
          await openOverlay(sampleId, intArg(args, 'index'));
          return;
        }
        return app.commands.execute(CommandIDs.openSampleTab, args);
      }
    });

    followSettings(settingRegistry, PLUGIN_ID, settings => {
      labelTypes = settings.get('labelTypes').composite as LabelTypeSettings;
      openIn = settings.get('openIn').composite as OpenIn;
      masking = {
        model: settings.get('segmentModel').composite as string,
        prefetch: settings.get('segmentPrefetch').composite as boolean
      };
      for (const view of [sample.current?.content, overlay?.view]) {
        view?.labelTypes.apply(labelTypes);
        if (view) {
          setMasking(view);
        }
      }
    });

    // ←/→ step through the rows of the view (a video's frames; Shift: `by`
    // 10): bound in schema/sample.json to the sample view, so other panels
    // keep their arrow keys.
    const steps: [string, string, number][] = [
      [CommandIDs.samplePrevious, 'Show the Previous Sample', -1],
      [CommandIDs.sampleNext, 'Show the Next Sample', 1]
    ];
    // Escape (the overlay: wherever the focus is; a tab: on the view itself):
    // back to the grid, its focus on the sample shown last.
    app.commands.addCommand(CommandIDs.sampleClose, {
      label: 'VisionLens Sample: Back to the Grid',
      caption: 'Close the sample view and focus its sample in the grid',
      execute: async () => {
        const view = active();
        if (
          view?.editing.masking.cancel() ||
          view?.editing.pointShapes.cancel()
        ) {
          return; // Escape drops a mask being prompted or a shape being drawn first
        }
        let index: number | null;
        if (overlay?.isOpen && view === overlay.view) {
          index = overlay.close();
          followActive();
        } else if (sample.current) {
          index = sample.current.content.index;
          sample.current.close();
        } else {
          return;
        }
        await app.commands.execute(CommandIDs.openGrid, {
          ...(index === null ? {} : { index })
        });
      }
    });
    // a browsed version is read-only: no edit command runs on it
    const browse = versionBrowse(model);
    addEditCommands(app, () =>
      browse.isBrowsing ? null : (active()?.editing ?? null)
    );
    for (const [id, label, delta] of steps) {
      app.commands.addCommand(id, {
        label: `VisionLens Sample: ${label}`,
        caption:
          'In the order of the grid (the current filter and sort); in a video, the next frame (Shift: 10 frames)',
        execute: args => active()?.step(delta * (intArg(args, 'by') ?? 1))
      });
    }
  }
};

/** The commands editing the sample view's labels (keys in schema/sample.json). */
function addEditCommands(
  app: JupyterFrontEnd,
  editing: () => SampleEditing | null
): void {
  const selected = () => editing()?.selection ?? null;
  const commands: [
    string,
    string,
    string,
    () => boolean,
    (e: SampleEditing, args: ReadonlyPartialJSONObject) => unknown
  ][] = [
    [
      CommandIDs.sampleDeleteObject,
      'Delete the Selected Object',
      'Delete the selected object',
      () => selected() !== null,
      e => e.deleteSelected()
    ],
    [
      CommandIDs.sampleRelabelObject,
      'Relabel the Selected Object',
      'Give the selected object the class picked beside',
      () => selected() !== null,
      e => e.relabelSelected()
    ],
    [
      CommandIDs.sampleAcceptObject,
      'Accept the Selected Prediction',
      'Add the selected prediction to the ground truth',
      () => (selected()?.source ?? GROUND_TRUTH) !== GROUND_TRUTH,
      e => e.acceptSelected()
    ],
    [
      CommandIDs.sampleRotateObject,
      'Rotate the Selected Rotated Box',
      'Turn the selected rotated box about its centre (] clockwise, [ back; Shift: 1 degree)',
      () => Array.isArray(selected()?.obb),
      (e, args) => {
        const op = rotateOperation(selected(), intArg(args, 'degrees') ?? 5);
        return op && e.apply([op]);
      }
    ],
    [
      CommandIDs.sampleUndoEdit,
      'Undo the Last Label Edit',
      "Undo the dataset's last label edit",
      () => editing() !== null,
      e => e.undo()
    ],
    [
      CommandIDs.sampleRedoEdit,
      'Redo the Last Undone Label Edit',
      'Redo the last undone label edit',
      () => editing() !== null,
      e => e.redo()
    ]
  ];
  for (const [id, label, caption, isEnabled, run] of commands) {
    app.commands.addCommand(id, {
      label: `VisionLens Sample: ${label}`,
      caption,
      isEnabled,
      execute: args => {
        const e = editing();
        return e && isEnabled() ? run(e, args) : undefined;
      }
    });
  }
  app.commands.addCommand(CommandIDs.sampleDrawBox, {
    label: 'VisionLens Sample: Draw a Box',
    caption:
      'Drag on the image to add a ground-truth box of the class picked beside',
    isEnabled: () => editing() !== null,
    isToggled: () => editing()?.tool === 'draw',
    execute: () => {
      const e = editing();
      e?.setTool(e.tool === 'draw' ? 'select' : 'draw');
    }
  });
  addPolygonCommands(app, editing);
  addMaskCommands(app, editing);
  addBrushCommands(app, editing);
  addPointShapeCommands(app, editing);
}

/** The polygon tool's commands (keys in schema/sample.json). */
function addPolygonCommands(
  app: JupyterFrontEnd,
  editing: () => SampleEditing | null
): void {
  app.commands.addCommand(CommandIDs.sampleDrawPolygon, {
    label: 'VisionLens Sample: Draw a Polygon',
    caption:
      'Click the vertices of a new ground-truth polygon of the class picked beside; click the first one again or press Enter to close it',
    isEnabled: () => editing() !== null,
    isToggled: () => editing()?.tool === 'polygon',
    execute: () => {
      const e = editing();
      e?.setTool(e.tool === 'polygon' ? 'select' : 'polygon');
    }
  });
  app.commands.addCommand(CommandIDs.samplePolygonClose, {
    label: 'VisionLens Sample: Close the Polygon',
    caption: 'Add the polygon drawn so far as a new object',
    isEnabled: () => editing()?.polygons.closable ?? false,
    execute: () => editing()?.polygons.close()
  });
  app.commands.addCommand(CommandIDs.samplePolygonUndoPoint, {
    label: "VisionLens Sample: Take Back the Polygon's Last Vertex",
    caption: 'Drop the last vertex of the polygon being drawn',
    isEnabled: () => (editing()?.polygons.points.length ?? 0) > 0,
    execute: () => editing()?.polygons.undoPoint()
  });
}
