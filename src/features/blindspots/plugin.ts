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
import { openLabel, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { followSettings } from '../../ui/followSettings';

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
    let panel: BlindSpotsPanel | null = null;
    const ensurePanel = (): BlindSpotsPanel => {
      if (!panel || panel.isDisposed) {
        panel = new BlindSpotsPanel(
          model,
          () => app.commands.execute(CommandIDs.openGrid),
          (dataset, sampleId) =>
            void app.commands.execute(CommandIDs.openSample, {
              dataset,
              sampleId
            })
        );
        panel.setSettings(settings);
        app.shell.add(panel, 'right', { rank: 750 });
        restorer?.add(panel, panel.id);
      }
      return panel;
    };
    followSettings(settingRegistry, PLUGIN_ID, loaded => {
      settings = loaded.composite as unknown as Partial<IBlindSpotsSettings>;
      panel?.setSettings(settings);
    });
    app.commands.addCommand(CommandIDs.openBlindSpots, {
      label: openLabel('blindspots'),
      caption: 'Find slices where an evaluated model is worse than on the rest',
      icon: PANELS.blindspots.icon,
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
      command: CommandIDs.openBlindSpots,
      category: 'VisionLens'
    });
  }
};
