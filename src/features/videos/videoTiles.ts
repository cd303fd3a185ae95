/**
 * The videos view's tiles: a video's poster (its first matching frame), its
 * name, duration, track count and matching frames, written as text (dataset
 * text is never HTML). Moving the pointer across a tile scrubs: the image
 * shows the scrub frame under the pointer's x (`scrubIndex`), at most one new
 * frame image per `SCRUB_INTERVAL_MS` (`ScrubThrottle`); a bar under the
 * image marks where the frame shown lies in the video. Frame images are the
 * samples' thumbnails (the confined media route), plain HTTP URLs the browser
 * caches.
 */
import { IScrubFrame, IVideoTile } from '../../api/videoTypes';
import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import {
  framesText,
  scrubFrameAt,
  ScrubThrottle,
  tileFacts
} from '../../model/videoScrub';
import { ITileRenderer } from '../../ui/virtualGrid/VirtualGrid';

/** The thumbnail size (px) asked for a tile's frames. */
const FRAME_SIZE = 256;

/** A tile element with its parts and the video it shows. */
export interface IVideoTileEl extends HTMLDivElement {
  _video?: IVideoTile;
  _img?: HTMLImageElement;
  _mark?: HTMLDivElement;
  _frameText?: HTMLDivElement;
  _throttle?: ScrubThrottle<IScrubFrame>;
}

/** Draws a view's videos into the grid's tiles, and scrubs them on hover. */
export class VideoTileRenderer implements ITileRenderer<
  IVideoTile,
  IVideoTileEl
> {
  /** `frameUrl(sampleId, size)`: the URL of a frame sample's thumbnail. */
  constructor(
    private readonly _frameUrl: (sampleId: number, size: number) => string
  ) {}

  create(cell: HTMLDivElement): IVideoTileEl {
    const el = cell as IVideoTileEl;
    el.classList.add('jp-VisionLens-tile', 'jp-VisionLens-videoTile');
    const img = h('img', { className: 'jp-VisionLens-tileImage' });
    img.alt = '';
    img.decoding = 'async';
    img.draggable = false;
    const mark = h('div', { className: 'jp-VisionLens-videoTileMark' });
    const frameText = h('div', { className: 'jp-VisionLens-videoTileFrame' });
    el.append(
      img,
      h('div', { className: 'jp-VisionLens-videoTileBar' }, mark),
      frameText,
      h('div', { className: 'jp-VisionLens-videoTileName' }),
      h('div', { className: 'jp-VisionLens-videoTileFacts' }),
      h('div', { className: 'jp-VisionLens-videoTileFrames' })
    );
    el._img = img;
    el._mark = mark;
    el._frameText = frameText;
    el._throttle = new ScrubThrottle(frame => this._show(el, frame));
    el.addEventListener('pointermove', event => this._scrub(el, event));
    el.addEventListener('pointerleave', () => this.rest(el));
    return el;
  }

  fill(el: IVideoTileEl, video: IVideoTile | null): void {
    if ((video ?? undefined) === el._video) {
      return;
    }
    el._throttle?.cancel();
    el._video = video ?? undefined;
    const text = (name: string, value: string) => {
      const part = el.querySelector(`.jp-VisionLens-${name}`) as HTMLElement;
      part.textContent = value;
    };
    if (!video) {
      delete el.dataset.videoId;
      delete el.dataset.sampleId;
      delete el.dataset.frame;
      el._img?.removeAttribute('src');
      for (const name of [
        'videoTileName',
        'videoTileFacts',
        'videoTileFrames'
      ]) {
        text(name, '');
      }
      (el._frameText as HTMLDivElement).textContent = '';
      return;
    }
    el.dataset.videoId = String(video.video_id);
    el.setAttribute('aria-label', visibleText(video.name));
    text('videoTileName', visibleText(video.name));
    text('videoTileFacts', tileFacts(video));
    text('videoTileFrames', framesText(video));
    this.rest(el);
  }

  /** The frame a tile shows now (its poster, or the frame scrubbed to). */
  frameOf(el: IVideoTileEl): IScrubFrame | null {
    const video = el._video;
    if (!video) {
      return null;
    }
    const frame = Number(el.dataset.frame);
    return (
      video.scrub_frames.find(f => f.frame_number === frame) ??
      video.scrub_frames[0] ??
      null
    );
  }

  /** Back to the poster (the pointer left the tile). */
  rest(el: IVideoTileEl): void {
    el._throttle?.cancel();
    const poster = el._video?.scrub_frames[0];
    if (poster) {
      this._show(el, poster);
    }
  }

  private _scrub(el: IVideoTileEl, event: PointerEvent): void {
    const video = el._video;
    if (!video) {
      return;
    }
    const box = el.getBoundingClientRect();
    const frame = scrubFrameAt(video, event.clientX - box.left, box.width);
    if (frame && String(frame.frame_number) !== el.dataset.wanted) {
      el.dataset.wanted = String(frame.frame_number);
      el._throttle?.request(frame);
    }
  }

  private _show(el: IVideoTileEl, frame: IScrubFrame): void {
    const video = el._video;
    if (!video) {
      return;
    }
    el.dataset.wanted = String(frame.frame_number);
    if (el.dataset.sampleId !== String(frame.sample_id)) {
      el.dataset.sampleId = String(frame.sample_id);
      el.dataset.frame = String(frame.frame_number);
      (el._img as HTMLImageElement).src = this._frameUrl(
        frame.sample_id,
        FRAME_SIZE
      );
    }
    const count = Math.max(video.num_frames, 1);
    const mark = el._mark as HTMLDivElement;
    mark.style.left = `${((frame.frame_number - 1) / count) * 100}%`;
    mark.style.width = `${Math.max(100 / count, 2)}%`;
    (el._frameText as HTMLDivElement).textContent =
      `frame ${frame.frame_number}`;
  }
}
