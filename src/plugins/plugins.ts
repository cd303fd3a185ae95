/**
 * Plugins panel plugin: lists the server's Python plugins and the lab-side
 * contributions of other extensions; opened from the command palette and
 * the datasets panel.
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
import { extensionIcon } from '@jupyterlab/ui-components';

import { CommandIDs, IVisionLensModel } from '../tokens';
import { PluginsPanel } from '../widgets/PluginsPanel';

export const pluginsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:plugins',
  description: 'VisionLens plugins: Python plugins and lab-side contributions.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<PluginsPanel>>({
      namespace: 'visionlens-plugins'
    });
    let widget: MainAreaWidget<PluginsPanel> | null = null;
    app.commands.addCommand(CommandIDs.openPlugins, {
      label: 'VisionLens: Show Plugins',
      icon: extensionIcon,
      execute: () => {
        if (!widget || widget.isDisposed) {
          widget = new MainAreaWidget({ content: new PluginsPanel(model) });
          widget.id = 'visionlens-plugins-main';
          widget.title.label = 'VisionLens Plugins';
          widget.title.icon = extensionIcon;
          void tracker.add(widget);
          app.shell.add(widget, 'main');
        }
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    palette?.addItem({
      command: CommandIDs.openPlugins,
      category: 'VisionLens'
    });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openPlugins,
        name: () => 'visionlens-plugins'
      });
    }
  }
};
