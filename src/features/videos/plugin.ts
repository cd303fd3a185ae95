/**
 * Videos plugins: the current view grouped by video, one tile per video, and
 * by track, one tile per track, each its own main-area panel. The grid's
 * "Videos" button opens the videos; their "Tracks" button the tracks; both
 * have an "Images" button back to the grid of frames. The tracks command
 * takes `model` (a prediction set's name, null: the ground truth) and
 * `dataset` (the current one when absent): whose tracks to show.
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
import { trackChoiceOf } from './trackPicker';
import { TracksWidget } from './TracksWidget';
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

export const tracksPlugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens_jlab:tracks',
  description:
    "VisionLens tracks: a grid whose tiles are tracks, each its objects' crops over time.",
  autoStart: true,
  requires: [IVisionLensModel],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IVisionLensModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const tracks = addMainAreaPanel(app, {
      namespace: 'visionlens-tracks',
      command: CommandIDs.openTracks,
      label: args =>
        args.isLauncher ? panelTitle('tracks') : openLabel('tracks'),
      caption:
        "Browse the tracks of the current view: one tile each, its objects' crops over time",
      icon: PANELS.tracks.icon,
      hideToolbar: true,
      prepare: () => model.restored,
      create: () => {
        const view = new TracksWidget(model, app.commands);
        // the restorer keeps the picked source: a reload shows the same tracks
        view.choiceChanged.connect(() => {
          const panel = tracks.current;
          if (panel) {
            void tracks.tracker.save(panel);
          }
        });
        return view;
      },
      update: (panel, args) => {
        const choice = trackChoiceOf(args, model.dataset);
        if (choice) {
          panel.content.showChoice(choice.dataset, choice.model);
        } else {
          panel.content.load();
        }
      },
      restore: {
        name: 'visionlens-tracks',
        args: panel => {
          const choice = panel.content.choice;
          return choice ? { dataset: choice.dataset, model: choice.model } : {};
        }
      },
      palette,
      restorer
    });
  }
};
