/**
 * A classification model's report (image-level labels): accuracy, top-5,
 * calibration (ECE), per-class precision / recall / F1 and the confusion
 * matrix. Class names are dataset text: textContent only, never HTML.
 */
import { fmtInt, h } from '../../base/dom';
import { IClassificationReport } from '../../api/types';
import { confusionTable } from './confusionTable';
import { fmtMetric } from './logic';

const PER_CLASS_COLUMNS = ['class', 'precision', 'recall', 'f1', 'support'];

/** Renders one classification report into `node` (read-only: not stored). */
export class ClassificationView {
  readonly node: HTMLDivElement;

  constructor(private readonly report: IClassificationReport) {
    this.node = h(
      'div',
      {
        className: 'jp-VisionLens-evalReport jp-VisionLens-evalClassification'
      },
      h(
        'div',
        { className: 'jp-VisionLens-evalTitle' },
        h('strong', { text: report.model }),
        ` — classification, ${fmtInt(report.images)} images (not stored: run it again to see it later)`
      ),
      this._renderStats(),
      h('h4', { text: 'Per class' }),
      this._renderPerClass(),
      h('h4', { text: 'Confusion (rows: truth, columns: prediction)' }),
      confusionTable(report.confusion.labels, report.confusion.matrix)
    );
  }

  private _renderStats(): HTMLElement {
    const r = this.report;
    const box = h('div', { className: 'jp-VisionLens-evalStats' });
    const stats: [string, number | null, string][] = [
      ['accuracy', r.accuracy, ''],
      ['top-5', r.top5, `over ${fmtInt(r.top_k_images)} images with scores`],
      [
        'ECE',
        r.calibration.ece,
        `${r.calibration.bins} bins, ${fmtInt(r.calibration.images)} images with a confidence`
      ]
    ];
    for (const [name, value, title] of stats) {
      box.append(
        h(
          'div',
          { className: 'jp-VisionLens-evalStat', title },
          h('span', { className: 'jp-VisionLens-evalStatName', text: name }),
          h('span', {
            className: 'jp-VisionLens-evalStatValue',
            text: fmtMetric(value)
          })
        )
      );
    }
    for (const warning of r.warnings ?? []) {
      box.append(
        h('div', { className: 'jp-VisionLens-evalWarning', text: warning })
      );
    }
    return box;
  }

  private _renderPerClass(): HTMLTableElement {
    const table = h('table', { className: 'jp-VisionLens-evalTable' });
    table.append(
      h(
        'thead',
        {},
        h('tr', {}, ...PER_CLASS_COLUMNS.map(c => h('th', { text: c })))
      )
    );
    const body = h('tbody');
    for (const row of this.report.per_class) {
      body.append(
        h(
          'tr',
          {},
          h('td', { text: row.class, title: row.class }),
          h('td', { text: fmtMetric(row.precision) }),
          h('td', { text: fmtMetric(row.recall) }),
          h('td', { text: fmtMetric(row.f1) }),
          h('td', { text: fmtInt(row.support) })
        )
      );
    }
    table.append(body);
    return table;
  }
}
