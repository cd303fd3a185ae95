/**
 * Versions plugin: the named versions of the open dataset's labels in a
 * main-area panel (list, save, diff with evaluation deltas, restore). The
 * grid's "Versions" button and the palette open it.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, PANELS } from '../../ui/panelNames';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { VersionsPanel } from './VersionsPanel';

export const versionsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:versions',
  description:
    "VisionLens versions: save, compare and restore versions of a dataset's labels.",
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
      namespace: 'visionlens-versions',
      command: CommandIDs.openVersions,
      label: openLabel('versions'),
      caption:
        "Save, compare and restore versions of the current dataset's labels",
      icon: PANELS.versions.icon,
      hideToolbar: true,
      prepare: () => model.restored,
      create: () =>
        new VersionsPanel(model, () =>
          app.commands.execute(CommandIDs.openGrid)
        ),
      update: panel => panel.content.refresh(undefined, false),
      restore: { name: 'visionlens-versions' },
      palette,
      restorer
    });
  }
};
