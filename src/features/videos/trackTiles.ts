/**
 * The tracks view's tiles: a track's objects as a strip of crops in time
 * order (left to right, then the next row), each the object's crop through
 * the confined crop route the patches view uses, with its frame number as a
 * tooltip; under it the track's class, its facts (length, frames, how many the
 * view keeps) and its video's name, written as text (dataset text is never
 * HTML).
 */
import { ITrackPatch, ITrackTile } from '../../api/videoTypes';
import { fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { ITileRenderer } from '../../ui/virtualGrid/VirtualGrid';

/** The crop size asked for each object of the strip (px; one of the crop route's sizes). */
export const STRIP_CROP = 64;

/** The class line: the track's class and its identity in the source file (or in the dataset). */
export function trackTitle(track: ITrackTile): string {
  return `${track.label} #${track.source_id ?? track.track_id}`;
}

/** The facts line: its length, its frames, and how many of its objects the view keeps when not all. */
export function trackFacts(track: ITrackTile): string {
  const length = `${fmtInt(track.length)} ${track.length === 1 ? 'frame' : 'frames'}`;
  const frames =
    track.first_frame === track.last_frame
      ? `frame ${track.first_frame}`
      : `frames ${track.first_frame}–${track.last_frame}`;
  const kept =
    track.matching < track.length ? ` · ${fmtInt(track.matching)} in view` : '';
  return `${length} · ${frames}${kept}`;
}

/** The strip's objects in time order (the server's order, checked: a strip never runs back). */
export function stripPatches(track: ITrackTile): ITrackPatch[] {
  return [...track.patches].sort((a, b) => a.frame_number - b.frame_number);
}

/** A tile element with the track it shows. */
export interface ITrackTileEl extends HTMLDivElement {
  _track?: ITrackTile;
}

/** Draws a view's tracks into the grid's tiles. */
export class TrackTileRenderer implements ITileRenderer<
  ITrackTile,
  ITrackTileEl
> {
  /** `cropUrl(annId, size)`: the URL of an object's crop. */
  constructor(
    private readonly _cropUrl: (annId: number, size: number) => string
  ) {}

  create(cell: HTMLDivElement): ITrackTileEl {
    const el = cell as ITrackTileEl;
    el.classList.add('jp-VisionLens-tile', 'jp-VisionLens-trackTile');
    el.append(
      h('div', { className: 'jp-VisionLens-trackTileStrip' }),
      h('div', { className: 'jp-VisionLens-trackTileClass' }),
      h('div', { className: 'jp-VisionLens-trackTileFacts' }),
      h('div', { className: 'jp-VisionLens-trackTileVideo' })
    );
    return el;
  }

  fill(el: ITrackTileEl, track: ITrackTile | null): void {
    if ((track ?? undefined) === el._track) {
      return;
    }
    el._track = track ?? undefined;
    const part = (name: string) =>
      el.querySelector(`.jp-VisionLens-${name}`) as HTMLElement;
    const strip = part('trackTileStrip');
    if (!track) {
      delete el.dataset.trackId;
      delete el.dataset.sampleId;
      delete el.dataset.frame;
      el.removeAttribute('aria-label');
      strip.replaceChildren();
      for (const name of [
        'trackTileClass',
        'trackTileFacts',
        'trackTileVideo'
      ]) {
        part(name).textContent = '';
      }
      return;
    }
    el.dataset.trackId = String(track.track_id);
    el.dataset.sampleId = String(track.first_sample_id);
    el.dataset.frame = String(track.first_frame);
    const title = trackTitle(track);
    el.setAttribute('aria-label', visibleText(`${title}, ${track.video}`));
    strip.replaceChildren(
      ...stripPatches(track).map(patch => {
        const img = h('img', {
          className: 'jp-VisionLens-trackTilePatch',
          attrs: {
            src: this._cropUrl(patch.ann_id, STRIP_CROP),
            alt: '',
            loading: 'lazy',
            title: `frame ${patch.frame_number}`
          }
        });
        img.dataset.frame = String(patch.frame_number);
        img.draggable = false;
        return img;
      })
    );
    part('trackTileClass').textContent = visibleText(title);
    part('trackTileFacts').textContent = trackFacts(track);
    part('trackTileVideo').textContent = visibleText(track.video);
  }
}
