/**
 * The videos view: the current view of the dataset grouped by video, one tile
 * per video that has a frame the filter keeps (a FiftyOne user's video
 * dataset grid). A tile shows the video's first matching frame, its name,
 * duration, track count and matching frames; moving the pointer across it
 * scrubs through its frames (`VideoTileRenderer`); a click, or Enter on the
 * focused tile, opens the frame shown in the sample view, whose video view
 * plays and steps through the whole video. The paging, the bar and the
 * restarts are `TileGridPanel`'s, over `VideoTilesPageSource`.
 */
import { CommandRegistry } from '@lumino/commands';

import { IVideoTile } from '../../api/videoTypes';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import { imageUrl } from '../../model/sources/samples';
import { VideoTilesPageSource } from '../../model/sources/videoTiles';
import { versionBrowse } from '../../model/versionBrowse';
import { TileGridPanel } from '../../ui/virtualGrid/TileGridPanel';
import { panelButton } from './panelButton';
import { IVideoTileEl, VideoTileRenderer } from './videoTiles';

/** The tile size asked for (px): a frame and three lines of text. */
const VIDEO_TILE = 224;
/** Videos per page (a page is one request). */
const PAGE_SIZE = 60;

/** The videos panel (opened from the grid's "Videos" button). */
export class VideosWidget extends TileGridPanel<IVideoTile, IVideoTileEl> {
  constructor(model: IVisionLensModel, commands: CommandRegistry) {
    const tiles = new VideoTileRenderer((sampleId, size) =>
      imageUrl(model, model.dataset as string, sampleId, size)
    );
    super(model, {
      panel: 'videos',
      renderer: tiles,
      tileSize: VIDEO_TILE,
      pageSize: PAGE_SIZE,
      noun: ['video', 'videos'],
      empty:
        'No video has a frame in this view (a dataset of still images has none).',
      buttons: [
        panelButton(
          commands,
          CommandIDs.openGrid,
          'Images',
          'Back to the grid of frames'
        ),
        panelButton(
          commands,
          CommandIDs.openTracks,
          'Tracks',
          "The view's tracks, one tile each"
        )
      ]
    });
    this._tiles = tiles;
    this._commands = commands;
  }

  protected source(dataset: string): VideoTilesPageSource {
    return new VideoTilesPageSource(this.model, {
      dataset,
      filter: this.model.filter,
      ...versionBrowse(this.model).params(dataset)
    });
  }

  /** Open the frame the tile at `index` shows (its poster, or the frame scrubbed to). */
  protected open(index: number): void {
    const dataset = this.model.dataset;
    const tile = this.grid.node.querySelector(
      `[data-video-id="${this.pages.get(index)?.video_id}"]`
    ) as IVideoTileEl | null;
    const frame = tile ? this._tiles.frameOf(tile) : null;
    if (dataset && frame) {
      void this._commands.execute(CommandIDs.openSample, {
        dataset,
        sampleId: frame.sample_id
      });
    }
  }

  private readonly _tiles: VideoTileRenderer;
  private readonly _commands: CommandRegistry;
}
