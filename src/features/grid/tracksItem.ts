/**
 * The grid toolbar's "Tracks" button: the tracks view of the current view,
 * offered beside "Videos" on a dataset that has tracks (the ground truth's or
 * a prediction set's, `num_tracks` of its details) and hidden elsewhere (a
 * dataset of still images has none). Like every item it moves to the "…"
 * menu when the bar has no room for it.
 */
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { datasetTracks } from '../../model/sources/videoTiles';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { commandButton } from '../../ui/toolbar';

/** The button's item, shown while `model`'s dataset has tracks. */
export function tracksItem(
  commands: CommandRegistry,
  model: IVisionLensModel
): Widget {
  // the button shows itself whenever its command changes (it follows the
  // command's own visibility): the item around it is what hides
  const item = new Panel();
  item.addClass('jp-VisionLens-openTracksItem');
  item.addWidget(
    commandButton(commands, CommandIDs.openTracks, {
      label: 'Tracks',
      className: 'jp-VisionLens-openTracks'
    })
  );
  item.hide(); // until the dataset is known to have tracks
  const follow = () => {
    const dataset = model.dataset;
    if (dataset === null) {
      item.hide();
      return;
    }
    void datasetTracks(model, dataset).then(tracks => {
      // an answer for a dataset no longer shown is dropped
      if (!item.isDisposed && model.dataset === dataset) {
        item.setHidden(tracks.total === 0);
      }
    });
  };
  model.datasetChanged.connect(follow, item);
  // new prediction sets (a tracker's) are listed anew
  model.datasetsChanged.connect(follow, item);
  follow();
  return item;
}
