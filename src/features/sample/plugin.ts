/**
 * Sample view plugin: one full-image view with zoom/pan, box toggles,
 * tables, ←/→ stepping within the current filter (commands bound in
 * schema/sample.json) and tagging.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { openLabel, PANELS } from '../../ui/panelNames';
import { LabelTypeSettings } from '../../model/labels';
import { versionBrowse } from '../../model/versionBrowse';
import { followSettings } from '../../ui/followSettings';
import { CommandIDs, GROUND_TRUTH, IVisionLensModel } from '../../model/tokens';
import { SampleView } from './SampleView';
import { SampleEditing } from './SampleEditing';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';

const PLUGIN_ID = 'visionlens_jlab:sample';

export const samplePlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'VisionLens sample view.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    let labelTypes: LabelTypeSettings = {};
    const sample = addMainAreaPanel(app, {
      namespace: 'visionlens-sample',
      command: CommandIDs.openSample,
      label: openLabel('sample'),
      icon: PANELS.sample.icon,
      hideToolbar: true,
      mode: 'tab-after',
      prepare: async args => {
        await model.restored;
        const dataset = args.dataset as string | undefined;
        if (dataset && dataset !== model.dataset) {
          model.setDataset(dataset);
        }
      },
      create: () => {
        const view = new SampleView(model, app.commands, sampleId =>
          app.commands.execute(CommandIDs.moreLikeThis, { sampleId })
        );
        view.labelTypes.apply(labelTypes);
        return view;
      },
      update: async (panel, args) => {
        const sampleId = Number(args.sampleId);
        if (Number.isInteger(sampleId)) {
          const index =
            args.index === undefined || args.index === null
              ? null
              : Number(args.index);
          await panel.content.showSample(sampleId, index);
          void sample.tracker.save(panel);
        }
      },
      restore: {
        name: 'sample',
        args: panel => ({ sampleId: panel.content.sample?.sample_id ?? null })
      },
      restorer
    });

    followSettings(settingRegistry, PLUGIN_ID, settings => {
      labelTypes = settings.get('labelTypes').composite as LabelTypeSettings;
      sample.current?.content.labelTypes.apply(labelTypes);
    });

    // ←/→ step through the rows of the view: bound in schema/sample.json to
    // the sample view, so other panels keep their arrow keys.
    const steps: [string, string, number][] = [
      [CommandIDs.samplePrevious, 'Show the Previous Sample', -1],
      [CommandIDs.sampleNext, 'Show the Next Sample', 1]
    ];
    // Escape on the view itself (not in its toolbar, where it closes a menu or
    // leaves a field): back to the grid, its focus on the sample shown last.
    app.commands.addCommand(CommandIDs.sampleClose, {
      label: 'VisionLens Sample: Back to the Grid',
      caption: 'Close the sample view and focus its sample in the grid',
      execute: async () => {
        const panel = sample.current;
        if (!panel) {
          return;
        }
        const index = panel.content.index;
        panel.close();
        await app.commands.execute(CommandIDs.openGrid, {
          ...(index === null ? {} : { index })
        });
      }
    });
    // a browsed version is read-only: no edit command runs on it
    const browse = versionBrowse(model);
    addEditCommands(app, () =>
      browse.isBrowsing ? null : (sample.current?.content.editing ?? null)
    );
    for (const [id, label, delta] of steps) {
      app.commands.addCommand(id, {
        label: `VisionLens Sample: ${label}`,
        caption: 'In the order of the grid (the current filter and sort)',
        execute: () => sample.current?.content.step(delta)
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
    (e: SampleEditing) => unknown
  ][] = [
    [
      CommandIDs.sampleDeleteObject,
      'Delete the Selected Object',
      'Delete the selected box (Delete)',
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
      execute: () => {
        const e = editing();
        return e && isEnabled() ? run(e) : undefined;
      }
    });
  }
  app.commands.addCommand(CommandIDs.sampleDrawBox, {
    label: 'VisionLens Sample: Draw a Box',
    caption:
      'Drag on the image to add a ground-truth box of the class picked beside (B)',
    isEnabled: () => editing() !== null,
    isToggled: () => editing()?.drawing ?? false,
    execute: () => {
      const e = editing();
      e?.setTool(e.drawing ? 'select' : 'draw');
    }
  });
}
