/**
 * The picture under the sample stage's labels: the sample's image, or a
 * picture a playing video drew into a canvas (native playback). Either is
 * shown only once it can be painted, and then with its sample, so that the
 * labels drawn never lie over another picture than theirs.
 */
import { h } from '../../base/dom';
import { ISample } from '../../model/tokens';

/** The class of the element that shows the picture (laid under the labels). */
const PICTURE_CLASS = 'jp-VisionLens-fullImage';

/** What the picture tells the stage. */
export interface IPictureHost {
  /** `sample`'s picture is painted: its labels are to be drawn now. */
  shown(sample: ISample | null): void;
  /** The image's size may have changed (it loaded): fit it again. */
  fit(): void;
}

/** The image, or a video's canvas, in place of one another. */
export class StagePicture {
  constructor(private readonly _host: IPictureHost) {
    this._img = h('img', { className: PICTURE_CLASS });
    this._img.alt = '';
    this._img.draggable = false;
    const loaded = () => {
      const pending = this._pending;
      this._pending = undefined;
      if (pending !== undefined) {
        this._host.shown(pending);
      } else {
        this._host.fit();
      }
    };
    this._img.addEventListener('load', loaded);
    this._img.addEventListener('error', loaded);
  }

  /** The element shown: the image, or a canvas of a playing video. */
  get node(): HTMLElement {
    return this._canvas ?? this._img;
  }

  /** The picture's own size in pixels (0 before one is loaded). */
  get size(): [number, number] {
    const c = this._canvas;
    return c
      ? [c.width, c.height]
      : [this._img.naturalWidth, this._img.naturalHeight];
  }

  /** Show the image at `url` (null: none) with `sample`'s labels. */
  show(sample: ISample | null, url: string | null): void {
    this._loading = null;
    if (!url) {
      this._img.removeAttribute('src');
    } else if (this._img.getAttribute('src') !== url) {
      const next = new Image();
      next.src = url;
      if (!next.complete && typeof next.decode === 'function') {
        // The labels wait for their image, and the image is not swapped in
        // before it is decoded: the browser paints a new image as soon as it
        // has it, before its load event, so labels drawn on that event would
        // leave a video frame painted with the frame before's labels.
        this._loading = next;
        void next
          .decode()
          .catch(() => undefined) // a broken image: shown as it is, labelled
          .then(() => {
            if (this._loading === next) {
              this._loading = null;
              this._swap(sample, url);
            }
          });
        return;
      }
      this._swap(sample, url);
      return;
    }
    this._place(this._img);
    this._pending = undefined;
    this._host.shown(sample);
  }

  /** Show `picture` (a canvas already drawn) with `sample`'s labels. */
  showCanvas(sample: ISample | null, picture: HTMLCanvasElement): void {
    this._loading = null;
    this._pending = undefined;
    picture.classList.add(PICTURE_CLASS);
    this._place(picture);
    this._host.shown(sample);
  }

  /** Show `url` (decoded, or failed) with `sample`'s labels. */
  private _swap(sample: ISample | null, url: string): void {
    this._img.src = url;
    this._place(this._img);
    if (!this._img.complete) {
      // not decoded after all (a cache that keeps nothing): drawn on its load
      this._pending = sample;
      return;
    }
    this._pending = undefined;
    this._host.shown(sample);
  }

  /** Put `element` where the picture shown is. */
  private _place(element: HTMLImageElement | HTMLCanvasElement): void {
    const current = this.node;
    if (current !== element) {
      current.replaceWith(element);
    }
    this._canvas = element instanceof HTMLCanvasElement ? element : null;
  }

  private _img: HTMLImageElement;
  /** The video's canvas shown in place of the image (null: the image). */
  private _canvas: HTMLCanvasElement | null = null;
  /** The sample whose image is loading (its labels are drawn on load). */
  private _pending: ISample | null | undefined = undefined;
  /** The image being decoded before it is shown (null: none). */
  private _loading: HTMLImageElement | null = null;
}
