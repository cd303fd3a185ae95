/**
 * One evaluation report: summary numbers, sortable per-class table, PR curve,
 * confusion matrix. Dataset text (class names) only ever goes through
 * textContent / SVG text nodes.
 */
import { clear, fmtInt, h } from '../../base/dom';
import { evaluationLabel, iouTypeOf } from '../../model/sources/evaluations';
import { IVisionLensModel } from '../../model/tokens';
import { confusionTable } from './confusionTable';
import { tideChart } from './tideChart';
import {
  cellFilter,
  classColumns,
  COUNT_COLUMNS,
  curvePoints,
  fmtMetric,
  sortRows,
  tideFilter
} from './logic';
import { IClassRow, IEvaluationReport } from '../../api/types';
import { ownValue, visibleText } from '../../base/dataText';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PLOT_W = 240;
const PLOT_H = 160;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: { [name: string]: string | number } = {}
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  return el;
}

/** Renders one report into `node`; clicking a matrix cell sets the shared filter. */
export class ReportView {
  readonly node: HTMLDivElement;

  constructor(
    private readonly model: IVisionLensModel,
    private readonly report: IEvaluationReport
  ) {
    this.node = h('div', { className: 'jp-VisionLens-evalReport' });
    this._sortColumn = 'AP';
    this._descending = true;
    this._selectedClass =
      report.per_class.find(r => r.num_gt > 0)?.class ?? null;
    this._columns = classColumns(report);
    this._table = h('table', { className: 'jp-VisionLens-evalTable' });
    this._curve = h('div', { className: 'jp-VisionLens-evalCurve' });
    this.node.append(
      this._renderHeader(),
      this._renderStats(),
      h('h4', { text: 'Per class (click a row for its PR curve)' }),
      this._table,
      h('h4', {
        text: `Precision / recall at ${iouTypeOf(report) === 'keypoints' ? 'OKS' : 'IoU'} ${report.iou}`
      }),
      this._curve,
      h('h4', {
        text: 'Confusion (rows: truth, columns: prediction; click to filter)'
      }),
      this._renderConfusion()
    );
    const tide = tideChart(report.tide, errorType =>
      this.model.setFilter(tideFilter(report, errorType))
    );
    if (tide) {
      this.node.append(
        h('h4', { text: 'TIDE: AP points each error type costs (IoU 0.5)' }),
        tide
      );
    }
    this._renderTable();
    this._renderCurve();
  }

  private _renderHeader(): HTMLElement {
    const r = this.report;
    const plusOne = r.params['plus_one'] ? ', +1 px' : '';
    return h('div', {
      className: 'jp-VisionLens-evalTitle',
      text: evaluationLabel(r) + plusOne
    });
  }

  private _renderStats(): HTMLElement {
    const box = h('div', { className: 'jp-VisionLens-evalStats' });
    for (const [name, value] of Object.entries(this.report.stats)) {
      box.append(
        h(
          'div',
          { className: 'jp-VisionLens-evalStat' },
          h('span', { className: 'jp-VisionLens-evalStatName', text: name }),
          h('span', {
            className: 'jp-VisionLens-evalStatValue',
            text: fmtMetric(value)
          })
        )
      );
    }
    const c = this.report.counts;
    box.append(
      h('div', {
        className: 'jp-VisionLens-evalCounts',
        text: `TP ${fmtInt(c.tp)} · FP ${fmtInt(c.fp)} · FN ${fmtInt(c.fn)} · ignored ${fmtInt(c.ignored)}`
      })
    );
    for (const warning of this.report.warnings ?? []) {
      box.append(
        h('div', { className: 'jp-VisionLens-evalWarning', text: warning })
      );
    }
    return box;
  }

  private _renderTable(): void {
    clear(this._table);
    const head = h('tr');
    for (const column of this._columns) {
      const arrow =
        column === this._sortColumn ? (this._descending ? ' ▼' : ' ▲') : '';
      const th = h('th', { text: column + arrow, attrs: { role: 'button' } });
      th.addEventListener('click', () => {
        if (this._sortColumn === column) {
          this._descending = !this._descending;
        } else {
          this._sortColumn = column;
          this._descending = column !== 'class';
        }
        this._renderTable();
      });
      head.append(th);
    }
    this._table.append(h('thead', {}, head));
    const body = h('tbody');
    for (const row of sortRows(
      this.report.per_class,
      this._sortColumn,
      this._descending
    )) {
      const tr = h('tr');
      if (row.class === this._selectedClass) {
        tr.classList.add('jp-mod-selected');
      }
      for (const column of this._columns) {
        tr.append(h('td', { text: this._cell(row, column) }));
      }
      tr.addEventListener('click', () => {
        this._selectedClass = row.class;
        this._renderTable();
        this._renderCurve();
      });
      body.append(tr);
    }
    this._table.append(body);
  }

  private _cell(row: IClassRow, column: string): string {
    const v = row[column];
    if (typeof v === 'number') {
      return COUNT_COLUMNS.includes(column) ? fmtInt(v) : fmtMetric(v);
    }
    return v === null || v === undefined ? 'n/a' : String(v);
  }

  private _renderCurve(): void {
    clear(this._curve);
    const name = this._selectedClass;
    const curve =
      name !== null ? ownValue(this.report.pr_curves, name) : undefined;
    if (!name || !curve) {
      this._curve.append(
        h('div', { text: 'No curve (class without ground truth).' })
      );
      return;
    }
    const plot = svg('svg', {
      width: PLOT_W + 40,
      height: PLOT_H + 30,
      viewBox: `-30 -5 ${PLOT_W + 40} ${PLOT_H + 30}`,
      class: 'jp-VisionLens-evalPlot',
      role: 'img'
    });
    plot.append(
      svg('rect', {
        x: 0,
        y: 0,
        width: PLOT_W,
        height: PLOT_H,
        class: 'jp-VisionLens-evalAxes'
      }),
      svg('polyline', {
        points: curvePoints(curve.recall, curve.precision, PLOT_W, PLOT_H),
        class: 'jp-VisionLens-evalLine',
        stroke: this.model.classColor(name)
      })
    );
    for (const [text, x, y] of [
      ['0', -12, PLOT_H + 4],
      ['1', -12, 8],
      ['recall', PLOT_W / 2 - 15, PLOT_H + 20]
    ] as [string, number, number][]) {
      const t = svg('text', { x, y, class: 'jp-VisionLens-evalAxisLabel' });
      t.textContent = text;
      plot.append(t);
    }
    const title = svg('title');
    title.textContent = visibleText(
      `${name}: interpolated precision vs recall`
    );
    plot.append(title);
    this._curve.append(h('div', { text: name }), plot);
  }

  private _renderConfusion(): HTMLElement {
    const { labels, matrix } = this.report.confusion;
    return confusionTable(labels, matrix, (truth, predicted) => {
      const filter = cellFilter(this.report, truth, predicted);
      return filter ? () => this.model.setFilter(filter) : null;
    });
  }

  private readonly _columns: string[];
  private _sortColumn: string;
  private _descending: boolean;
  private _selectedClass: string | null;
  private _table: HTMLTableElement;
  private _curve: HTMLDivElement;
}
