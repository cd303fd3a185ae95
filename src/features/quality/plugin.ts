/**
 * Quality plugin: the panel of the open dataset's label and image issues in
 * the right sidebar, and its command. A row opens the patches view (through
 * the open-patches command's arguments) or the grid.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { QualityModel } from '../../model/quality';
import { QualityPanel } from './QualityPanel';
import { addSidebarPanel } from '../../ui/sidebarPanel';

export const qualityPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:quality',
  description:
    'VisionLens quality: label and image issue types with counts, each one click from its members.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    addSidebarPanel(app, {
      name: 'quality',
      command: CommandIDs.openQuality,
      caption:
        'Label and image issues of the open dataset, each one click from its members',
      rank: 760,
      create: () =>
        new QualityPanel(
          new QualityModel(model, {
            patches: args => app.commands.execute(CommandIDs.openPatches, args),
            grid: () => app.commands.execute(CommandIDs.openGrid)
          })
        ),
      restored: model.restored,
      restorer,
      palette
    });
  }
};
