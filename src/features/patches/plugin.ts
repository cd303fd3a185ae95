/**
 * Patches plugin: the grid's objects mode as its own main-area panel. The
 * grid's "Objects" button opens it (row kind `objects`); its "Images" button
 * goes back to the grid (row kind `samples`). With `{source, kind, sort,
 * order, lqModel, evaluation, statuses}` arguments it shows those objects in
 * that order.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { openLabel, panelTitle, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { IPatchesChoice, PatchesModel } from '../../model/patches';
import { PATCH_STATUSES } from '../../api/patchTypes';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { PatchesWidget } from './PatchesWidget';

/**
 * The objects and order the command's arguments ask for (`{kind, source,
 * sort, order, lqModel, evaluation, statuses}`, e.g. a quality-view row: the
 * evaluation whose TP / FP / FN colours the objects carry, the statuses of
 * evaluation patches), or null to keep the panel's own.
 */
export function choiceOf(
  args: ReadonlyPartialJSONObject
): Partial<IPatchesChoice> | null {
  if (typeof args.source !== 'string') {
    return null;
  }
  const choice: Partial<IPatchesChoice> = {
    kind:
      args.kind === 'evaluation' || args.kind === 'regions'
        ? args.kind
        : 'objects',
    source: args.source
  };
  if (typeof args.sort === 'string') {
    choice.sort = args.sort;
  }
  if (args.order === 'asc' || args.order === 'desc') {
    choice.order = args.order;
  }
  if (typeof args.lqModel === 'string') {
    choice.lqModel = args.lqModel;
  }
  if (typeof args.evaluation === 'string') {
    choice.evaluation = args.evaluation;
  }
  if (Array.isArray(args.statuses)) {
    choice.statuses = PATCH_STATUSES.filter(s =>
      (args.statuses as readonly unknown[]).includes(s)
    );
  }
  return choice;
}

export const patchesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:patches',
  description: 'VisionLens patches: a grid whose tiles are objects.',
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
      namespace: 'visionlens-patches',
      command: CommandIDs.openPatches,
      label: args =>
        args.isLauncher ? panelTitle('patches') : openLabel('patches'),
      caption:
        'Browse the objects of the current view: boxes or evaluation patches',
      icon: PANELS.patches.icon,
      hideToolbar: true,
      prepare: async () => {
        await model.restored;
        model.setRowKind('objects');
      },
      create: () =>
        new PatchesWidget(new PatchesModel(model), () => {
          model.setRowKind('samples');
          void app.commands.execute(CommandIDs.openGrid);
        }),
      update: (panel, args) => {
        const choice = choiceOf(args);
        return choice ? panel.content.showChoice(choice) : panel.content.load();
      },
      restore: { name: 'visionlens-patches' },
      palette,
      restorer
    });
  }
};
