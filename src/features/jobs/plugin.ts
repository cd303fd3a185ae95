/** Jobs panel plugin (right area): the server's background jobs. */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { listIcon } from '@jupyterlab/ui-components';

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
    const panel = new JobsPanel(model.jobs);
    panel.title.icon = listIcon;
    app.shell.add(panel, 'right', { rank: 610 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(CommandIDs.openJobs, {
      label: 'VisionLens: Show Jobs',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openJobs, category: 'VisionLens' });
  }
};
