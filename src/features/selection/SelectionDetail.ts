/**
 * One stored selection: its settings, the buttons that show it in the grid
 * or on the map, export it or send it to Label Studio, and its chosen rows (rank, sample, total score and each
 * strategy's share of it as a bar). Dataset text is set as text, never HTML.
 */
import { button, clear, fmtInt, h } from '../../base/dom';
import { ISelectionRecord } from '../../api/selectionTypes';
import { scoreBars, settingLines } from './format';

/**
 * Rows listed at most (their names are read in one page of the samples
 * query, at most 1000); "Show in grid" shows every chosen sample.
 */
export const MAX_ROWS = 500;

/** What the detail's buttons and rows do. */
export interface ISelectionDetailActions {
  showInGrid: (record: ISelectionRecord) => void;
  showOnMap: (record: ISelectionRecord) => void;
  exportView: (record: ISelectionRecord) => void;
  labelStudio: (record: ISelectionRecord) => void;
  openSample: (record: ISelectionRecord, sampleId: number) => void;
}

/**
 * The detail of `record` (with its rows); `names` maps a sample id to its
 * file name where it is known.
 */
export function renderSelectionDetail(
  into: HTMLElement,
  record: ISelectionRecord,
  names: ReadonlyMap<number, string>,
  actions: ISelectionDetailActions
): void {
  clear(into);
  into.dataset.selectionId = String(record.id);
  const settings = h('dl', { className: 'jp-VisionLens-selSettings' });
  for (const [label, text] of settingLines(record)) {
    settings.append(h('dt', { text: label }), h('dd', { text }));
  }
  const buttons = h(
    'div',
    { className: 'jp-VisionLens-selButtons' },
    button('Show in grid', 'jp-VisionLens-selShowGrid', () =>
      actions.showInGrid(record)
    ),
    button('Show on map', 'jp-VisionLens-selShowMap', () =>
      actions.showOnMap(record)
    ),
    button('Export…', 'jp-VisionLens-selExport', () =>
      actions.exportView(record)
    ),
    button('Label Studio…', 'jp-VisionLens-selLabelStudio', () =>
      actions.labelStudio(record)
    )
  );
  into.append(
    h('div', {
      className: 'jp-VisionLens-selTitle',
      text: `Selection #${record.id}`
    }),
    settings,
    buttons,
    rowsTable(record, names, actions)
  );
  const total = record.rows?.length ?? 0;
  if (total > MAX_ROWS) {
    into.append(
      h('div', {
        className: 'jp-VisionLens-selMore',
        text: `The first ${fmtInt(MAX_ROWS)} of ${fmtInt(total)} rows: "Show in grid" shows them all.`
      })
    );
  }
}

function rowsTable(
  record: ISelectionRecord,
  names: ReadonlyMap<number, string>,
  actions: ISelectionDetailActions
): HTMLTableElement {
  const order = record.strategies.map(s => s.name);
  const table = h('table', { className: 'jp-VisionLens-selRows' });
  table.append(
    h(
      'tr',
      {},
      h('th', { text: 'Rank' }),
      h('th', { text: 'Sample' }),
      h('th', { text: 'Score' }),
      h('th', { text: 'Why' })
    )
  );
  for (const row of (record.rows ?? []).slice(0, MAX_ROWS)) {
    const name = names.get(row.sample_id);
    const parts = scoreBars(row, order);
    const bar = h('div', {
      className: 'jp-VisionLens-selBar',
      title: parts.map(p => `${p.word}: ${p.value.toFixed(3)}`).join(', ')
    });
    for (const [i, part] of parts.entries()) {
      const piece = h('span', {
        className: `jp-VisionLens-selBarPart jp-mod-part${i % 4}`,
        title: `${part.word}: ${part.value.toFixed(3)}`,
        attrs: { 'data-strategy': part.word }
      });
      piece.style.width = `${part.percent}%`;
      bar.append(piece);
    }
    const tr = h(
      'tr',
      {
        className: 'jp-VisionLens-selRow',
        title: `Open sample ${row.sample_id}`,
        attrs: { 'data-sample-id': String(row.sample_id), tabindex: '0' }
      },
      h('td', { text: String(row.rank + 1) }),
      h('td', {
        className: 'jp-VisionLens-selName',
        text: name ? `${row.sample_id} · ${name}` : String(row.sample_id)
      }),
      h('td', { text: row.score.toFixed(3) }),
      h('td', {}, bar)
    );
    tr.addEventListener('click', () =>
      actions.openSample(record, row.sample_id)
    );
    tr.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        actions.openSample(record, row.sample_id);
      }
    });
    table.append(tr);
  }
  return table;
}
