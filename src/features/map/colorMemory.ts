/**
 * The map's "Colour by" choice of each dataset, kept while the map panel is
 * closed and reopened, another dataset is shown, a new map is computed, and
 * across page reloads (in the state database, when there is one): the field
 * a user picked is a property of their look at that dataset, not of one map.
 */
import { IStateDB } from '@jupyterlab/statedb';

/** State database key of the remembered colour fields. */
export const MAP_COLOR_KEY = 'visionlens_jlab:map-colour';

/** The colour field picked per dataset (`field|kind` values of the picker). */
export class MapColorMemory {
  constructor(private readonly _db: IStateDB | null = null) {
    this.restored = this._fetch();
  }

  /** Resolves once the saved choices are read (at once without a database). */
  readonly restored: Promise<void>;

  /** The field picked for `dataset`, if any. */
  get(dataset: string): string | null {
    return this._fields.get(dataset) ?? null;
  }

  /** Remember `field` for `dataset` (and save the choices). */
  set(dataset: string, field: string): void {
    if (this._fields.get(dataset) === field) {
      return;
    }
    this._fields.set(dataset, field);
    void this._db
      ?.save(MAP_COLOR_KEY, Object.fromEntries(this._fields))
      .catch(error =>
        console.warn('VisionLens: could not save the map colour', error)
      );
  }

  /**
   * Show the field remembered for `dataset` in `picker`, if it offers it;
   * whether the picker's value changed.
   */
  apply(picker: HTMLSelectElement, dataset: string): boolean {
    const field = this.get(dataset);
    const offered = [...picker.options].some(o => o.value === field);
    if (field === null || !offered || picker.value === field) {
      return false;
    }
    picker.value = field;
    return true;
  }

  private async _fetch(): Promise<void> {
    let saved: unknown = null;
    try {
      saved = (await this._db?.fetch(MAP_COLOR_KEY)) ?? null;
    } catch (error) {
      console.warn('VisionLens: could not read the map colours', error);
    }
    if (!saved || typeof saved !== 'object' || Array.isArray(saved)) {
      return;
    }
    for (const [dataset, field] of Object.entries(saved)) {
      // a choice made while they were read is the newer one
      if (typeof field === 'string' && !this._fields.has(dataset)) {
        this._fields.set(dataset, field);
      }
    }
  }

  private _fields = new Map<string, string>();
}
