/**
 * Notebook bridge plugin: links every notebook/console kernel to the shared
 * VisionLens model through the `visionlens` comm target.
 */
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { IVisionLensModel } from '../../model/tokens';
import { NotebookBridge } from './bridge';

export { NotebookBridge } from './bridge';
export * from './protocol';

/** A widget with a kernel session (notebook panels, consoles). */
function sessionContextOf(widget: Widget): ISessionContext | null {
  const ctx = (widget as any).sessionContext as ISessionContext | undefined;
  return ctx && typeof ctx === 'object' && 'kernelChanged' in ctx ? ctx : null;
}

export const bridgePlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:notebook-bridge',
  description:
    'Links notebook kernels to the VisionLens panels (selection and filter).',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILabShell],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    labShell: ILabShell | null
  ) => {
    const seen = new WeakSet<ISessionContext>();

    // Every kernel-backed widget: notebooks and consoles
    // (duck-typed on `sessionContext`, so no notebook/console dependency).
    const widgets = function* (): IterableIterator<Widget> {
      for (const area of ['main', 'down'] as const) {
        try {
          yield* app.shell.widgets(area);
        } catch {
          // a shell without this area
        }
      }
    };
    // The widget the grid opens beside: the current one if it runs the
    // kernel (the notebook whose cell ran vl.open()), else the first that does.
    const widgetOf = (kernel: Kernel.IKernelConnection): string | null => {
      const runs = (widget: Widget) =>
        sessionContextOf(widget)?.session?.kernel?.id === kernel.id;
      const current = app.shell.currentWidget;
      if (current && runs(current)) {
        return current.id;
      }
      for (const widget of widgets()) {
        if (runs(widget)) {
          return widget.id;
        }
      }
      return null;
    };
    const bridge = new NotebookBridge(model, app.commands, widgetOf);
    const scan = () => {
      for (const widget of widgets()) {
        const ctx = sessionContextOf(widget);
        if (!ctx || seen.has(ctx)) {
          continue;
        }
        seen.add(ctx);
        bridge.attachKernel(ctx.session?.kernel);
        ctx.kernelChanged.connect((_, change) =>
          bridge.attachKernel(change.newValue)
        );
      }
    };
    void app.restored.then(scan);
    labShell?.layoutModified.connect(scan);
    labShell?.currentChanged.connect(scan);
  }
};
