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
import { ICommandPalette } from '@jupyterlab/apputils';
import { extensionIcon } from '@jupyterlab/ui-components';

import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { PluginsPanel } from './PluginsPanel';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';

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
    addMainAreaPanel(app, {
      namespace: 'visionlens-plugins',
      command: CommandIDs.openPlugins,
      label: 'VisionLens: Show Plugins',
      icon: extensionIcon,
      title: 'VisionLens Plugins',
      create: () => new PluginsPanel(model),
      restore: { name: 'visionlens-plugins' },
      palette,
      restorer
    });
  }
};
