/**
 * Sample view plugin: one full-image view with zoom/pan, box toggles,
 * tables, ←/→ stepping within the current filter and tagging.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';

import { visionLensIcon } from '../icons';
import { CommandIDs, IVisionLensModel } from '../tokens';
import { SampleView } from '../widgets/SampleView';

export const samplePlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:sample',
  description: 'VisionLens sample view.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<SampleView>>({
      namespace: 'visionlens-sample'
    });
    let widget: MainAreaWidget<SampleView> | null = null;

    app.commands.addCommand(CommandIDs.openSample, {
      label: 'VisionLens: Open Sample',
      icon: visionLensIcon,
      execute: async args => {
        await model.restored;
        const dataset = args.dataset as string | undefined;
        if (dataset && dataset !== model.dataset) {
          model.setDataset(dataset);
        }
        if (!widget || widget.isDisposed) {
          const content = new SampleView(model, sampleId =>
            app.commands.execute(CommandIDs.moreLikeThis, { sampleId })
          );
          widget = new MainAreaWidget({ content });
          widget.id = 'visionlens-sample-main';
          widget.toolbar.hide();
          widget.title.icon = visionLensIcon;
          content.title.changed.connect(() => {
            if (widget) {
              widget.title.label = content.title.label;
            }
          });
          widget.title.label = content.title.label;
          void tracker.add(widget);
        }
        if (!widget.isAttached) {
          app.shell.add(widget, 'main', { mode: 'tab-after' });
        }
        app.shell.activateById(widget.id);
        const sampleId = Number(args.sampleId);
        if (Number.isInteger(sampleId)) {
          const index =
            args.index === undefined || args.index === null
              ? null
              : Number(args.index);
          await widget.content.showSample(sampleId, index);
          void tracker.save(widget);
        }
        return widget;
      }
    });

    restorer?.restore(tracker, {
      command: CommandIDs.openSample,
      args: w => ({ sampleId: w.content.sample?.sample_id ?? null }),
      name: () => 'sample'
    });
  }
};
