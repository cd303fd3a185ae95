/**
 * TP/FP/FN colouring of boxes (an option of the box renderer, `boxes.ts`):
 * a box judged by an evaluation is drawn in its status's colour instead of
 * its class colour, and its line style says the status too, so that the
 * three stay apart without telling red from green:
 *
 * - TP (a matched ground-truth box or prediction): success colour, the
 *   usual line (ground truth solid, prediction dashed);
 * - FP (a prediction): error colour, long dashes, 1.75× as thick;
 * - FN (a missed ground-truth box): warning colour, dotted, 1.5× as thick.
 *
 * Boxes the evaluation did not judge (another model's, ignored ones) keep
 * their class colour and line. The colours are JupyterLab's theme variables
 * (`--jp-success-color1`, `--jp-error-color1`, `--jp-warn-color1`), read
 * from the computed style once per theme, so the dark theme gets its own
 * shades, also after a switch.
 */
import { EvalStatus } from '../../model/tokens';
import { h } from '../../base/dom';
import { svgElement } from './overlay';

/** The statuses drawn in their own colour, in legend order. */
export const COLOURED_STATUSES = ['tp', 'fp', 'fn'] as const;

/** A status drawn in its own colour. */
export type ColouredStatus = (typeof COLOURED_STATUSES)[number];

/** The theme variable of each status's colour, and a fallback outside a theme. */
const STATUS_COLOURS: Record<ColouredStatus, [string, string]> = {
  tp: ['--jp-success-color1', '#388e3c'],
  fp: ['--jp-error-color1', '#d32f2f'],
  fn: ['--jp-warn-color1', '#f57c00']
};

/** What the legend calls each status. */
const STATUS_NAMES: Record<ColouredStatus, string> = {
  tp: 'TP',
  fp: 'FP',
  fn: 'FN (missed)'
};

/** How a box is stroked. */
export interface IBoxStroke {
  color: string;
  /** `stroke-dasharray` (image pixels), or null for a solid line. */
  dash: string | null;
  /** Stroke width (image pixels). */
  width: number;
}

/** The colours last read, and the theme they were read under. */
let colours: { theme: string; values: Record<ColouredStatus, string> } | null =
  null;

/**
 * The status colours of the current theme (fallbacks where unset): read from
 * the computed style once per theme, not once per box, and again after the
 * user switches themes (JupyterLab names the theme on the body).
 */
export function statusColours(): Record<ColouredStatus, string> {
  const theme = document.body.dataset.jpThemeName ?? '';
  if (!colours || colours.theme !== theme) {
    const style = getComputedStyle(document.body);
    const read = (status: ColouredStatus) => {
      const [name, fallback] = STATUS_COLOURS[status];
      return style.getPropertyValue(name).trim() || fallback;
    };
    colours = {
      theme,
      values: { tp: read('tp'), fp: read('fp'), fn: read('fn') }
    };
  }
  return colours.values;
}

/** Whether a box's status has its own colour. */
export function isColouredStatus(
  status: EvalStatus | null | undefined
): status is ColouredStatus {
  return status === 'tp' || status === 'fp' || status === 'fn';
}

/**
 * How a box is stroked: by its class (`classColor`), ground truth solid and
 * predictions dashed; with `byStatus` and a TP/FP/FN status, by that status
 * (see the module's comment). `unit`: image pixels per screen pixel;
 * `stroke`: the usual width in image pixels.
 */
export function boxStroke(
  classColor: string,
  isGroundTruth: boolean,
  status: EvalStatus | null | undefined,
  byStatus: boolean,
  unit: number,
  stroke: number
): IBoxStroke {
  const predictionDash = `${4 * unit} ${3 * unit}`;
  if (!byStatus || !isColouredStatus(status)) {
    return {
      color: classColor,
      dash: isGroundTruth ? null : predictionDash,
      width: stroke
    };
  }
  const color = statusColours()[status];
  if (status === 'fp') {
    return { color, dash: `${8 * unit} ${4 * unit}`, width: 1.75 * stroke };
  }
  if (status === 'fn') {
    return { color, dash: `${1.5 * unit} ${2.5 * unit}`, width: 1.5 * stroke };
  }
  return { color, dash: isGroundTruth ? null : predictionDash, width: stroke };
}

/** A legend of the status colours and lines (one swatch per status). */
export function statusLegend(): HTMLElement {
  const items = COLOURED_STATUSES.map(status => {
    const { color, dash, width } = boxStroke(
      '',
      status !== 'fp',
      status,
      true,
      1,
      2
    );
    const swatch = svgElement('svg');
    swatch.setAttribute('width', '18');
    swatch.setAttribute('height', '8');
    swatch.setAttribute('aria-hidden', 'true');
    const line = svgElement('line');
    line.setAttribute('x1', '0');
    line.setAttribute('y1', '4');
    line.setAttribute('x2', '18');
    line.setAttribute('y2', '4');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', String(width));
    if (dash) {
      line.setAttribute('stroke-dasharray', dash);
    }
    swatch.appendChild(line);
    const item = h(
      'span',
      { className: 'jp-VisionLens-evalLegendItem' },
      swatch,
      STATUS_NAMES[status]
    );
    item.dataset.status = status;
    return item;
  });
  const legend = h('span', { className: 'jp-VisionLens-evalLegend' }, ...items);
  legend.title =
    'Boxes by evaluation status: TP green (usual line), FP red (long dashes, thick), FN orange (dotted); other boxes keep their class colour';
  return legend;
}
