/**
 * The video view of the sample view: shown while the open sample is a frame
 * of a video (its `video` and `frame_number` fields). Play / pause, frame
 * stepping (the view's ←/→, Shift for ±10, through `step`), a frame counter
 * and the tracks' timeline (`VideoTimeline`), which seeks. Where models of
 * the dataset have a tracking evaluation, a select picks whose identity
 * switches the timeline marks (the first such model until one is picked).
 *
 * A frame is shown only once both its sample (labels) and its image are
 * loaded (`FramePrefetch`, a few frames ahead while playing), so the labels
 * drawn are always those of the image shown; playback waits for a late frame
 * rather than show an image with another frame's labels. The labels of a
 * window of upcoming frames come in one request (`FrameWindow`), held until
 * their frame loads; each image is its own request. With TP/FP/FN on, each
 * window's labels come with their statuses in the colouring evaluation
 * (`IVideoHost.frameEvaluation`), so they keep their colours while playing.
 */
import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import {
  FramePrefetch,
  FrameWindow,
  PlaybackClock,
  frameCount,
  frameCounterText,
  frameInterval,
  frameSample,
  samplesOfFrames,
  steppedFrame
} from '../../model/videoFrames';
import { getSamples, imageUrl } from '../../model/sources/samples';
import { frameOf, videoTimeline } from '../../model/sources/videos';
import {
  IEvaluationSummary,
  ISample,
  IVideoTimeline,
  IVisionLensModel
} from '../../model/tokens';
import { VideoTimeline } from './VideoTimeline';

/** What the player asks of the sample view. */
export interface IVideoHost {
  /** Show `sample` (a frame whose image is loaded): `delta` frames from the last. */
  showFrame(sample: ISample, delta: number): void;
  /** The evaluation whose TP/FP/FN statuses the frames carry (null: colours off). */
  frameEvaluation(): Promise<IEvaluationSummary | null>;
}

/** Frames loaded ahead while playing. */
const AHEAD = 4;

/**
 * Frames whose labels one request asks: past `AHEAD`, so that the next
 * window is asked while frames of this one are still to show.
 */
const WINDOW = 8;

/** Load an image and wait until it is decoded (then the browser holds it). */
function decodedImage(url: string): Promise<void> {
  const img = new Image();
  img.src = url;
  return img.decode();
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
    this._tracker = h('select', {
      className: 'jp-VisionLens-videoTracker jp-mod-styled',
      attrs: { 'aria-label': 'Identity switches of' }
    });
    this._tracker.addEventListener(
      'change',
      () => void this._markSwitchesOf(this._tracker.value)
    );
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
      this._tracker
    );
    this.node = h(
      'div',
      { className: 'jp-VisionLens-video' },
      controls,
      this.timeline.node
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
    if (dataset !== this._dataset) {
      this._picked = undefined; // another dataset's models
    }
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
          this._picked
        );
      } catch {
        return; // a frame field on a still image (no video row): no player
      }
      if (asked !== this._asked) {
        return;
      }
      this._dataset = dataset;
      this._timeline = timeline;
      this._labels = new FrameWindow(f => this._loadLabels(f), WINDOW);
      this._prefetch = new FramePrefetch(f => this._load(f), AHEAD);
      this.timeline.setTimeline(timeline);
      this._name.textContent = visibleText(timeline.video.name);
      this._renderTrackers();
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

  /** Show frame `frame` (the nearest with a sample, in the seek's direction). */
  async seek(frame: number): Promise<void> {
    const timeline = this._timeline;
    if (!timeline || !this._prefetch) {
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
      this._renderFrame();
    }
  }

  /** Labels changed: the frames loaded ahead are loaded again. */
  labelsChanged(): void {
    this._prefetch?.clear();
    this._labels?.clear();
  }

  dispose(): void {
    this._forget();
  }

  /** Mark the identity switches of `tracker` (a model with a tracking evaluation). */
  private async _markSwitchesOf(tracker: string): Promise<void> {
    const known = this._timeline;
    const dataset = this._dataset;
    const id = known?.frames.find(f => f !== null);
    if (!known || !dataset || id === null || id === undefined) {
      return;
    }
    let timeline: IVideoTimeline;
    try {
      timeline = await videoTimeline(
        this._model,
        dataset,
        id,
        undefined,
        tracker
      );
    } catch {
      this._renderTrackers(); // refused (its evaluation deleted): the select says what is marked
      return;
    }
    if (known !== this._timeline) {
      return; // another video came meanwhile
    }
    this._picked = tracker;
    // the same video (frames, samples): only the tracks' switches differ
    this._timeline = timeline;
    this.timeline.setTimeline(timeline);
    this._renderTrackers();
    this._renderFrame();
  }

  /** The select of the models with a tracking evaluation, shown when there are some. */
  private _renderTrackers(): void {
    const timeline = this._timeline;
    const models = timeline?.tracking_models ?? [];
    this._tracker.replaceChildren(
      ...models.map(name => {
        const option = h('option', { text: `switches of ${name}` });
        option.value = name;
        return option;
      })
    );
    this._tracker.value = timeline?.model ?? '';
    this._tracker.hidden = models.length === 0;
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
    const prefetch = this._prefetch;
    if (!prefetch) {
      return false;
    }
    let sample: ISample;
    try {
      sample = await prefetch.take(frame, this._count());
    } catch {
      return false;
    }
    if (seq !== this._seq || prefetch !== this._prefetch) {
      return false;
    }
    const delta = frame - this._frame;
    this._frame = frame;
    this._renderFrame();
    this._host.showFrame(sample, delta);
    return true;
  }

  /** A frame's sample (from its window) and decoded image, together. */
  private async _load(frame: number): Promise<ISample> {
    const id = this._timeline?.frames[frame - 1];
    const dataset = this._dataset;
    const labels = this._labels;
    if (id === null || id === undefined || !dataset || !labels) {
      throw new Error(`frame ${frame} has no sample`);
    }
    const [sample] = await Promise.all([
      labels.get(frame, this._count()),
      decodedImage(imageUrl(this._model, dataset, id))
    ]);
    return sample;
  }

  /** The samples of `frames` (those with one), in one request, by frame. */
  private _loadLabels(
    frames: readonly number[]
  ): Promise<Map<number, ISample>> {
    const timeline = this._timeline;
    const dataset = this._dataset;
    if (!timeline || !dataset) {
      return Promise.resolve(new Map());
    }
    return samplesOfFrames(timeline, frames, async ids => {
      const evaluation = await this._host.frameEvaluation();
      return getSamples(this._model, dataset, ids, undefined, evaluation);
    });
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
    this._prefetch?.clear();
    this._prefetch = null;
    this._labels?.clear();
    this._labels = null;
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
  private _prefetch: FramePrefetch<ISample> | null = null;
  private _labels: FrameWindow<ISample> | null = null;
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
  private _tracker: HTMLSelectElement;
  /** The model picked for the switches (undefined: the dataset's first). */
  private _picked: string | undefined = undefined;
}
