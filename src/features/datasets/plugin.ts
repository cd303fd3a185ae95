/**
 * Side panel plugin: the dataset list + ingest form, and the file-browser
 * context-menu command "Ingest into VisionLens" that pre-fills the form (with
 * "Add as predictions in VisionLens" beside it on a json).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { visionLensIcon } from '../../base/icons';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { DatasetsPanel } from './DatasetsPanel';

/**
 * Files the ingest form understands (besides folders): COCO json, VOC xml,
 * YOLO yaml or darknet .data, txt lists, classification tables.
 */
const INGESTIBLE = /\.(json|xml|txt|ya?ml|data|csv|parquet)$/i;
/**
 * Prediction files offered "Add as predictions" (besides folders of per-image
 * txt files): COCO results lists, classification tables.
 */
const PREDICTIONS = /\.(json|csv|parquet|pq)$/i;

export const datasetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:datasets',
  description: 'VisionLens side panel: datasets, ingest reports, ingest form.',
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ILayoutRestorer, IDefaultFileBrowser, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    restorer: ILayoutRestorer | null,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null
  ) => {
    // The server reads paths on its own disk: the file browser's are relative to its root.
    const serverPath = (rel: string) => {
      const root = PageConfig.getOption('serverRoot');
      return root && !rel.startsWith('/')
        ? `${root.replace(/\/+$/, '')}/${rel}`
        : rel;
    };
    const pickPath = browser
      ? async (title: string) => {
          const picked = await FileDialog.getOpenFiles({
            manager: browser.model.manager,
            title
          });
          const item = picked.button.accept ? picked.value?.[0] : undefined;
          return item ? serverPath(item.path) : null;
        }
      : null;
    const panel = new DatasetsPanel(model, app.commands, pickPath);
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);
    void model.restored.then(() => panel.refresh());

    app.commands.addCommand(CommandIDs.openPanel, {
      label: openLabel('datasets'),
      icon: PANELS.datasets.icon,
      execute: () => {
        app.shell.activateById(panel.id);
        void panel.refresh();
      }
    });

    const selectedPath = (): { path: string; isDir: boolean } | null => {
      const item = browser?.selectedItems().next();
      if (!item || item.done || !item.value) {
        return null;
      }
      return { path: item.value.path, isDir: item.value.type === 'directory' };
    };
    const asPredictions = (args: ReadonlyPartialJSONObject) =>
      args.mode === 'predictions';
    app.commands.addCommand(CommandIDs.openInVisionLens, {
      label: args =>
        asPredictions(args)
          ? 'Add as predictions in VisionLens'
          : 'Ingest into VisionLens',
      caption: args =>
        asPredictions(args)
          ? "Import this file as a model's predictions on a VisionLens dataset"
          : 'Ingest this annotation file or folder into VisionLens',
      icon: visionLensIcon,
      isVisible: args => {
        const sel = selectedPath();
        if (!sel) {
          return false;
        }
        return (
          sel.isDir ||
          (asPredictions(args) ? PREDICTIONS : INGESTIBLE).test(sel.path)
        );
      },
      execute: args => {
        const source = serverPath(
          (args.path as string | undefined) ?? selectedPath()?.path ?? ''
        );
        app.shell.activateById(panel.id);
        panel.showIngestForm({
          source,
          mode: asPredictions(args) ? 'predictions' : 'dataset'
        });
      }
    });
    // Every file-browser item: isVisible keeps the files the form can read.
    app.contextMenu.addItem({
      command: CommandIDs.openInVisionLens,
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 20
    });
    app.contextMenu.addItem({
      command: CommandIDs.openInVisionLens,
      args: { mode: 'predictions' },
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 21
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'VisionLens' });
  }
};
