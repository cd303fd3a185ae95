/**
 * Embeddings and duplicates plugin: the "compute embeddings" command (model
 * picker, a background job followed in the jobs panel) and the duplicates
 * panel in the right sidebar.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { visionLensIcon } from '../../base/icons';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { DuplicatesPanel } from './DuplicatesPanel';
import { computeEmbeddings } from './EmbedDialog';

export const similarityPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:similarity',
  description:
    'VisionLens embeddings (compute with a model picker) and the duplicates and leaks panel.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    app.commands.addCommand(CommandIDs.computeEmbeddings, {
      label: 'VisionLens: Compute Embeddings…',
      caption: 'Embed the samples of a dataset with a chosen model (a job)',
      icon: visionLensIcon,
      execute: async args => {
        await model.restored;
        const dataset = (args.dataset as string | undefined) || model.dataset;
        if (!dataset) {
          await showErrorMessage('Compute embeddings', 'Open a dataset first.');
          return;
        }
        try {
          if (await computeEmbeddings(model, dataset)) {
            await app.commands.execute(CommandIDs.openJobs);
          }
        } catch (error) {
          await showErrorMessage(
            'Compute embeddings',
            (error as Error).message
          );
        }
      }
    });

    let panel: DuplicatesPanel | null = null;
    const ensurePanel = (): DuplicatesPanel => {
      if (!panel || panel.isDisposed) {
        panel = new DuplicatesPanel(
          model,
          sampleId =>
            void app.commands.execute(CommandIDs.openSample, {
              dataset: model.dataset,
              sampleId
            })
        );
        app.shell.add(panel, 'right', { rank: 700 });
        restorer?.add(panel, panel.id);
      }
      return panel;
    };
    app.commands.addCommand(CommandIDs.openDuplicates, {
      label: openLabel('duplicates'),
      caption: 'Find exact, perceptual and near duplicates and train/val leaks',
      icon: PANELS.duplicates.icon,
      execute: async () => {
        await model.restored;
        const p = ensurePanel();
        app.shell.activateById(p.id);
        await p.load();
        return p;
      }
    });
    void model.restored.then(ensurePanel);
    palette?.addItem({
      command: CommandIDs.computeEmbeddings,
      category: 'VisionLens'
    });
    palette?.addItem({
      command: CommandIDs.openDuplicates,
      category: 'VisionLens'
    });
  }
};
