/**
 * The video view of the sample view: shown while the open sample is a frame
 * of a video (its `video` and `frame_number` fields). Play / pause, frame
 * stepping (the view's ←/→, Shift for ±10, through `step`), a frame counter
 * and the tracks' timeline (`VideoTimeline`), which seeks. Where models of
 * the dataset have a tracking evaluation, a select picks whose identity
 * switches the timeline marks (the first such model until one is picked).
 *
 * A frame is shown only once both its sample (labels) and its image are
 * loaded (`VideoFrameLoader`, a few frames ahead while playing), so the labels
 * drawn are always those of the image shown; playback waits for a late frame
 * rather than show an image with another frame's labels. Where the browser
 * plays the video's file itself (`playsNatively`), playback runs in its
 * `<video>` element instead (`NativePlayback`): each picture it presents is
 * shown with its own frame's labels, at the video's speed; a paused or
 * stepped view shows the server's image of the frame, and a file the element
 * fails on plays from images.
 */
import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import {
  PlaybackClock,
  frameCount,
  frameCounterText,
  frameInterval,
  frameSample,
  steppedFrame
} from '../../model/videoFrames';
import { playsNatively } from '../../model/nativePlayback';
import { videoUrl } from '../../model/sources/samples';
import { frameOf, videoTimeline } from '../../model/sources/videos';
import {
  IEvaluationSummary,
  ISample,
  IVideoTimeline,
  IVisionLensModel
} from '../../model/tokens';
import { NativePlayback } from './NativePlayback';
import { TrackerSelect } from './trackerSelect';
import { VideoFrameLoader } from './videoFrameLoader';
import { VideoTimeline } from './VideoTimeline';

/** What the player asks of the sample view. */
export interface IVideoHost {
  /**
   * Show `sample` (a frame whose image is loaded): `delta` frames from the
   * last; with `picture`, that canvas (drawn by native playback) is its image.
   */
  showFrame(sample: ISample, delta: number, picture?: HTMLCanvasElement): void;
  /** The evaluation whose TP/FP/FN statuses the frames carry (null: colours off). */
  frameEvaluation(): Promise<IEvaluationSummary | null>;
}

/** The controls and timeline of the video a frame sample belongs to. */
export class VideoPlayer {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _host: IVideoHost
  ) {
    this._play = this._button('jp-VisionLens-videoPlay', '▶ Play', () =>
      this.toggle()
    );
    this._counter = h('span', { className: 'jp-VisionLens-videoCounter' });
    this._name = h('span', { className: 'jp-VisionLens-videoName' });
    this._tracker = new TrackerSelect(_model, timeline => {
      // the same video (frames, samples): only the tracks' switches differ
      this._timeline = timeline;
      this.timeline.setTimeline(timeline);
      this._renderFrame();
    });
    this._native = new NativePlayback({
      labelsOf: frame =>
        this._frames?.labelsOf(frame) ?? Promise.reject(new Error('no video')),
      show: (frame, sample, picture) => {
        const delta = frame - this._frame;
        this._frame = frame;
        this._renderFrame();
        this._host.showFrame(sample, delta, picture);
      },
      ended: failed => {
        if (failed && this._playing) {
          this._nativeOk = false; // the file did not play: from images
          void this._playLoop();
        } else {
          this.pause();
          // the last frame's image (its picture may have come too late to show)
          void this._show(this._count(), this._seq);
        }
      }
    });
    this.timeline = new VideoTimeline(frame => void this.seek(frame));
    const controls = h(
      'div',
      { className: 'jp-VisionLens-videoControls' },
      this._button('jp-VisionLens-videoBack10', '−10', () => this.step(-10)),
      this._button('jp-VisionLens-videoBack', '◀', () => this.step(-1)),
      this._play,
      this._button('jp-VisionLens-videoForward', '▶', () => this.step(1)),
      this._button('jp-VisionLens-videoForward10', '+10', () => this.step(10)),
      this._counter,
      this._name,
      this._tracker.node
    );
    this.node = h(
      'div',
      { className: 'jp-VisionLens-video' },
      controls,
      this.timeline.node,
      this._native.node
    );
    this.node.hidden = true;
  }

  readonly node: HTMLDivElement;
  readonly timeline: VideoTimeline;

  /** Whether the sample shown is a frame of a video (the player shows). */
  get active(): boolean {
    return this._timeline !== null && !this.node.hidden;
  }

  /** Whether it is playing. */
  get playing(): boolean {
    return this._playing;
  }

  /** The frame shown (1 when none). */
  get frame(): number {
    return this._frame;
  }

  /**
   * The sample view shows `sample`: the player follows it (another video's
   * frame loads that video's timeline; a still image hides the player).
   */
  async update(sample: ISample | null, dataset: string | null): Promise<void> {
    const at = frameOf(sample);
    if (!sample || !at || !dataset) {
      this._forget();
      return;
    }
    const known = this._timeline;
    if (
      dataset !== this._dataset ||
      !known ||
      known.frames[at.frame - 1] !== sample.sample_id
    ) {
      this._forget();
      const asked = (this._asked = sample.sample_id);
      let timeline: IVideoTimeline;
      try {
        timeline = await videoTimeline(
          this._model,
          dataset,
          sample.sample_id,
          undefined,
          this._tracker.pickedFor(dataset)
        );
      } catch {
        return; // a frame field on a still image (no video row): no player
      }
      if (asked !== this._asked) {
        return;
      }
      this._dataset = dataset;
      this._timeline = timeline;
      this._frames = new VideoFrameLoader(this._model, dataset, timeline, () =>
        this._host.frameEvaluation()
      );
      this._nativeOk =
        NativePlayback.supported &&
        playsNatively(timeline, type => this._native.canPlayType(type));
      this.timeline.setTimeline(timeline);
      this._name.textContent = visibleText(timeline.video.name);
      this._tracker.render(timeline, dataset);
    }
    this._frame = at.frame;
    this.node.hidden = false;
    this._renderFrame();
  }

  /** Step `delta` frames (a step pauses playback). */
  async step(delta: number): Promise<void> {
    this.pause();
    // from the frame a seek still loading goes to: quick presses add up
    const from = this._heading ?? this._frame;
    await this.seek(steppedFrame(from, delta, this._count()));
  }

  /** Show frame `frame` (the nearest with a sample, in the seek's direction); pauses. */
  async seek(frame: number): Promise<void> {
    this.pause();
    const timeline = this._timeline;
    if (!timeline || !this._frames) {
      return;
    }
    const from = this._heading ?? this._frame;
    const towards = frame >= from ? 1 : -1;
    const target =
      frameSample(timeline, frame, towards) ??
      frameSample(timeline, frame, towards === 1 ? -1 : 1);
    if (!target || target.frame === from) {
      return;
    }
    const seq = ++this._seq;
    this._heading = target.frame;
    await this._show(target.frame, seq);
    if (seq === this._seq) {
      this._heading = null;
    }
  }

  /** Play from the frame shown, or pause. */
  toggle(): void {
    if (this._playing) {
      this.pause();
    } else if (this._nativeOk) {
      this._playNative();
    } else {
      void this._playLoop();
    }
  }

  /** Stop playback at the frame shown. */
  pause(): void {
    if (this._playing) {
      this._playing = false;
      this._seq++;
      this._heading = null;
      if (this._native.running) {
        this._native.stop();
        // the server's image of the frame: what a paused view shows
        void this._show(this._frame, this._seq);
      }
      this._renderFrame();
    }
  }

  /** Labels changed: the frames loaded ahead are loaded again. */
  labelsChanged(): void {
    this._frames?.clear();
  }

  dispose(): void {
    this._forget();
  }

  /** Play in the browser's `<video>` element from the frame shown. */
  private _playNative(): void {
    const timeline = this._timeline;
    const id = timeline?.frames[0];
    if (
      !timeline?.video.fps ||
      !this._dataset ||
      id === null ||
      id === undefined
    ) {
      return;
    }
    if (this._frame >= this._count()) {
      this._frame = 0; // played to the end: play again from the start
    }
    this._playing = true;
    this._seq++;
    this._heading = null; // a seek still loading is dropped
    this._renderFrame();
    const url = videoUrl(this._model, this._dataset, id);
    this._native.start(url, this._frame, timeline.video.fps, this._count());
  }

  private async _playLoop(): Promise<void> {
    const timeline = this._timeline;
    if (!timeline) {
      return;
    }
    if (this._frame >= this._count()) {
      this._frame = 0; // played to the end: play again from the start
    }
    this._playing = true;
    const seq = ++this._seq;
    this._heading = null; // a seek still loading is dropped
    this._renderFrame();
    const clock = new PlaybackClock(
      frameInterval(timeline.video.fps),
      performance.now()
    );
    while (this._playing && seq === this._seq) {
      const next = frameSample(timeline, this._frame + 1);
      if (!next) {
        break;
      }
      if (!(await this._show(next.frame, seq))) {
        break;
      }
      const wait = clock.shown(performance.now());
      if (wait > 0) {
        await new Promise(resolve => setTimeout(resolve, wait));
      }
    }
    if (seq === this._seq) {
      this.pause();
    }
  }

  /** Show `frame` once loaded, unless a later seek (`seq`) came first. */
  private async _show(frame: number, seq: number): Promise<boolean> {
    const frames = this._frames;
    if (!frames) {
      return false;
    }
    let sample: ISample;
    try {
      sample = await frames.take(frame);
    } catch {
      return false;
    }
    if (seq !== this._seq || frames !== this._frames) {
      return false;
    }
    const delta = frame - this._frame;
    this._frame = frame;
    this._renderFrame();
    this._host.showFrame(sample, delta);
    return true;
  }

  /**
   * The sample view's stage drew `sample`'s image and labels: the counter and
   * the timeline's cursor name its frame from now on. Set when a frame is
   * asked for, they would lead the picture while its image decodes.
   */
  frameShown(sample: ISample | null): void {
    const at = frameOf(sample);
    const timeline = this._timeline;
    if (
      !at ||
      !timeline ||
      timeline.frames[at.frame - 1] !== sample?.sample_id
    ) {
      return; // a still image, or another video's frame before its timeline
    }
    this._shownFrame = at.frame;
    this._renderCounter();
  }

  private _renderFrame(): void {
    this._renderCounter();
    this._play.textContent = this._playing ? '❚❚ Pause' : '▶ Play';
    this._play.setAttribute('aria-pressed', String(this._playing));
  }

  /** The frame the stage shows (the one asked, until the stage says). */
  private _renderCounter(): void {
    const frame = this._shownFrame ?? this._frame;
    this._counter.textContent = frameCounterText(frame, this._count());
    this._counter.dataset.frame = String(frame);
    this.timeline.setFrame(frame);
  }

  private _count(): number {
    return this._timeline ? frameCount(this._timeline) : 0;
  }

  private _forget(): void {
    this._playing = false;
    this._seq++;
    this._heading = null;
    this._asked = null;
    this._shownFrame = null;
    this._timeline = null;
    this._native.forget();
    this._frames?.clear();
    this._frames = null;
    this.timeline.setTimeline(null);
    this.node.hidden = true;
  }

  private _button(
    className: string,
    label: string,
    onClick: () => unknown
  ): HTMLButtonElement {
    const b = h('button', { className: `jp-mod-styled ${className}` }, label);
    b.addEventListener('click', () => void onClick());
    return b;
  }

  private _timeline: IVideoTimeline | null = null;
  private _dataset: string | null = null;
  private _frames: VideoFrameLoader | null = null;
  private _native: NativePlayback;
  /** Whether this video plays in the `<video>` element (`playsNatively`). */
  private _nativeOk = false;
  private _frame = 1;
  /** The frame the stage last drew (null: not since this video's timeline came). */
  private _shownFrame: number | null = null;
  /** The frame the latest seek goes to while it loads (null: none pending). */
  private _heading: number | null = null;
  private _seq = 0;
  private _asked: number | null = null;
  private _playing = false;
  private _play: HTMLButtonElement;
  private _counter: HTMLSpanElement;
  private _name: HTMLSpanElement;
  private _tracker: TrackerSelect;
}
