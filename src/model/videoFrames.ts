/**
 * The video view's state and geometry, free of the DOM: which frame a step
 * or a point of the timeline names, the lanes of the tracks and their marks,
 * the playback interval and schedule (`PlaybackClock`), and the frames
 * fetched ahead while playing (`FramePrefetch`), so that a frame's labels and
 * image are shown together.
 */
import { trackColor } from '../base/colors';
import { IVideoTimeline } from './tokens';

/** One track of a video, as a lane of the timeline. */
export type IVideoTrack = IVideoTimeline['tracks'][number];

/** Frame rate used when the video does not say (a sequence without seqinfo). */
export const DEFAULT_FPS = 10;

/** The frame count of a timeline (its last frame's number). */
export function frameCount(timeline: IVideoTimeline): number {
  return Math.max(timeline.video.num_frames, timeline.frames.length);
}

/** `frame + delta`, kept within 1..`count`. */
export function steppedFrame(
  frame: number,
  delta: number,
  count: number
): number {
  return Math.min(Math.max(1, Math.round(frame + delta)), Math.max(1, count));
}

/** The frame under `x` pixels of a timeline `width` pixels wide. */
export function frameAt(x: number, width: number, count: number): number {
  if (width <= 0 || count <= 0) {
    return 1;
  }
  return steppedFrame(Math.floor((x / width) * count) + 1, 0, count);
}

/** The left edge (pixels) of `frame`'s cell on a timeline `width` wide. */
export function frameX(frame: number, width: number, count: number): number {
  return count > 0 ? ((frame - 1) / count) * width : 0;
}

/**
 * The sample id of `frame`, else of the nearest frame past it in the
 * direction `towards` (+1 or -1) that has a sample; null when none has.
 */
export function frameSample(
  timeline: IVideoTimeline,
  frame: number,
  towards: 1 | -1 = 1
): { frame: number; sampleId: number } | null {
  const frames = timeline.frames;
  for (let f = frame; f >= 1 && f <= frames.length; f += towards) {
    const id = frames[f - 1];
    if (id !== null && id !== undefined) {
      return { frame: f, sampleId: id };
    }
  }
  return null;
}

/** One lane of the timeline: a track, its colour and its marks in pixels. */
export interface ITrackLane {
  track: IVideoTrack;
  color: string;
  /** `[x, width]` of each run of frames where the track has an object. */
  marks: [number, number][];
}

/**
 * The lanes of the tracks of `sources` (all sources when null), in the
 * timeline's order, on a timeline `width` pixels wide; a mark is at least
 * one pixel wide so that a single frame shows on a long video.
 */
export function trackLanes(
  timeline: IVideoTimeline,
  width: number,
  sources: ReadonlySet<string> | null = null
): ITrackLane[] {
  const count = frameCount(timeline);
  return timeline.tracks
    .filter(t => sources === null || sources.has(t.source))
    .map(track => ({
      track,
      color: trackColor(track.track_id),
      marks: track.runs.map(([first, last]) => {
        const x = frameX(first, width, count);
        return [x, Math.max(1, frameX(last + 1, width, count) - x)];
      })
    }));
}

/** Milliseconds between two frames when playing at the video's rate. */
export function frameInterval(fps: number | null | undefined): number {
  const rate = fps && Number.isFinite(fps) && fps > 0 ? fps : DEFAULT_FPS;
  return 1000 / rate;
}

/**
 * When the next frame is due while playing. Frames are due on an absolute
 * schedule, one `interval` apart from the first, so that a timer that fires
 * a few milliseconds late (the main thread busy painting the last frame) is
 * made up on the next frame instead of adding up over the run; a schedule of
 * delays measured from each frame plays slower than the video on a loaded
 * machine. A frame shown more than half an interval late (it loaded late)
 * moves the schedule to it: playback does not hurry through the frames after
 * it to catch up, which would replace them before the browser paints them.
 */
export class PlaybackClock {
  /** Start a run at `now` (ms): the first frame is due at once. */
  constructor(
    readonly interval: number,
    now: number
  ) {
    this._due = now;
  }

  /** A frame was shown at `now`: the milliseconds to wait before the next. */
  shown(now: number): number {
    if (now - this._due > this.interval / 2) {
      this._due = now; // late: the schedule goes on from this frame
    }
    this._due += this.interval;
    return Math.max(0, this._due - now);
  }

  private _due: number;
}

/** The frame counter's text: `frame 3 / 250`. */
export function frameCounterText(frame: number, count: number): string {
  return `frame ${frame} / ${count}`;
}

/**
 * Frames loaded ahead of the one shown: `load(frame)` is asked once per frame
 * (the sample and its decoded image together); `take(frame)` gives that load
 * (starting it if needed) and asks for the `ahead` frames after it, dropping
 * loads of frames no longer ahead.
 */
export class FramePrefetch<T> {
  constructor(
    private readonly _load: (frame: number) => Promise<T>,
    readonly ahead = 4
  ) {}

  /** The load of `frame`, with the next `ahead` frames (up to `count`) asked. */
  take(frame: number, count: number): Promise<T> {
    const wanted = this._get(frame);
    for (let f = frame + 1; f <= Math.min(count, frame + this.ahead); f++) {
      this._get(f);
    }
    for (const f of [...this._loads.keys()]) {
      if (f < frame || f > frame + this.ahead) {
        this._loads.delete(f);
      }
    }
    return wanted;
  }

  /** The frames loading or loaded, in order (for tests and the status). */
  get pending(): number[] {
    return [...this._loads.keys()].sort((a, b) => a - b);
  }

  /** Forget every load (another video, or its labels changed). */
  clear(): void {
    this._loads.clear();
  }

  private _get(frame: number): Promise<T> {
    let load = this._loads.get(frame);
    if (!load) {
      load = this._load(frame);
      // a failed load is asked again next time, not kept
      load.catch(() => this._loads.delete(frame));
      this._loads.set(frame, load);
    }
    return load;
  }

  private _loads = new Map<number, Promise<T>>();
}
