/**
 * Drawing spread over animation frames. A screen of grid tiles with masks
 * drawn in one task kept the main thread busy past 100 ms (the canvas
 * commands, then each changed canvas's raster and layer in the same frame;
 * see benchmarks/results/grid.md, session 14): queued here, each frame draws
 * only as many as fit in a few milliseconds.
 */

/** Jobs by key, run in animation frames within a time budget per frame. */
export class FrameQueue<K> {
  /**
   * @param budgetMs time per frame after which no further job starts (at
   *   least one runs per frame, so the queue always empties)
   * @param schedule runs a callback in the next frame
   * @param now the clock
   */
  constructor(
    private readonly _budgetMs = 6,
    private readonly _schedule: (run: () => void) => void = run =>
      requestAnimationFrame(run),
    private readonly _now: () => number = () => performance.now()
  ) {}

  /** Jobs waiting. */
  get size(): number {
    return this._jobs.size;
  }

  /**
   * Run `job` in a coming frame; a job of the same key still waiting is
   * dropped (only the latest drawing of a tile matters) and the new one
   * takes its turn at the end.
   */
  put(key: K, job: () => void): void {
    this._jobs.delete(key);
    this._jobs.set(key, job);
    if (!this._scheduled) {
      this._scheduled = true;
      this._schedule(() => this._run());
    }
  }

  /** Drop the job of `key`, if one waits. */
  cancel(key: K): void {
    this._jobs.delete(key);
  }

  private _run(): void {
    this._scheduled = false;
    const start = this._now();
    for (const [key, job] of this._jobs) {
      this._jobs.delete(key);
      job();
      if (this._now() - start >= this._budgetMs) {
        break;
      }
    }
    if (this._jobs.size && !this._scheduled) {
      this._scheduled = true;
      this._schedule(() => this._run());
    }
  }

  private readonly _jobs = new Map<K, () => void>();
  private _scheduled = false;
}
