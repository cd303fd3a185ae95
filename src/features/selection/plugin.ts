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

import { ISelectionSettings, SelectionPanel } from './SelectionPanel';
import { openLabel, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { followSettings } from '../../ui/followSettings';

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
    let panel: SelectionPanel | null = null;
    const ensurePanel = (): SelectionPanel => {
      if (!panel || panel.isDisposed) {
        panel = new SelectionPanel(model, {
          openGrid: () => app.commands.execute(CommandIDs.openGrid),
          openMap: () => app.commands.execute(CommandIDs.openMap),
          openSample: (dataset, sampleId) =>
            void app.commands.execute(CommandIDs.openSample, {
              dataset,
              sampleId
            })
        });
        panel.setSettings(settings);
        app.shell.add(panel, 'right', { rank: 770 });
        restorer?.add(panel, panel.id);
      }
      return panel;
    };
    followSettings(settingRegistry, PLUGIN_ID, loaded => {
      settings = loaded.composite as unknown as Partial<ISelectionSettings>;
      panel?.setSettings(settings);
    });
    app.commands.addCommand(CommandIDs.openSelection, {
      label: openLabel('selection'),
      caption:
        'Choose what to label next from the current view (diversity, uncertainty, balance…)',
      icon: PANELS.selection.icon,
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
      command: CommandIDs.openSelection,
      category: 'VisionLens'
    });
  }
};
