/**
 * The map's colour-scheme picker: the built-in scheme (class colours and the
 * viridis ramp) and the schemes other extensions register on
 * `model.extensions`. A registered scheme runs inside `extensions.invoke`:
 * when it throws or answers no colour, the built-in colour is used.
 */
import { Signal } from '@lumino/signaling';

import { IMapColorScheme, IVisionLensModel } from '../../model/tokens';
import { cssToRgb, rampColor } from './colorScale';
import { select, setOptions } from './MapControls';

/** Value of the built-in scheme in the picker. */
export const BUILTIN_SCHEME = '';

/** What `colorPoints` takes from a scheme. */
export interface IPointPalette {
  colorOf: (value: string, index: number) => string;
  ramp: (t: number) => [number, number, number];
}

/** The palette of `scheme` (null: the built-in one), failures isolated. */
export function schemePalette(
  model: IVisionLensModel,
  scheme: IMapColorScheme | null
): IPointPalette {
  const builtin: IPointPalette = {
    colorOf: value => model.classColor(value),
    ramp: rampColor
  };
  if (!scheme) {
    return builtin;
  }
  const registry = model.extensions;
  const call = <T>(fn: () => T): T | null => {
    let out: T | null = null;
    registry.invoke('mapColorScheme', scheme, () => (out = fn()));
    return out;
  };
  return {
    colorOf: (value, index) => {
      const css = scheme.categorical
        ? call(() => scheme.categorical?.(value, index))
        : null;
      return css && cssToRgb(css) ? css : builtin.colorOf(value, index);
    },
    ramp: t => {
      const css = scheme.numeric ? call(() => scheme.numeric?.(t)) : null;
      return (css && cssToRgb(css)) || rampColor(t);
    }
  };
}

/** The "Colours" `<select>`, kept in step with the registered schemes. */
export class SchemePicker {
  constructor(model: IVisionLensModel, onChange: () => void) {
    this._model = model;
    this.node = select('jp-VisionLens-mapScheme', 'Colour scheme', []);
    this.node.addEventListener('change', onChange);
    this._update();
    model.extensions.changed.connect((_, kind) => {
      if (kind === 'mapColorScheme') {
        const before = this.node.value;
        this._update();
        if (this.node.value !== before) {
          onChange();
        }
      }
    }, this);
  }

  readonly node: HTMLSelectElement;

  /** Stop following the registry (the map closed). */
  dispose(): void {
    Signal.clearData(this);
  }

  /** The palette of the scheme picked. */
  palette(): IPointPalette {
    return schemePalette(
      this._model,
      this._model.extensions.mapColorScheme(this.node.value)
    );
  }

  private _update(): void {
    const schemes = this._model.extensions.mapColorSchemes;
    setOptions(this.node, [
      [BUILTIN_SCHEME, 'Default colours'],
      ...schemes.map(s => [s.id, s.label] as [string, string])
    ]);
    // Nothing to pick from: no picker.
    this.node.hidden = schemes.length === 0;
  }

  private _model: IVisionLensModel;
}
