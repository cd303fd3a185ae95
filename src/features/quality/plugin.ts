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

import { openLabel, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { QualityModel } from '../../model/quality';
import { QualityPanel } from './QualityPanel';

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
    let panel: QualityPanel | null = null;
    const ensurePanel = (): QualityPanel => {
      if (!panel || panel.isDisposed) {
        const quality = new QualityModel(model, {
          patches: args => app.commands.execute(CommandIDs.openPatches, args),
          grid: () => app.commands.execute(CommandIDs.openGrid)
        });
        panel = new QualityPanel(quality);
        app.shell.add(panel, 'right', { rank: 760 });
        restorer?.add(panel, panel.id);
      }
      return panel;
    };
    app.commands.addCommand(CommandIDs.openQuality, {
      label: openLabel('quality'),
      caption:
        'Label and image issues of the open dataset, each one click from its members',
      icon: PANELS.quality.icon,
      execute: async () => {
        await model.restored;
        const p = ensurePanel();
        app.shell.activateById(p.id);
        await p.load();
        return p;
      }
    });
    void model.restored.then(() => void ensurePanel().load());
    palette?.addItem({
      command: CommandIDs.openQuality,
      category: 'VisionLens'
    });
  }
};
