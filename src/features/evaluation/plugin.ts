/**
 * Evaluation plugin: a main-area panel with summary numbers, per-class table,
 * PR curves and a confusion matrix whose cells set the shared filter; opened
 * from the launcher, the grid's toolbar and the palette.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';

import { openLabel, PANELS, panelTitle } from '../../ui/panelNames';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { EvaluationPanel } from './EvaluationPanel';

export const evaluationPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:evaluation',
  description:
    'VisionLens evaluation panel: AP, per-class table, PR curves, confusion.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null
  ) => {
    addMainAreaPanel(app, {
      namespace: 'visionlens-evaluation',
      command: CommandIDs.openEvaluation,
      label: args =>
        args.isLauncher ? panelTitle('evaluation') : openLabel('evaluation'),
      icon: PANELS.evaluation.icon,
      caption: 'Evaluate predictions of the current dataset and compare models',
      mode: 'split-right',
      prepare: () => model.restored,
      create: () => new EvaluationPanel(model),
      restore: { name: 'evaluation' },
      palette,
      restorer
    });
    // Beside the grid's card: a new user looks for the panels there.
    launcher?.add({
      command: CommandIDs.openEvaluation,
      category: 'VisionLens',
      rank: 2,
      args: { isLauncher: true }
    });
  }
};
