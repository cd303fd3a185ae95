/**
 * The video view's state and geometry, free of the DOM: which frame a step
 * or a point of the timeline names, the lanes of the tracks and their marks,
 * the playback interval and schedule (`PlaybackClock`), the frames fetched
 * ahead while playing (`FramePrefetch`), so that a frame's labels and image
 * are shown together, and their labels asked a window of frames per request
 * (`FrameWindow`).
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

/**
 * The samples of `frames` by frame, read by one call of `read` with the ids
 * of those that have a sample (none: no call); each frame gets the sample of
 * its own id, never one by position, and a frame `read` did not answer is
 * left out.
 */
export async function samplesOfFrames<S extends { sample_id: number }>(
  timeline: IVideoTimeline,
  frames: readonly number[],
  read: (ids: number[]) => Promise<S[]>
): Promise<Map<number, S>> {
  const idOf = new Map<number, number>();
  for (const f of frames) {
    const id = timeline.frames[f - 1];
    if (id !== null && id !== undefined) {
      idOf.set(f, id);
    }
  }
  const out = new Map<number, S>();
  if (idOf.size === 0) {
    return out;
  }
  const byId = new Map(
    (await read([...idOf.values()])).map(s => [s.sample_id, s])
  );
  for (const [f, id] of idOf) {
    const sample = byId.get(id);
    if (sample) {
      out.set(f, sample);
    }
  }
  return out;
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
 * Intervals playback may fall behind and still catch up; further behind (a
 * stall: a slow load, a busy machine) the schedule moves to the late frame.
 */
export const CATCH_UP_FRAMES = 3;

/**
 * The shortest wait between two frames while catching up, in intervals; never
 * under one 60 Hz display refresh, so that each frame is painted.
 */
export const CATCH_UP_GAP = 0.6;

const DISPLAY_REFRESH_MS = 1000 / 60;

/**
 * When the next frame is due while playing. Frames are due on an absolute
 * schedule, one `interval` apart from the first, so that a timer that fires
 * a few milliseconds late (the main thread busy painting the last frame) is
 * made up on the next frame instead of adding up over the run; a schedule of
 * delays measured from each frame plays slower than the video on a loaded
 * machine. A frame shown late by up to `CATCH_UP_FRAMES` intervals (it loaded
 * late) is made up too, by the frames after it coming sooner, but never
 * sooner than `CATCH_UP_GAP` of an interval (or a display refresh) after the
 * last, so the browser paints every one of them: the video keeps its speed
 * (measured: moving the schedule at every frame over half an interval late
 * played a 30 fps video at 27.5 fps, benchmarks/results/video.md). A frame
 * later than that moves the schedule to it.
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
    if (now - this._due > CATCH_UP_FRAMES * this.interval) {
      this._due = now; // a stall: the schedule goes on from this frame
    }
    this._due += this.interval;
    const gap = Math.max(CATCH_UP_GAP * this.interval, DISPLAY_REFRESH_MS);
    return Math.max(Math.min(gap, this.interval), this._due - now);
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

/**
 * Frames' labels asked a window at a time: `get(frame, count)` gives the
 * labels of `frame`, and when they are not held asks `loadMany` once for it
 * and the frames after it up to `size` in all (up to `count`), which are held
 * until their own `get`. Each frame's labels are handed out once: a frame
 * asked again (its load failed) starts a window from it. A `get` drops held
 * frames outside the window from `frame` (a seek elsewhere); `clear` drops
 * them all. `loadMany` answers each frame it has labels of, by frame; a frame
 * it leaves out (no sample) fails, alone.
 */
export class FrameWindow<T> {
  constructor(
    private readonly _loadMany: (
      frames: readonly number[]
    ) => Promise<ReadonlyMap<number, T>>,
    readonly size = 8
  ) {}

  /** The labels of `frame`, asking its window (up to frame `count`) if needed. */
  get(frame: number, count: number): Promise<T> {
    const end = Math.min(count, frame + this.size - 1);
    for (const f of [...this._held.keys()]) {
      if (f < frame || f > frame + this.size - 1) {
        this._held.delete(f);
      }
    }
    if (!this._held.has(frame)) {
      const frames: number[] = [];
      for (let f = frame; f <= Math.max(frame, end); f++) {
        if (!this._held.has(f)) {
          frames.push(f);
        }
      }
      const window = this._loadMany(frames);
      for (const f of frames) {
        const one = window.then(got => {
          const labels = got.get(f);
          if (labels === undefined) {
            throw new Error(`frame ${f} has no labels`);
          }
          return labels;
        });
        // a held frame's failure is for its own get to report, not an unhandled rejection
        one.catch(() => undefined);
        this._held.set(f, one);
      }
    }
    const labels = this._held.get(frame)!;
    this._held.delete(frame);
    return labels;
  }

  /** The frames held, in order (for tests). */
  get held(): number[] {
    return [...this._held.keys()].sort((a, b) => a - b);
  }

  /** Forget every frame held (the labels changed, or another video). */
  clear(): void {
    this._held.clear();
  }

  private _held = new Map<number, Promise<T>>();
}
