/**
 * A video file played by the browser's own `<video>` element, each picture it
 * presents captured into a canvas with its frame number and shown with that
 * frame's labels (`INativeHost`): the video plays at its speed, and a picture
 * is never shown with another frame's labels, since both go to the stage
 * together once the labels are loaded (a picture whose labels are still
 * loading when the next one comes is dropped, never shown late).
 *
 * The frame number comes from the captured picture itself: a WebCodecs
 * `VideoFrame` of the element holds the picture with its own timestamp,
 * where drawing the element after a `requestVideoFrameCallback` draws
 * whatever frame the compositor holds by then, which may be the next one.
 * Without `VideoFrame` the callback's `mediaTime` names it. Timestamps count
 * from the file's first picture, whose media time the element gives when it
 * presents it once loaded: a file whose first timestamp is not 0 (a cut or
 * streamed recording) plays from there, and counting from 0 would name each
 * picture a later frame than it is.
 */
import { frameAtTime, timeOfFrame } from '../../model/nativePlayback';
import { ISample } from '../../model/tokens';

/** What native playback asks of the video player. */
export interface INativeHost {
  /** The labels (sample) of `frame`, loaded ahead by the player. */
  labelsOf(frame: number): Promise<ISample>;
  /** Show `picture`, frame `frame`'s, with `sample`'s labels. */
  show(frame: number, sample: ISample, picture: HTMLCanvasElement): void;
  /** Playback stopped by itself: at the end, or `failed` (the file did not play). */
  ended(failed: boolean): void;
}

/** How long the file's first picture may take to come before it counts as failed. */
const FIRST_PICTURE_MS = 10000;

/** Plays one video at a time in an element the player lays out of sight. */
export class NativePlayback {
  constructor(private readonly _host: INativeHost) {
    const video = document.createElement('video');
    video.className = 'jp-VisionLens-nativeVideo';
    video.muted = true;
    video.playsInline = true;
    video.preload = 'auto';
    video.setAttribute('aria-hidden', 'true');
    video.addEventListener('ended', () => this._end(false));
    video.addEventListener('error', () => this._end(true));
    this.node = video;
  }

  /** The `<video>` element (in the document, so that it presents frames). */
  readonly node: HTMLVideoElement;

  /** Whether it is playing. */
  get running(): boolean {
    return this._running;
  }

  /** Whether the browser can give each picture's frame (it plays frames to callbacks). */
  static get supported(): boolean {
    return (
      typeof HTMLVideoElement !== 'undefined' &&
      'requestVideoFrameCallback' in HTMLVideoElement.prototype
    );
  }

  /** The answer of the element's `canPlayType` (for `playsNatively`). */
  canPlayType(type: string): string {
    return this.node.canPlayType(type);
  }

  /**
   * Play `url` (a video of `count` frames at `fps`) from the frame after
   * `shown`, the frame on screen: its own picture is not shown again.
   */
  start(url: string, shown: number, fps: number, count: number): void {
    this.stop();
    const video = this.node;
    this._fps = fps;
    this._count = count;
    this._last = shown;
    this._running = true;
    const run = ++this._run;
    if (video.getAttribute('src') !== url || !this._firstPicture) {
      video.src = url;
      this._firstPicture = this._firstPictureTime();
    }
    void this._firstPicture.then(origin => {
      if (run !== this._run) {
        return;
      }
      if (origin === null) {
        this._end(true); // nothing came: the file did not load
        return;
      }
      this._origin = origin;
      video.currentTime = origin + Math.max(0, timeOfFrame(shown, fps));
      video.requestVideoFrameCallback((_, meta) => this._presented(run, meta));
      video.play().catch(() => {
        if (run === this._run && this._running) {
          this._end(true); // refused (no decoder for it after all)
        }
      });
    });
  }

  /** Stop where it is (the frame last shown stays on screen). */
  stop(): void {
    if (this._running) {
      this._running = false;
      this._run++;
      this.node.pause();
    }
  }

  /** Stop and let the file go (another video, or the view closes). */
  forget(): void {
    this.stop();
    this._firstPicture = null;
    if (this.node.hasAttribute('src')) {
      this.node.removeAttribute('src');
      this.node.load(); // drops the buffered media
    }
  }

  /**
   * The media time of the file's first picture, which the element presents
   * once the file loads, before any seek (null: none came, or the file failed).
   */
  private _firstPictureTime(): Promise<number | null> {
    return new Promise(resolve => {
      const timer = setTimeout(() => resolve(null), FIRST_PICTURE_MS);
      this.node.requestVideoFrameCallback((_, meta) => {
        clearTimeout(timer);
        resolve(meta.mediaTime);
      });
      this.node.addEventListener(
        'error',
        () => {
          clearTimeout(timer);
          resolve(null);
        },
        { once: true }
      );
    });
  }

  /** A picture was presented: capture it and show it with its labels. */
  private _presented(run: number, meta: VideoFrameCallbackMetadata): void {
    if (run !== this._run) {
      return;
    }
    this.node.requestVideoFrameCallback((_, next) =>
      this._presented(run, next)
    );
    const picture = this._spare();
    const frame = this._capture(picture, meta.mediaTime);
    if (frame === null || frame === this._last) {
      return;
    }
    this._last = frame;
    picture.dataset.frame = String(frame);
    const capture = ++this._captures;
    this._host.labelsOf(frame).then(
      sample => {
        // a later picture came meanwhile: this one is dropped, not shown late
        if (run === this._run && capture === this._captures) {
          this._shown = picture;
          this._host.show(frame, sample, picture);
        }
      },
      () => undefined // no labels for it: the next frame shows
    );
  }

  /** Draw the element's picture into `picture`; its frame (null: none yet). */
  private _capture(
    picture: HTMLCanvasElement,
    mediaTime: number
  ): number | null {
    const video = this.node;
    const ctx = picture.getContext('2d');
    if (!ctx || video.videoWidth === 0) {
      return null;
    }
    if (picture.width !== video.videoWidth) {
      picture.width = video.videoWidth;
    }
    if (picture.height !== video.videoHeight) {
      picture.height = video.videoHeight;
    }
    if (typeof VideoFrame === 'undefined') {
      ctx.drawImage(video, 0, 0);
      return frameAtTime(mediaTime - this._origin, this._fps, this._count);
    }
    const frame = new VideoFrame(video);
    try {
      ctx.drawImage(frame, 0, 0);
      const seconds = frame.timestamp / 1e6 - this._origin;
      return frameAtTime(seconds, this._fps, this._count);
    } finally {
      frame.close();
    }
  }

  /** The canvas the stage does not show (two take turns). */
  private _spare(): HTMLCanvasElement {
    const spare = this._pictures.find(p => p !== this._shown);
    if (spare) {
      return spare;
    }
    const picture = document.createElement('canvas');
    this._pictures.push(picture);
    return picture;
  }

  private _end(failed: boolean): void {
    if (this._running) {
      this.stop();
      this._host.ended(failed);
    }
  }

  private _running = false;
  /** Each start's number: callbacks of an earlier run do nothing. */
  private _run = 0;
  /** Each shown capture's number: labels loaded for an earlier one are dropped. */
  private _captures = 0;
  private _last = 0;
  /** The media time of the file's first picture (frame 1). */
  private _origin = 0;
  /** The first picture's media time, asked once per file (null: no file). */
  private _firstPicture: Promise<number | null> | null = null;
  private _fps = 30;
  private _count = 1;
  private _pictures: HTMLCanvasElement[] = [];
  private _shown: HTMLCanvasElement | null = null;
}
