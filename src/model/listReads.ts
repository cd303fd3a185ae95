/**
 * Reads of the datasets list, one per change: calls made in one tick share
 * one read, and a change made by a job is told twice (its job event and its
 * dataset event, `visionlens_jlab/jobs/events.py`) but read for once.
 */
import { IDatasetInfo } from '../api/types';

/** The shared reads of one model's datasets list. */
export class ListReads {
  /** `list`: one GET of the datasets list (the REST client's). */
  constructor(private readonly _list: () => Promise<IDatasetInfo[]>) {}

  /**
   * The list as the server has it after this call: the read pending in this
   * tick, or a new one. With `job` (the job whose change prompts it): the
   * read already made for that job, when there was one.
   */
  read(job?: string): Promise<IDatasetInfo[]> {
    if (job !== undefined) {
      const done = this._forJob.get(job);
      if (done) {
        return done;
      }
    }
    if (!this._pending) {
      // Started after the calls of this tick: they are all answered by it.
      this._pending = Promise.resolve().then(() => {
        this._pending = null;
        return this._list();
      });
    }
    const read = this._pending;
    if (job !== undefined) {
      this._forJob.set(job, read);
      // A failed read is not the job's: its next telling reads again.
      read.catch(
        () => this._forJob.get(job) === read && this._forJob.delete(job)
      );
    }
    return read;
  }

  private _pending: Promise<IDatasetInfo[]> | null = null;
  private _forJob = new Map<string, Promise<IDatasetInfo[]>>();
}
