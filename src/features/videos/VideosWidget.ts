/**
 * The videos view: the current view of the dataset grouped by video, one tile
 * per video that has a frame the filter keeps (a FiftyOne user's video
 * dataset grid). A tile shows the video's first matching frame, its name,
 * duration, track count and matching frames; moving the pointer across it
 * scrubs through its frames (`VideoTileRenderer`); a click, or Enter on the
 * focused tile, opens the frame shown in the sample view, whose video view
 * plays and steps through the whole video. The tiles are the generic
 * `VirtualGrid`'s over a `PageCache` of `VideoTilesPageSource`: only the
 * pages in view are fetched. The filter, the dataset, a browsed version and
 * label edits start a new query.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IVideoTile } from '../../api/videoTypes';
import { fmtInt, h } from '../../base/dom';
import { nameTab } from '../../ui/panelNames';
import { CommandIDs, IDataChange, IVisionLensModel } from '../../model/tokens';
import { PageCache } from '../../model/pages';
import { imageUrl } from '../../model/sources/samples';
import { VideoTilesPageSource } from '../../model/sources/videoTiles';
import { versionBrowse } from '../../model/versionBrowse';
import { VirtualGrid } from '../../ui/virtualGrid/VirtualGrid';
import { IVideoTileEl, VideoTileRenderer } from './videoTiles';

/** The tile size asked for (px): a frame and three lines of text. */
const VIDEO_TILE = 224;
/** Videos per page (a page is one request). */
const PAGE_SIZE = 60;

/** The videos panel (opened from the grid's "Videos" button). */
export class VideosWidget extends Widget {
  constructor(
    readonly model: IVisionLensModel,
    private readonly _commands: CommandRegistry
  ) {
    super();
    this.id = 'visionlens-videos';
    this.addClass('jp-VisionLens-videos');
    nameTab(this.title, 'videos');
    this.title.closable = true;
    this._pages = new PageCache<IVideoTile>({
      pageSize: PAGE_SIZE,
      onUpdate: () => this._onPage(),
      onError: error => this._say(`Could not load videos: ${error.message}`)
    });
    this._tiles = new VideoTileRenderer((sampleId, size) =>
      imageUrl(model, model.dataset as string, sampleId, size)
    );
    this.grid = new VirtualGrid<IVideoTile, IVideoTileEl>({
      pages: this._pages,
      renderer: this._tiles,
      tileSize: VIDEO_TILE,
      label: 'Videos',
      onOpen: (_, index) => this._open(index),
      onToggle: (_, index) => this._open(index),
      beforeRender: () => this.isVisible && this.model.dataset !== null,
      // videos are no selection of samples: the keys do nothing here
      selectionKeys: { selectAll: null, tag: () => undefined }
    });
    this.grid.node.addEventListener('click', event => {
      const hit = this.grid.rowAt(event.target);
      if (hit) {
        this.grid.focus.set(hit.index);
        this._open(hit.index);
      }
    });
    const images = h('button', {
      className: 'jp-VisionLens-videosImages jp-mod-styled',
      text: 'Images',
      title: 'Back to the grid of frames'
    });
    images.addEventListener('click', () => {
      void this._commands.execute(CommandIDs.openGrid);
    });
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-patchesBar jp-VisionLens-videosBar' },
        images,
        this._count
      ),
      this._status,
      this.grid.node
    );
    model.filterChanged.connect(this._restartFresh, this);
    model.datasetChanged.connect(this._restartFresh, this);
    model.dataChanged.connect(this._onDataChanged, this);
  }

  /** The videos' grid (its `focus` is what the grid's keys move). */
  readonly grid: VirtualGrid<IVideoTile, IVideoTileEl>;

  /** Show the current view's videos from the first one (when opened). */
  load(): void {
    this._restart(false);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._pages.reset(null, false);
    this.grid.dispose();
    super.dispose();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this.grid.scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onAfterAttach(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    this.grid.node.focus();
  }

  /** Open the frame the tile at `index` shows (its poster, or the frame scrubbed to). */
  private _open(index: number): void {
    const dataset = this.model.dataset;
    const tile = this.grid.node.querySelector(
      `[data-video-id="${this._pages.get(index)?.video_id}"]`
    ) as IVideoTileEl | null;
    const frame = tile ? this._tiles.frameOf(tile) : null;
    if (dataset && frame) {
      void this._commands.execute(CommandIDs.openSample, {
        dataset,
        sampleId: frame.sample_id
      });
    }
  }

  private _restartFresh(): void {
    this._restart(false);
  }

  /** A new query of the current view; with `keepStale` the old tiles show until replaced. */
  private _restart(keepStale: boolean): void {
    const dataset = this.model.dataset;
    nameTab(this.title, 'videos', dataset);
    const source = dataset
      ? new VideoTilesPageSource(this.model, {
          dataset,
          filter: this.model.filter,
          ...versionBrowse(this.model).params(dataset)
        })
      : null;
    this._pages.reset(source, keepStale);
    if (!keepStale) {
      this.grid.reset();
    }
    this._say(
      dataset ? 'Loading videos…' : 'Open a dataset to see its videos.'
    );
    this._pages.ensure(0, 0);
    this.grid.scheduleRender();
  }

  /** Labels changed (an edit, new predictions, a version browsed): tracks and label filters may differ. */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (
      change.dataset === this.model.dataset &&
      ['labels', 'predictions', 'samples', 'tags', 'fields'].includes(
        change.kind
      )
    ) {
      this._restart(true);
    }
  }

  private _onPage(): void {
    const total = this._pages.total;
    this._count.textContent =
      total === null
        ? ''
        : `${fmtInt(total)} ${total === 1 ? 'video' : 'videos'}`;
    this._say(
      total === 0
        ? 'No video has a frame in this view (a dataset of still images has none).'
        : ''
    );
    this.grid.scheduleRender();
  }

  private _say(text: string): void {
    this._status.textContent = text;
    this._status.hidden = text === '';
  }

  private readonly _pages: PageCache<IVideoTile>;
  private readonly _tiles: VideoTileRenderer;
  private readonly _count = h('span', {
    className: 'jp-VisionLens-videosCount'
  });
  private readonly _status = h('div', {
    className: 'jp-VisionLens-gridStatus'
  });
}
