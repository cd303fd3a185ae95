/**
 * The evaluation panel: run an evaluation of a model of the current dataset and
 * show up to two stored reports side by side.
 */
import { Widget } from '@lumino/widgets';

import { JobError } from '../../api/client';
import { clear, h } from '../../base/dom';
import {
  evaluationReport,
  listEvaluations,
  runEvaluation
} from '../../model/sources/evaluations';
import { IEvaluationSummary, IVisionLensModel } from '../../model/tokens';
import { ReportView } from './ReportView';
import { visibleText } from '../../base/dataText';

/** Main-area widget listing evaluations and comparing two of them. */
export class EvaluationPanel extends Widget {
  constructor(model: IVisionLensModel) {
    super();
    this.model = model;
    this.id = 'visionlens-evaluation';
    this.addClass('jp-VisionLens-evaluation');
    this.title.label = 'VisionLens Evaluation';
    this.title.closable = true;

    this._modelSelect = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Model' }
    });
    this._protocol = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Protocol' }
    });
    for (const p of ['coco', 'voc']) {
      this._protocol.append(
        h('option', { text: p.toUpperCase(), attrs: { value: p } })
      );
    }
    this._iou = h('input', {
      className: 'jp-mod-styled jp-VisionLens-evalIou',
      attrs: {
        type: 'number',
        min: '0.05',
        max: '0.95',
        step: '0.05',
        value: '0.5',
        'aria-label': 'IoU'
      }
    });
    this._plusOne = h('input', {
      attrs: { type: 'checkbox', 'aria-label': '+1 pixel IoU' }
    });
    const run = h('button', {
      className: 'jp-mod-styled jp-mod-accept',
      text: 'Evaluate'
    });
    run.addEventListener('click', () => void this._run());
    this._status = h('span', { className: 'jp-VisionLens-evalStatus' });
    this._left = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Report' }
    });
    this._right = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Compare with' }
    });
    this._left.addEventListener('change', () => void this._showReports());
    this._right.addEventListener('change', () => void this._showReports());
    this._reports = h('div', { className: 'jp-VisionLens-evalReports' });

    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-evalToolbar' },
        h('label', { text: 'Model ' }, this._modelSelect),
        h('label', { text: 'Protocol ' }, this._protocol),
        h('label', { text: 'IoU ' }, this._iou),
        h('label', { text: ' +1 px ' }, this._plusOne),
        run,
        this._status
      ),
      h(
        'div',
        { className: 'jp-VisionLens-evalToolbar' },
        h('label', { text: 'Report ' }, this._left),
        h('label', { text: 'Compare with ' }, this._right)
      ),
      this._reports
    );
    model.datasetChanged.connect(() => void this.refresh(), this);
    model.datasetsChanged.connect(() => this._fillModels(), this);
    void this.refresh();
  }

  readonly model: IVisionLensModel;

  /** Reload the list of evaluations of the current dataset and show the latest. */
  async refresh(select?: string): Promise<void> {
    this._fillModels();
    const dataset = this.model.dataset;
    if (!dataset) {
      this._evaluations = [];
      this._fillReportSelects();
      this._setStatus('Open a dataset first.');
      return;
    }
    try {
      this._evaluations = await listEvaluations(this.model, dataset);
    } catch (error) {
      this._setStatus(`Cannot list evaluations: ${(error as Error).message}`);
      return;
    }
    this._fillReportSelects(select);
    await this._showReports();
  }

  private _fillModels(): void {
    const models = this.model.currentInfo?.models ?? [];
    const current = this._modelSelect.value;
    clear(this._modelSelect);
    for (const m of models) {
      this._modelSelect.append(
        h('option', { text: m.name, attrs: { value: m.name } })
      );
    }
    if (models.some(m => m.name === current)) {
      this._modelSelect.value = current;
    }
  }

  private _fillReportSelects(select?: string): void {
    const left = select ?? this._left.value;
    const right = this._right.value;
    clear(this._left);
    clear(this._right);
    this._right.append(h('option', { text: '(none)', attrs: { value: '' } }));
    for (const e of this._evaluations) {
      const label = `${e.model} · ${e.protocol.toUpperCase()} @${e.iou}${e.stale ? ' (stale)' : ''}`;
      this._left.append(h('option', { text: label, attrs: { value: e.key } }));
      this._right.append(h('option', { text: label, attrs: { value: e.key } }));
    }
    if (this._evaluations.some(e => e.key === left)) {
      this._left.value = left;
    }
    if (this._evaluations.some(e => e.key === right)) {
      this._right.value = right;
    }
  }

  private async _showReports(): Promise<void> {
    const dataset = this.model.dataset;
    clear(this._reports);
    if (!dataset || this._evaluations.length === 0) {
      this._reports.append(
        h('div', {
          className: 'jp-VisionLens-evalEmpty',
          text: 'No evaluation yet: choose a model and press Evaluate.'
        })
      );
      return;
    }
    const keys = [this._left.value, this._right.value].filter(k => k);
    try {
      const reports = await Promise.all(
        keys.map(k => evaluationReport(this.model, dataset, k))
      );
      clear(this._reports);
      for (const report of reports) {
        this._reports.append(new ReportView(this.model, report).node);
      }
    } catch (error) {
      this._setStatus(`Cannot load the report: ${(error as Error).message}`);
    }
  }

  private async _run(): Promise<void> {
    const dataset = this.model.dataset;
    const modelName = this._modelSelect.value;
    if (!dataset || !modelName) {
      this._setStatus('Choose a dataset and a model with predictions.');
      return;
    }
    const protocol = this._protocol.value === 'voc' ? 'voc' : 'coco';
    try {
      const key = await runEvaluation(
        this.model,
        dataset,
        {
          model: modelName,
          protocol,
          iou: Number(this._iou.value),
          plus_one: this._plusOne.checked
        },
        j => this._setStatus(`Evaluating… ${j.message ?? ''}`)
      );
      this._setStatus('');
      await this.refresh(key || undefined);
    } catch (error) {
      this._setStatus(
        error instanceof JobError
          ? `Evaluation ${error.job.status}: ${error.job.error ?? ''}`
          : (error as Error).message
      );
    }
  }

  private _setStatus(text: string): void {
    this._status.textContent = visibleText(text);
  }

  private _evaluations: IEvaluationSummary[] = [];
  private _modelSelect: HTMLSelectElement;
  private _protocol: HTMLSelectElement;
  private _iou: HTMLInputElement;
  private _plusOne: HTMLInputElement;
  private _status: HTMLSpanElement;
  private _left: HTMLSelectElement;
  private _right: HTMLSelectElement;
  private _reports: HTMLDivElement;
}
