/**
 * Where the model's state lives across reloads: the state database, written
 * a moment after the last change (debounced) and read once at start.
 */
import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyJSONObject } from '@lumino/coreutils';

import { IPersistedState } from './tokens';

/** State database key of the persisted model state. */
export const STATE_KEY = 'visionlens_jlab:model';

/** Debounced writes of the state `read` answers (no database: nothing). */
export class Persistence {
  constructor(
    private readonly _db: IStateDB | null,
    private readonly _delay: number,
    private readonly _read: () => IPersistedState
  ) {}

  /** The saved state, or null (none, no database, or unreadable). */
  async fetch(): Promise<IPersistedState | null> {
    if (!this._db) {
      return null;
    }
    try {
      return (await this._db.fetch(STATE_KEY)) as unknown as IPersistedState;
    } catch (error) {
      console.warn('VisionLens: could not restore the saved state', error);
      return null;
    }
  }

  /** Write the state after the delay (a later change restarts the wait). */
  schedule(): void {
    if (!this._db) {
      return;
    }
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.save().catch(error =>
        console.warn('VisionLens: could not save the state', error)
      );
    }, this._delay);
  }

  /** Write the state now. */
  async save(): Promise<void> {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    if (this._db) {
      await this._db.save(
        STATE_KEY,
        this._read() as unknown as ReadonlyJSONObject
      );
    }
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
}
