/**
 * Grid plugin: the virtualized sample grid in the main area, with its
 * commands ("more like this" from a tile's context menu, clear search, export
 * the view),
 * launcher item and layout restoration.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { openLabel, PANELS, panelTitle } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import {
  focusedGrid,
  focusedSelectionKeys,
  GridKeys
} from '../../ui/virtualGrid/VirtualGrid';
import { LabelTypeSettings } from '../../model/labels';
import { exportView } from './ExportDialog';
import { subsetView } from './SubsetDialog';
import { mergeInto } from './MergeDialog';
import { deleteViewLabels } from './DeleteLabelsDialog';
import { deleteModelOf } from './DeleteModelDialog';
import { labelStudioRoundTrip } from './LabelStudioDialog';
import { GridWidget } from './GridWidget';
import { followSettings } from '../../ui/followSettings';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';

const PLUGIN_ID = 'visionlens_jlab:grid';

export const gridPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'VisionLens virtualized sample grid.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILauncher, ILayoutRestorer, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    let tileSize = 192;
    let pageSize = 200;
    let labelTypes: LabelTypeSettings = {};
    const grid = addMainAreaPanel(app, {
      namespace: 'visionlens-grid',
      command: CommandIDs.openGrid,
      label: args => (args.isLauncher ? panelTitle('grid') : openLabel('grid')),
      caption: 'Browse the samples of the current dataset',
      icon: PANELS.grid.icon,
      hideToolbar: true,
      prepare: async args => {
        await model.restored;
        const dataset = args.dataset as string | undefined;
        if (dataset) {
          model.setDataset(dataset);
        } else if (!model.dataset && model.datasets.length === 0) {
          await model.refreshDatasets().catch(() => undefined);
        }
        if (!model.dataset && model.datasets.length > 0) {
          model.setDataset(model.datasets[0].name);
        }
      },
      create: () =>
        new GridWidget({
          model,
          commands: app.commands,
          tileSize,
          pageSize,
          labelTypes
        }),
      // `index`: focus and show that position (the sample view's Escape).
      update: async (panel, args) => {
        const index = Number(args.index);
        if (args.index !== undefined && Number.isInteger(index)) {
          panel.content.focus.goTo(index);
        }
      },
      restore: { name: 'grid' },
      palette,
      restorer
    });

    // A selection made elsewhere while the Patches view is in front (the
    // objects row kind) shows in the grid, brought in front without taking
    // the focus; a grid opened now scrolls to it too.
    model.selectionRevealRequested.connect((_, request) => {
      if (request.origin === 'patches' || model.query.rowKind !== 'objects') {
        return;
      }
      const opened = grid.current;
      model.setRowKind('samples');
      void app.commands
        .execute(CommandIDs.openGrid, { activate: false })
        .then((panel: MainAreaWidget<GridWidget>) => {
          if (panel !== opened) {
            panel.content.revealSelection(request);
          }
        });
    });

    followSettings(settingRegistry, PLUGIN_ID, settings => {
      tileSize = settings.get('tileSize').composite as number;
      pageSize = settings.get('pageSize').composite as number;
      model.search.setK(settings.get('searchK').composite as number);
      labelTypes = settings.get('labelTypes').composite as LabelTypeSettings;
      grid.current?.content.labelTypes.apply(labelTypes);
      grid.current?.content.setTileSize(tileSize);
      grid.current?.content.setPageSize(pageSize);
    });

    // The grid's keys: commands bound in schema/grid.json (arrow keys, Space,
    // Enter; Escape and Accel A run the core selection commands).
    // They act on the grid whose keys were pressed (the patches view's too),
    // else on the sample grid (the command palette).
    const focused = () => focusedGrid() ?? grid.current?.content.focus ?? null;
    const moves: [string, string, number, number][] = [
      [CommandIDs.gridMoveLeft, 'Focus the Tile on the Left', -1, 0],
      [CommandIDs.gridMoveRight, 'Focus the Tile on the Right', 1, 0],
      [CommandIDs.gridMoveUp, 'Focus the Tile Above', 0, -1],
      [CommandIDs.gridMoveDown, 'Focus the Tile Below', 0, 1]
    ];
    for (const [id, label, dx, dy] of moves) {
      app.commands.addCommand(id, {
        label: `VisionLens Grid: ${label}`,
        execute: () => focused()?.move(dx, dy)
      });
    }
    app.commands.addCommand(CommandIDs.gridToggleSelected, {
      label: 'VisionLens Grid: Select or Unselect the Focused Tile',
      execute: () => focused()?.toggle()
    });
    app.commands.addCommand(CommandIDs.gridOpenSample, {
      label: 'VisionLens Grid: Open the Focused Tile',
      execute: () => focused()?.open()
    });
    const jumps: [string, string, (focus: GridKeys) => void][] = [
      [CommandIDs.gridPageDown, 'Next Page of Tiles', f => f.movePages(1)],
      [CommandIDs.gridPageUp, 'Previous Page of Tiles', f => f.movePages(-1)],
      [CommandIDs.gridFirst, 'First Tile', f => f.goTo(0)],
      [CommandIDs.gridLast, 'Last Tile', f => f.goTo(Infinity)]
    ];
    for (const [id, label, jump] of jumps) {
      app.commands.addCommand(id, {
        label: `VisionLens Grid: Focus the ${label}`,
        execute: () => {
          const focus = focused();
          if (focus) {
            jump(focus);
          }
        }
      });
    }
    app.commands.addCommand(CommandIDs.gridTag, {
      label: 'VisionLens Grid: Tag the Selected Samples…',
      caption:
        'Ask for a tag and add it to the selected samples (in the patches view: to the selected objects)',
      execute: async () => {
        const own = focusedSelectionKeys();
        if (own) {
          own.tag(); // the keys of a grid of objects: its own tag input
          return;
        }
        const answer = await InputDialog.getText({
          title: 'Tag the selected samples',
          label: 'Tag',
          placeholder: 'a tag'
        });
        const tag = (answer.value ?? '').trim();
        if (answer.button.accept && tag) {
          await app.commands.execute(CommandIDs.tagSelected, { tag });
        }
      }
    });

    /** The sample id of the tile the context menu was opened on. */
    const tileSampleId = (): number | null => {
      const node = app.contextMenuHitTest(
        el =>
          el.classList.contains('jp-VisionLens-tile') && !!el.dataset.sampleId
      );
      return node ? Number(node.dataset.sampleId) : null;
    };
    app.commands.addCommand(CommandIDs.moreLikeThis, {
      label: 'More like this',
      caption:
        'Show the samples most similar to this one (within the current filter)',
      execute: async args => {
        const given = Number(args.sampleId);
        const sampleId = Number.isInteger(given) ? given : tileSampleId();
        if (sampleId === null) {
          return;
        }
        await app.commands.execute(CommandIDs.openGrid);
        await model.search.run({ like: sampleId });
      }
    });
    app.commands.addCommand(CommandIDs.clearSearch, {
      label: 'VisionLens: Clear Search',
      caption: 'Show the filtered samples again instead of search results',
      isEnabled: () => model.search.state !== null,
      execute: () => model.search.clear()
    });
    /** A command's action on the open dataset: refused without one, its error shown. */
    const onDataset =
      (title: string, action: (dataset: string) => Promise<unknown>) =>
      async (): Promise<void> => {
        await model.restored;
        const dataset = model.dataset;
        if (!dataset) {
          await showErrorMessage(title, 'Open a dataset first.');
          return;
        }
        try {
          await action(dataset);
        } catch (error) {
          await showErrorMessage(title, (error as Error).message);
        }
      };
    /** Then the jobs panel, when the action started a job. */
    const showJob = async (job: unknown): Promise<void> => {
      if (job) {
        await app.commands.execute(CommandIDs.openJobs);
      }
    };
    app.commands.addCommand(CommandIDs.labelStudio, {
      label: 'Label Studio…',
      caption:
        'Send the selected samples, else the search results, else all matching the filter, to a new Label Studio project, or take a project’s annotations back as edits',
      execute: onDataset('Label Studio', dataset =>
        labelStudioRoundTrip(model, dataset)
      )
    });
    app.commands.addCommand(CommandIDs.exportView, {
      label: 'Export…',
      caption:
        'Export the selected samples, else the search results, else all matching the filter, to COCO, YOLO, VOC, a class tree or Parquet (a job)',
      execute: onDataset('Export', async dataset =>
        showJob(await exportView(model, dataset))
      )
    });
    app.commands.addCommand(CommandIDs.subsetView, {
      label: 'New dataset from view…',
      caption:
        'Copy the selected samples, else the search results, else all matching the filter, into a new dataset (labels, predictions, evaluations, tags, fields and embeddings; images shared; a job)',
      execute: onDataset('New dataset from view', async dataset =>
        showJob(await subsetView(model, dataset))
      )
    });
    app.commands.addCommand(CommandIDs.mergeInto, {
      label: 'Merge another dataset into this one…',
      caption:
        "Merge another dataset's samples into the open one, matched by file name or image id: labels appended, the others added with their embeddings, size conflicts and new classes reported (a job)",
      execute: onDataset('Merge another dataset', async dataset =>
        showJob(await mergeInto(model, dataset))
      )
    });
    app.commands.addCommand(CommandIDs.deleteViewLabels, {
      label: 'Delete labels of view…',
      caption:
        'Delete the labels of one source, or the samples themselves, of the selected samples, else the search results, else all matching the filter (counted and confirmed first; one undoable edit)',
      execute: onDataset('Delete labels of view', dataset =>
        deleteViewLabels(model, dataset)
      )
    });
    app.commands.addCommand(CommandIDs.deleteModel, {
      label: 'Delete model…',
      caption:
        'Delete one model of the dataset with every prediction of it (objects, image labels, label maps) and its evaluations (counted and confirmed first; not undoable)',
      execute: onDataset('Delete model', dataset =>
        deleteModelOf(model, dataset)
      )
    });
    app.contextMenu.addItem({
      command: CommandIDs.moreLikeThis,
      selector: '.jp-VisionLens-tile[data-sample-id]',
      rank: 10
    });

    palette?.addItem({
      command: CommandIDs.clearSearch,
      category: 'VisionLens'
    });
    for (const command of [
      CommandIDs.exportView,
      CommandIDs.subsetView,
      CommandIDs.mergeInto,
      CommandIDs.deleteViewLabels,
      CommandIDs.deleteModel,
      CommandIDs.labelStudio
    ]) {
      palette?.addItem({ command, category: 'VisionLens' });
    }
    launcher?.add({
      command: CommandIDs.openGrid,
      category: 'VisionLens',
      rank: 1,
      args: { isLauncher: true }
    });
  }
};
