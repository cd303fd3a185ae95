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

import { openLabel, PANELS } from '../../ui/panelNames';
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
      label: openLabel('plugins'),
      icon: PANELS.plugins.icon,
      create: () => new PluginsPanel(model),
      restore: { name: 'visionlens-plugins' },
      palette,
      restorer
    });
  }
};
