/**
 * The validation report of an ingest as DOM (counts, warnings and errors
 * with examples), and the label/value stat chips of the datasets panel.
 */
import { fmtInt, h } from '../../base/dom';
import { IIngestReport } from '../../api/types';

/** A label/value chip; `key` names it for styling and tests. */
export function stat(label: string, value: string, key?: string): HTMLElement {
  const el = h(
    'span',
    { className: 'jp-VisionLens-stat' },
    h('span', { className: 'jp-VisionLens-statLabel', text: label }),
    h('span', { className: 'jp-VisionLens-statValue', text: value })
  );
  if (key) {
    el.dataset.stat = key;
  }
  if (key === 'models' || key === 'created') {
    el.classList.add('jp-mod-wide');
  }
  return el;
}

/** The ingest report as DOM (counts, warnings and errors with examples). */
export function renderReport(report: IIngestReport | null): HTMLElement[] {
  if (!report) {
    return [h('div', { text: 'No ingest report.' })];
  }
  const out: HTMLElement[] = [];
  const counts = Object.entries(report.counts ?? {});
  if (counts.length) {
    out.push(
      h(
        'div',
        { className: 'jp-VisionLens-reportCounts' },
        ...counts.map(([k, v]) => stat(k, fmtInt(v)))
      )
    );
  }
  for (const [kind, items] of [
    ['error', report.errors ?? []],
    ['warning', report.warnings ?? []]
  ] as const) {
    for (const item of items) {
      const examples = (item.examples ?? [])
        .slice(0, 5)
        .map(e => (typeof e === 'string' ? e : JSON.stringify(e)));
      out.push(
        h(
          'div',
          { className: `jp-VisionLens-reportItem jp-mod-${kind}` },
          h('span', { className: 'jp-VisionLens-reportCode', text: item.code }),
          h('span', {
            className: 'jp-VisionLens-valueCount',
            text: item.count !== undefined ? `×${fmtInt(item.count)}` : ''
          }),
          h('div', { text: item.message }),
          examples.length
            ? h('div', {
                className: 'jp-VisionLens-reportExamples',
                text: `e.g. ${examples.join(' · ')}`
              })
            : ''
        )
      );
    }
  }
  if (!report.errors?.length && !report.warnings?.length) {
    out.push(
      h('div', { className: 'jp-VisionLens-reportOk', text: 'No warnings.' })
    );
  }
  return out;
}
