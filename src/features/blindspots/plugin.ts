/**
 * Blind-spots plugin: the panel of a model's blind spots in the right
 * sidebar, its command and its settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { BlindSpotsPanel, IBlindSpotsSettings } from './BlindSpotsPanel';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { followSettings } from '../../ui/followSettings';
import { addSidebarPanel } from '../../ui/sidebarPanel';

const PLUGIN_ID = 'visionlens_jlab:blindspots';

export const blindSpotsPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'VisionLens blind spots: slices where an evaluated model is worse, as cards.',
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
    let settings: Partial<IBlindSpotsSettings> = {};
    const panel = addSidebarPanel(app, {
      name: 'blindspots',
      command: CommandIDs.openBlindSpots,
      caption: 'Find slices where an evaluated model is worse than on the rest',
      rank: 750,
      create: () => {
        const made = new BlindSpotsPanel(
          model,
          () => app.commands.execute(CommandIDs.openGrid),
          (dataset, sampleId) =>
            void app.commands.execute(CommandIDs.openSample, {
              dataset,
              sampleId
            })
        );
        made.setSettings(settings);
        return made;
      },
      restored: model.restored,
      restorer,
      palette
    });
    followSettings(settingRegistry, PLUGIN_ID, loaded => {
      settings = loaded.composite as unknown as Partial<IBlindSpotsSettings>;
      panel()?.setSettings(settings);
    });
  }
};
