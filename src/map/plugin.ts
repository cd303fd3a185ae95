/**
 * Map plugin: the embedding map panel in the main area, its command (from
 * the palette, the datasets panel and the grid toolbar), settings and layout
 * restoration. It requires only the shared model token.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { visionLensIcon } from '../icons';
import { CommandIDs, IVisionLensModel } from '../tokens';
import { MapWidget } from './MapWidget';
import { IMapSettings } from './settings';
import { MapMethod } from './types';

const PLUGIN_ID = 'visionlens_jlab:map';

export const mapPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'VisionLens embedding map (deck.gl).',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<MapWidget>>({
      namespace: 'visionlens-map'
    });
    let settings: Partial<IMapSettings> = {};
    let widget: MainAreaWidget<MapWidget> | null = null;

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          const apply = () => {
            settings = loaded.composite as unknown as Partial<IMapSettings>;
            if (widget && !widget.isDisposed) {
              widget.content.setSettings(settings);
            }
          };
          apply();
          loaded.changed.connect(apply);
        })
        .catch(reason => console.warn('VisionLens map: settings', reason));
    }

    app.commands.addCommand(CommandIDs.openMap, {
      label: 'VisionLens: Open Embedding Map',
      caption:
        'The embedding map of the current dataset (lasso selects in every panel)',
      icon: visionLensIcon,
      execute: async args => {
        await model.restored;
        const dataset = args.dataset as string | undefined;
        if (dataset && dataset !== model.dataset) {
          model.setDataset(dataset);
        }
        if (!widget || widget.isDisposed) {
          const content = new MapWidget({
            model,
            commands: app.commands,
            settings
          });
          widget = new MainAreaWidget({ content });
          widget.id = 'visionlens-map-main';
          widget.toolbar.hide();
          widget.title.icon = visionLensIcon;
          widget.title.label = content.title.label;
          content.title.changed.connect(() => {
            if (widget) {
              widget.title.label = content.title.label;
            }
          });
          void tracker.add(widget);
        }
        if (!widget.isAttached) {
          app.shell.add(widget, 'main', { mode: 'split-right' });
        }
        app.shell.activateById(widget.id);
        const method = args.method as MapMethod | undefined;
        if (method || (dataset && widget.content.map?.dataset !== dataset)) {
          await widget.content.load(method);
        }
        return widget;
      }
    });

    restorer?.restore(tracker, {
      command: CommandIDs.openMap,
      args: () => ({}),
      name: () => 'map'
    });
    palette?.addItem({ command: CommandIDs.openMap, category: 'VisionLens' });
  }
};
