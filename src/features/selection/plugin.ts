/**
 * Selection plugin: the panel choosing what to label next in the right
 * sidebar, its command and its settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { ISelectionSettings } from './SelectionForm';
import { SelectionPanel } from './SelectionPanel';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { followSettings } from '../../ui/followSettings';
import { addSidebarPanel } from '../../ui/sidebarPanel';

const PLUGIN_ID = 'visionlens_jlab:selection';

export const selectionPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'VisionLens selection: choose what to label next from the current view by weighted strategies.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    let settings: Partial<ISelectionSettings> = {};
    const panel = addSidebarPanel(app, {
      name: 'selection',
      command: CommandIDs.openSelection,
      caption:
        'Choose what to label next from the current view (diversity, uncertainty, balance…)',
      rank: 770,
      create: () => {
        const made = new SelectionPanel(model, {
          openGrid: () => app.commands.execute(CommandIDs.openGrid),
          openMap: () => app.commands.execute(CommandIDs.openMap),
          exportView: () => app.commands.execute(CommandIDs.exportView),
          labelStudio: () => app.commands.execute(CommandIDs.labelStudio),
          openSample: (dataset, sampleId) =>
            void app.commands.execute(CommandIDs.openSample, {
              dataset,
              sampleId
            })
        });
        made.setSettings(settings);
        return made;
      },
      restored: model.restored,
      restorer,
      palette
    });
    followSettings(settingRegistry, PLUGIN_ID, loaded => {
      settings = loaded.composite as unknown as Partial<ISelectionSettings>;
      panel()?.setSettings(settings);
    });
  }
};
