/**
 * Core plugin: provides the shared model (REST client + state) and the
 * commands that act on the shared state.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';

import { VisionLensClient } from '../../api/client';
import { isEmptyFilter } from '../../model/filters';
import { VisionLensModel } from '../../model/model';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { followSettings } from '../../ui/followSettings';
import { focusedSelectionKeys } from '../../ui/virtualGrid/VirtualGrid';

const PLUGIN_ID = 'visionlens_jlab:core';

/**
 * Select all samples matching the view (Accel A, the toolbar's button, the
 * palette), unless the keys were pressed in a grid of other rows (the
 * patches view's objects): there its own select-all runs, or nothing.
 */
export function selectAllMatching(
  model: Pick<IVisionLensModel, 'selectAllMatching'>
): void {
  const own = focusedSelectionKeys();
  if (own) {
    own.selectAll?.();
  } else {
    model.selectAllMatching();
  }
}

export const corePlugin: JupyterFrontEndPlugin<IVisionLensModel> = {
  id: PLUGIN_ID,
  description: 'The shared VisionLens model: dataset, filter, selection, view.',
  autoStart: true,
  provides: IVisionLensModel,
  optional: [IStateDB, ISettingRegistry, ICommandPalette, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    state: IStateDB | null,
    settings: ISettingRegistry | null,
    palette: ICommandPalette | null,
    themes: IThemeManager | null
  ): IVisionLensModel => {
    const model = new VisionLensModel({
      client: new VisionLensClient(app.serviceManager.serverSettings),
      state,
      events: app.serviceManager.events.stream
    });
    followSettings(
      settings,
      PLUGIN_ID,
      s => {
        model.setColorOverrides(
          (s.get('classColors').composite as { [k: string]: string }) ?? {}
        );
        model.setDefaultConfidenceThreshold(
          s.get('defaultConfidenceThreshold').composite as number
        );
      },
      model.restored
    );
    // Colours read from the theme (TP/FP/FN strokes) are drawn again in the new one.
    themes?.themeChanged.connect(() => model.themeChanged());
    void model.restored.then(() =>
      model
        .refreshDatasets()
        .catch(reason =>
          console.warn('VisionLens: cannot list datasets', reason)
        )
    );

    const { commands } = app;
    commands.addCommand(CommandIDs.undoFilter, {
      label: 'VisionLens: Undo Last Filter or Sort Change',
      isEnabled: () => model.canUndo,
      execute: () => model.undo()
    });
    commands.addCommand(CommandIDs.redoQuery, {
      label: 'VisionLens: Redo Filter or Sort Change',
      isEnabled: () => model.canRedo,
      execute: () => model.redo()
    });
    commands.addCommand(CommandIDs.clearFilters, {
      label: 'VisionLens: Clear All Filters',
      isEnabled: () => !isEmptyFilter(model.filter),
      execute: () => model.setFilter({})
    });
    commands.addCommand(CommandIDs.selectAll, {
      label: 'VisionLens: Select All Matching Samples',
      isEnabled: () => model.dataset !== null,
      execute: () => selectAllMatching(model)
    });
    commands.addCommand(CommandIDs.clearSelection, {
      label: 'VisionLens: Clear Selection',
      execute: () => model.clearSelection()
    });
    // A selection (a lasso on the map, a duplicate group, clicks) as the view:
    // the filter becomes its ids, so Undo brings the previous filter back.
    commands.addCommand(CommandIDs.showSelected, {
      label: 'VisionLens: Show Only the Selected Samples',
      caption: 'Filter the views to the selected samples (Undo goes back)',
      isEnabled: () =>
        model.selection.mode === 'ids' && model.selection.ids.size > 0,
      execute: () => model.setFilter(model.selectionFilter())
    });
    model.selectionChanged.connect(() =>
      commands.notifyCommandChanged(CommandIDs.showSelected)
    );
    commands.addCommand(CommandIDs.tagSelected, {
      label: args =>
        args.tag
          ? `VisionLens: Tag Selected Samples “${args.tag}”`
          : 'VisionLens: Tag Selected Samples',
      execute: async args => {
        const tag = String(args.tag ?? '').trim();
        const remove = Boolean(args.remove);
        if (!tag) {
          return 0;
        }
        return model.tagSelection(remove ? [] : [tag], remove ? [tag] : []);
      }
    });
    // Toolbar buttons of these commands follow their enabled state.
    model.queryChanged.connect(() => {
      for (const id of [
        CommandIDs.undoFilter,
        CommandIDs.redoQuery,
        CommandIDs.clearFilters,
        CommandIDs.selectAll
      ]) {
        commands.notifyCommandChanged(id);
      }
    });
    if (palette) {
      for (const command of [
        CommandIDs.undoFilter,
        CommandIDs.redoQuery,
        CommandIDs.clearFilters,
        CommandIDs.selectAll,
        CommandIDs.clearSelection,
        CommandIDs.showSelected
      ]) {
        palette.addItem({ command, category: 'VisionLens' });
      }
    }
    return model;
  }
};
