/** Jobs panel plugin (right area): the server's background jobs. */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { JobsPanel } from './JobsPanel';

export const jobsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:jobs',
  description: 'VisionLens jobs: queued, running and finished, with cancel.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new JobsPanel(model.jobs, app.commands);
    app.shell.add(panel, 'right', { rank: 610 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(CommandIDs.openJobs, {
      label: openLabel('jobs'),
      icon: PANELS.jobs.icon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openJobs, category: 'VisionLens' });
  }
};
