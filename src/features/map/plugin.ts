/**
 * Map plugin: the embedding map panel in the main area, its command (from
 * the palette, the datasets panel and the grid toolbar), settings and layout
 * restoration, and the colour field picked per dataset (kept in the state
 * database). It requires only the shared model token.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';

import { openLabel, PANELS } from '../../ui/panelNames';
import { followSettings } from '../../ui/followSettings';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { MapColorMemory } from './colorMemory';
import { MapWidget } from './MapWidget';
import { IMapSettings } from './settings';
import { MapMethod } from '../../api/mapTypes';

const PLUGIN_ID = 'visionlens_jlab:map';

export const mapPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'VisionLens embedding map (deck.gl).',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    stateDB: IStateDB | null
  ) => {
    let settings: Partial<IMapSettings> = {};
    // outlives each map panel: a reopened one colours by the same field
    const colors = new MapColorMemory(stateDB);
    const map = addMainAreaPanel(app, {
      namespace: 'visionlens-map',
      command: CommandIDs.openMap,
      label: openLabel('map'),
      caption:
        'The embedding map of the current dataset (lasso selects in every panel)',
      icon: PANELS.map.icon,
      hideToolbar: true,
      mode: 'split-right',
      prepare: async args => {
        await model.restored;
        const dataset = args.dataset as string | undefined;
        if (dataset && dataset !== model.dataset) {
          model.setDataset(dataset);
        }
      },
      create: () =>
        new MapWidget({ model, commands: app.commands, settings, colors }),
      update: async (panel, args) => {
        const dataset = args.dataset as string | undefined;
        const method = args.method as MapMethod | undefined;
        if (method || (dataset && panel.content.map?.dataset !== dataset)) {
          await panel.content.load(method);
        }
      },
      restore: { name: 'map' },
      palette,
      restorer
    });

    followSettings(settingRegistry, PLUGIN_ID, loaded => {
      settings = loaded.composite as unknown as Partial<IMapSettings>;
      map.current?.content.setSettings(settings);
    });
  }
};
