/**
 * Evaluation plugin: a main-area panel with summary numbers, per-class table,
 * PR curves and a confusion matrix whose cells set the shared filter.
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

import { IVisionLensModel } from '../tokens';
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
    const tracker = new WidgetTracker<MainAreaWidget<EvaluationPanel>>({
      namespace: 'visionlens-evaluation'
    });
    let widget: MainAreaWidget<EvaluationPanel> | null = null;
    app.commands.addCommand(OPEN_EVALUATION, {
      label: 'VisionLens: Open Evaluation',
      caption: 'Evaluate predictions of the current dataset and compare models',
      execute: async () => {
        await model.restored;
        if (!widget || widget.isDisposed) {
          widget = new MainAreaWidget({ content: new EvaluationPanel(model) });
          widget.id = 'visionlens-evaluation-main';
          widget.title.label = 'VisionLens Evaluation';
          void tracker.add(widget);
        }
        if (!widget.isAttached) {
          app.shell.add(widget, 'main', { mode: 'split-right' });
        }
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    palette?.addItem({ command: OPEN_EVALUATION, category: 'VisionLens' });
    restorer?.restore(tracker, {
      command: OPEN_EVALUATION,
      args: () => ({}),
      name: () => 'evaluation'
    });
  }
};
