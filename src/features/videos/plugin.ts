/**
 * Videos plugin: the current view grouped by video, one tile per video, as
 * its own main-area panel. The grid's "Videos" button opens it; its "Images"
 * button goes back to the grid of frames.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { openLabel, panelTitle, PANELS } from '../../ui/panelNames';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { addMainAreaPanel } from '../../ui/mainAreaPanel';
import { VideosWidget } from './VideosWidget';

export const videosPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:videos',
  description:
    'VisionLens videos: a grid whose tiles are videos, scrubbed on hover.',
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
      namespace: 'visionlens-videos',
      command: CommandIDs.openVideos,
      label: args =>
        args.isLauncher ? panelTitle('videos') : openLabel('videos'),
      caption:
        'Browse the videos of the current view: one tile each, scrubbed on hover',
      icon: PANELS.videos.icon,
      hideToolbar: true,
      prepare: () => model.restored,
      create: () => new VideosWidget(model, app.commands),
      update: panel => panel.content.load(),
      restore: { name: 'visionlens-videos' },
      palette,
      restorer
    });
  }
};
