/**
 * How boxes and tiles are drawn in every view: hidden box sources, the
 * confidence threshold of predictions, the fields shown on tiles and the
 * class colour overrides. Part of the shared model (see model.ts).
 */
import { classColor } from '../base/colors';
import { GROUND_TRUTH, IPersistedState } from './tokens';

/** The persisted part of the view state. */
export type PersistedView = Pick<
  IPersistedState,
  'hiddenSources' | 'confidenceThreshold' | 'visibleFields'
>;

/** The view state; every setter answers whether something changed. */
export class ViewState {
  isSourceVisible(source: string): boolean {
    return !this._hiddenSources.has(source);
  }

  setSourceVisible(source: string, visible: boolean): boolean {
    if (visible === this.isSourceVisible(source)) {
      return false;
    }
    if (visible) {
      this._hiddenSources.delete(source);
    } else {
      this._hiddenSources.add(source);
    }
    return true;
  }

  /** Show every source again (a new dataset has other models). */
  showAllSources(): void {
    this._hiddenSources.clear();
  }

  get visibleFields(): readonly string[] {
    return this._visibleFields;
  }

  setFieldVisible(name: string, visible: boolean): boolean {
    if (this._visibleFields.includes(name) === visible) {
      return false;
    }
    this._visibleFields = visible
      ? [...this._visibleFields, name]
      : this._visibleFields.filter(f => f !== name);
    return true;
  }

  get confidenceThreshold(): number {
    return this._threshold;
  }

  setConfidenceThreshold(value: number): boolean {
    const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
    if (v === this._threshold) {
      return false;
    }
    this._threshold = v;
    return true;
  }

  /** Whether the threshold came from a restored state (the user's choice). */
  get thresholdRestored(): boolean {
    return this._thresholdRestored;
  }

  classColor(label: string): string {
    return classColor(label, this._colorOverrides);
  }

  setColorOverrides(overrides: { [label: string]: string }): void {
    this._colorOverrides = { ...overrides };
  }

  /** Whether a box of `source` with `score` is drawn. */
  isBoxVisible(source: string, score: number | null): boolean {
    if (!this.isSourceVisible(source)) {
      return false;
    }
    return (
      source === GROUND_TRUTH || score === null || score >= this._threshold
    );
  }

  toJSON(): PersistedView {
    return {
      hiddenSources: [...this._hiddenSources],
      confidenceThreshold: this._threshold,
      visibleFields: [...this._visibleFields]
    };
  }

  /** Apply a persisted state; malformed parts fall back to the defaults. */
  fromJSON(state: Partial<PersistedView>): void {
    this._hiddenSources = new Set(
      Array.isArray(state.hiddenSources)
        ? state.hiddenSources.filter(s => typeof s === 'string')
        : []
    );
    this._visibleFields = Array.isArray(state.visibleFields)
      ? state.visibleFields.filter(s => typeof s === 'string')
      : [];
    if (typeof state.confidenceThreshold === 'number') {
      this._threshold = Math.min(1, Math.max(0, state.confidenceThreshold));
      this._thresholdRestored = true;
    }
  }

  private _hiddenSources = new Set<string>();
  private _visibleFields: string[] = [];
  private _threshold = 0.5;
  private _thresholdRestored = false;
  private _colorOverrides: { [label: string]: string } = {};
}
