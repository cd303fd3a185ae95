/**
 * Patches plugin: the grid's objects mode as its own main-area panel. The
 * grid's "Objects" button opens it (row kind `objects`); its "Images" button
 * goes back to the grid (row kind `samples`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, panelTitle, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { PatchesModel } from '../../model/patches';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { PatchesWidget } from './PatchesWidget';

export const patchesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:patches',
  description: 'VisionLens patches: a grid whose tiles are objects.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    addMainAreaPanel(app, {
      namespace: 'visionlens-patches',
      command: CommandIDs.openPatches,
      label: args =>
        args.isLauncher ? panelTitle('patches') : openLabel('patches'),
      caption:
        'Browse the objects of the current view: boxes or evaluation patches',
      icon: PANELS.patches.icon,
      hideToolbar: true,
      prepare: async () => {
        await model.restored;
        model.setRowKind('objects');
      },
      create: () =>
        new PatchesWidget(new PatchesModel(model), () => {
          model.setRowKind('samples');
          void app.commands.execute(CommandIDs.openGrid);
        }),
      update: panel => panel.content.load(),
      restore: { name: 'visionlens-patches' },
      palette,
      restorer
    });
  }
};
