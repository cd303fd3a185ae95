/**
 * Evaluation plugin: a main-area panel with summary numbers, per-class table,
 * PR curves and a confusion matrix whose cells set the shared filter.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { IVisionLensModel } from '../../model/tokens';
import { EvaluationPanel } from './EvaluationPanel';

/** Command opening the evaluation panel. */
export const OPEN_EVALUATION = 'visionlens:open-evaluation';

export const evaluationPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:evaluation',
  description:
    'VisionLens evaluation panel: AP, per-class table, PR curves, confusion.',
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
      namespace: 'visionlens-evaluation',
      command: OPEN_EVALUATION,
      label: openLabel('evaluation'),
      icon: PANELS.evaluation.icon,
      caption: 'Evaluate predictions of the current dataset and compare models',
      mode: 'split-right',
      prepare: () => model.restored,
      create: () => new EvaluationPanel(model),
      restore: { name: 'evaluation' },
      palette,
      restorer
    });
  }
};
