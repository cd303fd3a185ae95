/**
 * The tracks view: the current view of a video dataset as its tracks, one
 * tile per track of the ground truth (or of a model) with an object the view
 * keeps. A tile shows the track's kept objects as a strip of crops in time
 * order, its class, length and video (`TrackTileRenderer`); a click, or
 * Enter on the focused tile, opens the track's first frame in the sample
 * view, whose video view plays and steps through the whole video. The
 * paging, the bar and the restarts are `TileGridPanel`'s, over
 * `TrackTilesPageSource`. "Tracks of" picks whose tracks: the ground
 * truth's or a prediction set's (a tracker's, `TrackSourcePicker`); the
 * choice is told (`choiceChanged`) for the layout restorer to keep.
 */
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';

import { ITrackTile } from '../../api/videoTypes';
import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import {
  datasetTracks,
  TrackTilesPageSource,
  trackPatchUrl
} from '../../model/sources/videoTiles';
import { versionBrowse } from '../../model/versionBrowse';
import { TileGridPanel } from '../../ui/virtualGrid/TileGridPanel';
import { panelButton } from './panelButton';
import { ITrackTileEl, TrackTileRenderer } from './trackTiles';
import { ITrackChoice, trackedModels, TrackSourcePicker } from './trackPicker';

/** The tile size asked for (px): two rows of four crops and three lines of text. */
const TRACK_TILE = 224;
/** Tracks per page (a page is one request). */
const PAGE_SIZE = 60;

/** The tracks panel (opened from the grid's or the videos view's "Tracks" button). */
export class TracksWidget extends TileGridPanel<ITrackTile, ITrackTileEl> {
  constructor(model: IVisionLensModel, commands: CommandRegistry) {
    // made before the panel (its bar holds it); it calls the panel once built
    const calls: { onPick?: () => void } = {};
    const picker = new TrackSourcePicker(() => calls.onPick?.());
    super(model, {
      panel: 'tracks',
      renderer: new TrackTileRenderer((annId, size) =>
        trackPatchUrl(model, annId, size)
      ),
      tileSize: TRACK_TILE,
      pageSize: PAGE_SIZE,
      noun: ['track', 'tracks'],
      empty:
        'No track has an object in this view (a dataset of still images has none).',
      buttons: [
        panelButton(
          commands,
          CommandIDs.openGrid,
          'Images',
          'Back to the grid of frames'
        ),
        panelButton(
          commands,
          CommandIDs.openVideos,
          'Videos',
          "The view's videos, one tile each"
        ),
        picker.node
      ]
    });
    this._commands = commands;
    this._picker = picker;
    this._choiceChanged = new Signal<TracksWidget, ITrackChoice | null>(this);
    calls.onPick = () => this._onPick();
    model.datasetsChanged.connect(this._onDatasets, this);
  }

  /** Whose tracks are shown, as picked (null: the ground truth's, never picked). */
  get choice(): ITrackChoice | null {
    return this._picker.choice;
  }

  /** Emitted when the user picks another source of tracks. */
  get choiceChanged(): ISignal<TracksWidget, ITrackChoice | null> {
    return this._choiceChanged;
  }

  /** Show `model`'s tracks of `dataset` (null: the ground truth's) from the first one. */
  showChoice(dataset: string, model: string | null): void {
    this._picker.choose(dataset, model);
    this.load();
  }

  /** The source of the tracks shown: a model's name, or null for the ground truth. */
  get trackModel(): string | null {
    return this._shown;
  }

  protected source(dataset: string): TrackTilesPageSource {
    this._readTracks(dataset);
    this._shown = this._picker.sync(dataset, this._models());
    return new TrackTilesPageSource(this.model, {
      dataset,
      filter: this.model.filter,
      ...(this._shown === null ? {} : { model: this._shown }),
      ...versionBrowse(this.model).params(dataset)
    });
  }

  /** Open the first frame of the track at `index` in the sample view (its video view). */
  protected open(index: number): void {
    const dataset = this.model.dataset;
    const track = this.pages.get(index);
    if (dataset && track) {
      void this._commands.execute(CommandIDs.openSample, {
        dataset,
        sampleId: track.first_sample_id
      });
    }
  }

  /**
   * The prediction sets of the current dataset with tracks, as the model
   * lists them (null: not read yet; all of them while their counts are not).
   */
  private _models(): string[] | null {
    const info = this.model.currentInfo;
    if (!info) {
      return null;
    }
    const tracks =
      this._tracks?.dataset === info.name ? this._tracks.models : null;
    return trackedModels(
      info.models.map(m => m.name),
      tracks
    );
  }

  /** Read `dataset`'s tracks per prediction set; offer those with tracks once read. */
  private _readTracks(dataset: string): void {
    void datasetTracks(this.model, dataset).then(({ models }) => {
      const held = this._tracks;
      if (
        this.isDisposed ||
        this.model.dataset !== dataset ||
        (held?.dataset === dataset && held.models === models)
      ) {
        return; // another dataset shown meanwhile, or nothing new
      }
      this._tracks = { dataset, models };
      this._offer();
    });
  }

  private _onPick(): void {
    this.load();
    this._choiceChanged.emit(this._picker.choice);
  }

  /** The datasets list was read again: read the counts anew (a new tracker), offer its sets. */
  private _onDatasets(): void {
    if (this.model.dataset !== null) {
      this._readTracks(this.model.dataset);
    }
    this._offer();
  }

  /** Offer the prediction sets with tracks; a dropped choice shows the ground truth. */
  private _offer(): void {
    const shown = this._picker.sync(this.model.dataset, this._models());
    if (shown !== this._shown && this.model.dataset !== null) {
      this.load();
    }
  }

  private readonly _commands: CommandRegistry;
  private readonly _picker: TrackSourcePicker;
  private _tracks: {
    dataset: string;
    models: ReadonlyMap<string, number>;
  } | null = null;
  private readonly _choiceChanged: Signal<TracksWidget, ITrackChoice | null>;
  private _shown: string | null = null;
}
