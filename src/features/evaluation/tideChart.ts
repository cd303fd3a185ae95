/**
 * TIDE's error analysis of a report as a horizontal bar chart: the AP points
 * each error type costs (main types, then false positives / negatives overall),
 * bars scaled to the largest value. Numbers as tidecv prints them (2 decimals).
 * A main type's bar opens its objects when the report stored them.
 */
import { h } from '../../base/dom';
import { IEvaluationReport } from '../../api/types';

/** The main error types, in tidecv's order, with what each means. */
export const TIDE_MAIN: [string, string][] = [
  ['Cls', 'classification: right place, wrong class'],
  ['Loc', 'localisation: right class, IoU 0.1–0.5'],
  ['Both', 'wrong class and poorly localised'],
  ['Dupe', 'duplicate of an already matched object'],
  ['Bkg', 'background: overlaps nothing'],
  ['Miss', 'missed object no other error explains']
];

/** The special error types: perfect precision, perfect recall. */
export const TIDE_SPECIAL: [string, string][] = [
  ['FalsePos', 'every false positive scored below every true positive'],
  ['FalseNeg', 'every missed object found']
];

type Tide = NonNullable<IEvaluationReport['tide']>;

/** One bar's width in percent of the chart, the largest value filling it. */
export function barPercent(value: number, largest: number): number {
  if (!(largest > 0) || !(value > 0)) {
    return 0;
  }
  return Math.min(100, (value / largest) * 100);
}

/**
 * The chart of `tide`, or null when the report has none (VOC, keypoints, old).
 * With `open` and objects stored (`tide.objects`), a click on a main type's
 * bar (or Enter on it) calls `open` with its name.
 */
export function tideChart(
  tide: Tide | null | undefined,
  open?: (errorType: string) => void
): HTMLElement | null {
  if (!tide) {
    return null;
  }
  const opens = open !== undefined && tide.objects === true;
  const values: [string, string, number][] = [
    ...TIDE_MAIN.map(
      ([name, help]) =>
        [name, help, (tide.main as Record<string, number>)[name]] as [
          string,
          string,
          number
        ]
    ),
    ...TIDE_SPECIAL.map(
      ([name, help]) =>
        [name, help, (tide.special as Record<string, number>)[name]] as [
          string,
          string,
          number
        ]
    )
  ];
  const largest = Math.max(0, ...values.map(([, , v]) => v));
  const chart = h('div', {
    className: 'jp-VisionLens-tideChart',
    attrs: { role: 'img', 'aria-label': 'TIDE dAP per error type' }
  });
  values.forEach(([name, help, value], index) => {
    const bar = h('div', { className: 'jp-VisionLens-tideBar' });
    bar.style.width = `${barPercent(value, largest)}%`;
    const special = index >= TIDE_MAIN.length;
    const clickable = opens && !special;
    const row = h(
      'div',
      {
        className:
          'jp-VisionLens-tideRow' +
          (special ? ' jp-mod-special' : '') +
          (clickable ? ' jp-VisionLens-evalClickable' : ''),
        title:
          `${name}: ${help}` +
          (clickable
            ? ' (click to show these objects)'
            : !special && !opens && open !== undefined
              ? ' (evaluate again to open these objects)'
              : '')
      },
      h('span', { className: 'jp-VisionLens-tideName', text: name }),
      h('span', { className: 'jp-VisionLens-tideTrack' }, bar),
      h('span', {
        className: 'jp-VisionLens-tideValue',
        text: value.toFixed(2)
      })
    );
    if (clickable && open) {
      row.tabIndex = 0;
      row.setAttribute('role', 'button');
      row.addEventListener('click', () => open(name));
      row.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open(name);
        }
      });
    }
    chart.append(row);
  });
  return h(
    'div',
    { className: 'jp-VisionLens-tide' },
    h('div', {
      className: 'jp-VisionLens-evalCounts',
      text: `TIDE AP50 ${tide.ap.toFixed(2)}; errors: ${TIDE_MAIN.map(
        ([name]) => `${name} ${(tide.counts as Record<string, number>)[name]}`
      ).join(' · ')}`
    }),
    chart
  );
}
