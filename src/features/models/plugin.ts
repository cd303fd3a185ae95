/**
 * Model jobs plugin: the "run a model" command (a detector, a zero-shot
 * classifier, a captioner or a VLM over the dataset or the grid's view, as a
 * job followed in the jobs panel).
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';

import { visionLensIcon } from '../../base/icons';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { runModel } from './PredictDialog';

export const modelsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:models',
  description:
    'VisionLens model jobs: run a detector, classifier, captioner or VLM on a dataset or view.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null
  ) => {
    app.commands.addCommand(CommandIDs.runModel, {
      label: 'VisionLens: Run a Model…',
      caption:
        'Run a detector, classifier, captioner or VLM on the dataset or the grid’s view (a job)',
      icon: visionLensIcon,
      execute: async args => {
        await model.restored;
        const dataset = (args.dataset as string | undefined) || model.dataset;
        if (!dataset) {
          await showErrorMessage('Run a model', 'Open a dataset first.');
          return;
        }
        try {
          if (await runModel(model, dataset)) {
            await app.commands.execute(CommandIDs.openJobs);
          }
        } catch (error) {
          await showErrorMessage('Run a model', (error as Error).message);
        }
      }
    });
    palette?.addItem({ command: CommandIDs.runModel, category: 'VisionLens' });
  }
};
