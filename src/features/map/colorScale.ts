/**
 * Point colours: categorical palettes (class colours identical to the grid's,
 * through the model's `classColor`) and a numeric colour scale, written into
 * one RGBA byte per channel and point (what the GPU takes).
 */
import { PointValues } from '../../api/mapWire';

export type RGBA = [number, number, number, number];

/** Colour of points with no value (and of folded "other" values); opaque, so
 * that frames without selection or dimming need no blending. */
export const NO_VALUE: RGBA = [150, 150, 150, 255];
/** Colour of every point when nothing colours them. */
export const DEFAULT_POINT: RGBA = [31, 119, 180, 255];

/** Viridis at 9 stops (perceptually uniform, readable on light and dark). */
const RAMP: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37]
];

/** RGB of a CSS colour in `hsl()`, `rgb()` or hex notation (others: null). */
export function cssToRgb(css: string): [number, number, number] | null {
  const text = css.trim().toLowerCase();
  let m = /^hsla?\(\s*([\d.]+)\s*,\s*([\d.]+)%\s*,\s*([\d.]+)%/.exec(text);
  if (m) {
    return hslToRgb(Number(m[1]), Number(m[2]) / 100, Number(m[3]) / 100);
  }
  m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(text);
  if (m) {
    return [Number(m[1]), Number(m[2]), Number(m[3])].map(v =>
      Math.round(Math.min(255, v))
    ) as [number, number, number];
  }
  m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(text);
  if (m) {
    const hex =
      m[1].length === 3
        ? m[1]
            .split('')
            .map(c => c + c)
            .join('')
        : m[1];
    return [0, 2, 4].map(i => parseInt(hex.slice(i, i + 2), 16)) as [
      number,
      number,
      number
    ];
  }
  return null;
}

/** CSS `hsl()` semantics (h in degrees, s and l in 0..1) to 0..255 RGB. */
export function hslToRgb(
  h: number,
  s: number,
  l: number
): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1
      ? [c, x, 0]
      : hp < 2
        ? [x, c, 0]
        : hp < 3
          ? [0, c, x]
          : hp < 4
            ? [0, x, c]
            : hp < 5
              ? [x, 0, c]
              : [c, 0, x];
  const m = l - c / 2;
  return [r, g, b].map(v => Math.round((v + m) * 255)) as [
    number,
    number,
    number
  ];
}

/** The colour scale at `t` in 0..1 (clamped). */
export function rampColor(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(u));
  const f = u - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  return [0, 1, 2].map(k => Math.round(a[k] + (b[k] - a[k]) * f)) as [
    number,
    number,
    number
  ];
}

/** CSS gradient of a colour scale (for the numeric legend), at 9 stops. */
export function rampGradient(
  ramp: (t: number) => [number, number, number] = rampColor
): string {
  const stops = RAMP.map(
    (_, i) =>
      `rgb(${ramp(i / (RAMP.length - 1)).join(',')}) ${Math.round((100 * i) / (RAMP.length - 1))}%`
  );
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** One legend row: what it stands for and its colour. */
export interface ILegendRow {
  label: string;
  count: number;
  color: RGBA;
}

/** Colours of every point for `values`, and the legend that explains them. */
export interface IColoring {
  colors: Uint8Array;
  legend: ILegendRow[];
}

/**
 * Fill `out` (4 bytes a point) from `values`. Categorical values take
 * `colorOf(value, rank)` (the model's class colours, or a scheme's); numeric
 * ones the colour scale `ramp` over [min, max]; missing values grey.
 */
export function colorPoints(
  values: PointValues | null,
  count: number,
  colorOf: (value: string, index: number) => string,
  out: Uint8Array = new Uint8Array(4 * count),
  ramp: (t: number) => [number, number, number] = rampColor
): IColoring {
  if (!values) {
    fill(out, count, DEFAULT_POINT);
    return { colors: out, legend: [] };
  }
  if (values.kind === 'numeric') {
    const { min, max } = values;
    const span = max > min ? max - min : 1;
    for (let i = 0; i < count; i++) {
      const v = values.values[i];
      const c: RGBA = v === v ? [...ramp((v - min) / span), 255] : NO_VALUE;
      out.set(c, 4 * i);
    }
    return { colors: out, legend: [] };
  }
  const palette: RGBA[] = values.legend.map((entry, k) =>
    entry.value === null || entry.other
      ? NO_VALUE
      : ([
          ...(cssToRgb(colorOf(entry.value, k)) ?? NO_VALUE.slice(0, 3)),
          255
        ] as RGBA)
  );
  for (let i = 0; i < count; i++) {
    const code = values.codes[i];
    out.set(code < palette.length ? palette[code] : NO_VALUE, 4 * i);
  }
  const legend = values.legend.map((entry, k) => ({
    label: entry.other ? 'other' : (entry.value ?? '(none)'),
    count: entry.count,
    color: palette[k]
  }));
  const nulls = Number(values.header.nulls ?? 0);
  if (nulls > 0) {
    legend.push({ label: '(none)', count: nulls, color: NO_VALUE });
  }
  return { colors: out, legend };
}

function fill(out: Uint8Array, count: number, color: RGBA): void {
  for (let i = 0; i < count; i++) {
    out.set(color, 4 * i);
  }
}

/** `rgb()` text of a colour (legend swatches). */
export function rgbCss(color: RGBA): string {
  return `rgb(${color[0]}, ${color[1]}, ${color[2]})`;
}
