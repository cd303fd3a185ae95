/**
 * Side panel plugin: the dataset list + ingest form, and the file-browser
 * command "Open in VisionLens" that pre-fills the form.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { openLabel, PANELS } from '../../ui/panelNames';
import { visionLensIcon } from '../../base/icons';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { DatasetsPanel } from './DatasetsPanel';

/** File types the ingest form understands (besides folders). */
const INGESTIBLE = /\.(json|xml|txt|ya?ml)$/i;

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
    const panel = new DatasetsPanel(model, app.commands);
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
    app.commands.addCommand(CommandIDs.openInVisionLens, {
      label: 'Open in VisionLens',
      caption: 'Ingest this annotation file or folder into VisionLens',
      icon: visionLensIcon,
      isVisible: () => {
        const sel = selectedPath();
        return !!sel && (sel.isDir || INGESTIBLE.test(sel.path));
      },
      execute: args => {
        const rel =
          (args.path as string | undefined) ?? selectedPath()?.path ?? '';
        // The server reads paths on its own disk: make them absolute.
        const root = PageConfig.getOption('serverRoot');
        const source =
          root && !rel.startsWith('/')
            ? `${root.replace(/\/+$/, '')}/${rel}`
            : rel;
        app.shell.activateById(panel.id);
        panel.showIngestForm({ source });
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.openInVisionLens,
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 20
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'VisionLens' });
  }
};
