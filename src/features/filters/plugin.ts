/** Filter sidebar plugin (right area). */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { FilterPanel } from './FilterPanel';

export const filtersPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:filters',
  description: 'VisionLens filter sidebar: facets, chips, undo.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new FilterPanel(model, app.commands);
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(CommandIDs.openFilters, {
      label: openLabel('filters'),
      icon: PANELS.filters.icon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({
      command: CommandIDs.openFilters,
      category: 'VisionLens'
    });
  }
};
