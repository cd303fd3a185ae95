/**
 * The frames of one video as the player shows them: a frame's sample
 * (labels) and its decoded image loaded together (`take`), or its sample
 * alone where the picture comes from the browser's own decoder
 * (`labelsOf`), each a few frames ahead of the one asked. The labels of a
 * window of upcoming frames come in one request (`FrameWindow`), held until
 * their frame is asked; each image is its own request. With TP/FP/FN on,
 * each window's labels come with their statuses in the colouring
 * evaluation, so they keep their colours while playing.
 */
import {
  FramePrefetch,
  FrameWindow,
  frameCount,
  samplesOfFrames
} from '../../model/videoFrames';
import { getSamples, imageUrl } from '../../model/sources/samples';
import {
  IEvaluationSummary,
  ISample,
  IVideoTimeline,
  IVisionLensModel
} from '../../model/tokens';

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

/** One video's frames, loaded ahead of the one shown. */
export class VideoFrameLoader {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _dataset: string,
    private readonly _timeline: IVideoTimeline,
    private readonly _evaluation: () => Promise<IEvaluationSummary | null>
  ) {
    this._count = frameCount(_timeline);
  }

  /** `frame`'s sample once its image is decoded too. */
  take(frame: number): Promise<ISample> {
    return this._pictures.take(frame, this._count);
  }

  /** `frame`'s sample (its picture drawn elsewhere). */
  labelsOf(frame: number): Promise<ISample> {
    return this._labelsAhead.take(frame, this._count);
  }

  /** Forget what is loaded (the labels changed, or the video is left). */
  clear(): void {
    this._pictures.clear();
    this._labelsAhead.clear();
    this._labels.clear();
  }

  private async _load(frame: number): Promise<ISample> {
    const id = this._timeline.frames[frame - 1];
    if (id === null || id === undefined) {
      throw new Error(`frame ${frame} has no sample`);
    }
    const [sample] = await Promise.all([
      this._labels.get(frame, this._count),
      decodedImage(imageUrl(this._model, this._dataset, id))
    ]);
    return sample;
  }

  /** The samples of `frames` (those with one), in one request, by frame. */
  private _loadWindow(
    frames: readonly number[]
  ): Promise<Map<number, ISample>> {
    return samplesOfFrames(this._timeline, frames, async ids => {
      const evaluation = await this._evaluation();
      return getSamples(this._model, this._dataset, ids, undefined, evaluation);
    });
  }

  private readonly _count: number;
  private _labels = new FrameWindow<ISample>(f => this._loadWindow(f), WINDOW);
  private _pictures = new FramePrefetch<ISample>(f => this._load(f), AHEAD);
  private _labelsAhead = new FramePrefetch<ISample>(
    f => this._labels.get(f, this._count),
    AHEAD
  );
}
