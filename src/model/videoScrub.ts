/**
 * The videos view's tiles, free of the DOM: which scrub frame a pointer over
 * a tile names, the tile's text (duration, tracks, matching frames), and the
 * throttle that keeps a pointer sweeping over tiles from asking the server for
 * every frame it crosses (`ScrubThrottle`).
 */
import { IScrubFrame, IVideoTile } from '../api/videoTypes';
import { fmtInt } from '../base/dom';

/**
 * The scrub frame under `x` pixels of a tile `width` pixels wide: the tile's
 * width is cut into one equal part per scrub frame, left to right in frame
 * order; a pointer past either edge names the first or the last.
 */
export function scrubIndex(x: number, width: number, count: number): number {
  if (count <= 1 || width <= 0 || !Number.isFinite(x)) {
    return 0;
  }
  return Math.min(count - 1, Math.max(0, Math.floor((x / width) * count)));
}

/** The frame of `tile` under `x` of a tile `width` wide (null: none to show). */
export function scrubFrameAt(
  tile: IVideoTile,
  x: number,
  width: number
): IScrubFrame | null {
  const frames = tile.scrub_frames;
  return frames[scrubIndex(x, width, frames.length)] ?? null;
}

/**
 * A duration: tenths of a second under 10 s (`0.4 s`, `7.6 s`: short clips
 * differ by less than a second), else a clock, `m:ss` (`0:12`, `12:30`) or
 * `h:mm:ss` from an hour; null for an unknown one.
 */
export function clockText(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) {
    return null;
  }
  if (seconds < 9.95) {
    return `${seconds.toFixed(1)} s`;
  }
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "1 track", "6 tracks". */
export function tracksText(tracks: number): string {
  return `${fmtInt(tracks)} ${tracks === 1 ? 'track' : 'tracks'}`;
}

/**
 * The frames of a tile: "30 frames", or in a filtered view where only some
 * match, "12 of 30 frames".
 */
export function framesText(tile: IVideoTile): string {
  const all = tile.num_frames;
  return tile.matching_frames < all
    ? `${fmtInt(tile.matching_frames)} of ${fmtInt(all)} frames`
    : `${fmtInt(all)} ${all === 1 ? 'frame' : 'frames'}`;
}

/** The tile's facts line: duration (when known) and tracks. */
export function tileFacts(tile: IVideoTile): string {
  const clock = clockText(tile.duration);
  return [clock, tracksText(tile.tracks)].filter(Boolean).join(' · ');
}

/** The least time (ms) between two frame images a scrubbed tile asks for. */
export const SCRUB_INTERVAL_MS = 80;

/**
 * At most one change per `interval` ms: a pointer crossing many scrub frames
 * quickly shows the frame it rests on (the last one asked) without a request
 * for each frame in between. `show` runs at once when the last change is old
 * enough, else once the interval has passed, with the latest value only.
 */
export class ScrubThrottle<T> {
  constructor(
    private readonly _show: (value: T) => void,
    private readonly _interval = SCRUB_INTERVAL_MS,
    private readonly _now: () => number = () => Date.now()
  ) {}

  /** Ask to show `value` (a later call before it is shown replaces it). */
  request(value: T): void {
    this._wanted = { value };
    if (this._timer !== null) {
      return;
    }
    const wait = this._last + this._interval - this._now();
    if (wait <= 0) {
      this._flush();
    } else {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._flush();
      }, wait);
    }
  }

  /** Drop what is waiting (the pointer left, the tile shows another video). */
  cancel(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._wanted = null;
  }

  private _flush(): void {
    const wanted = this._wanted;
    this._wanted = null;
    if (wanted) {
      this._last = this._now();
      this._show(wanted.value);
    }
  }

  private _wanted: { value: T } | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _last = -Infinity;
}
