/**
 * The evaluation panel: run an evaluation of a model of the current dataset and
 * show up to two stored reports side by side.
 */
import { Widget } from '@lumino/widgets';

import { nameTab } from '../../ui/panelNames';
import { JobError } from '../../api/client';
import { clear, h } from '../../base/dom';
import { datasetDetail } from '../../model/sources/datasets';
import {
  evaluationLabel,
  evaluationReport,
  listEvaluations,
  runEvaluation
} from '../../model/sources/evaluations';
import {
  IClassificationReport,
  IModelInfo,
  IEvaluationSummary,
  IVisionLensModel
} from '../../model/tokens';
import { ClassificationView } from './ClassificationView';
import { evaluationKinds, evaluationRequest } from './logic';
import { ReportView } from './ReportView';
import { visibleText } from '../../base/dataText';

/** The status line, and the Evaluate button's tooltip, of a dataset without predictions. */
const NO_PREDICTIONS =
  "No predictions to evaluate: add a model's predictions to this dataset " +
  '(right-click its results file or folder, then "Add as predictions in VisionLens").';

/** Main-area widget listing evaluations and comparing two of them. */
export class EvaluationPanel extends Widget {
  constructor(model: IVisionLensModel) {
    super();
    this.model = model;
    this.id = 'visionlens-evaluation';
    this.addClass('jp-VisionLens-evaluation');
    nameTab(this.title, 'evaluation');
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
    // Filled per model from its label types (_fillIouTypes).
    this._iouType = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'IoU type' }
    });
    this._modelSelect.addEventListener('change', () => this._fillIouTypes());
    this._sigmas = h('input', {
      className: 'jp-mod-styled jp-VisionLens-evalSigmas',
      attrs: {
        type: 'text',
        placeholder: 'COCO default',
        'aria-label': 'OKS sigmas',
        title:
          'One OKS sigma per keypoint, comma-separated (empty: the default)'
      }
    });
    this._sigmasLabel = h('label', { text: 'Sigmas ' }, this._sigmas);
    this._protocolLabel = h('label', { text: 'Protocol ' }, this._protocol);
    this._iouLabel = h('label', { text: 'IoU ' }, this._iou);
    this._plusOneLabel = h('label', { text: ' +1 px ' }, this._plusOne);
    this._iouType.addEventListener('change', () => this._syncForm());
    const run = h('button', {
      className: 'jp-mod-styled jp-mod-accept jp-VisionLens-evalRun',
      text: 'Evaluate'
    });
    run.addEventListener('click', () => void this._run());
    this._runButton = run;
    this._status = h('span', { className: 'jp-VisionLens-evalStatus' });
    this._left = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Report' }
    });
    this._right = h('select', {
      className: 'jp-mod-styled',
      attrs: { 'aria-label': 'Compare with' }
    });
    this._left.addEventListener('change', () => {
      // the report picked replaces a classification result shown above it
      this._classification = null;
      void this._showReports();
    });
    this._right.addEventListener('change', () => void this._showReports());
    this._reports = h('div', { className: 'jp-VisionLens-evalReports' });

    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-evalToolbar' },
        h('label', { text: 'Model ' }, this._modelSelect),
        this._protocolLabel,
        h('label', { text: 'IoU type ' }, this._iouType),
        this._sigmasLabel,
        this._iouLabel,
        this._plusOneLabel,
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
    this._fillIouTypes();
    model.datasetChanged.connect(() => void this.refresh(), this);
    model.dataChanged.connect((_, change) => {
      // Evaluations and prediction sets made elsewhere (a notebook, the CLI).
      const kinds = ['evaluation', 'predictions'];
      if (kinds.includes(change.kind) && change.dataset === model.dataset) {
        void this.refresh();
      }
    }, this);
    model.datasetsChanged.connect(() => {
      this._fillModels();
      void this._loadLabelTypes();
    }, this);
    void this.refresh();
  }

  readonly model: IVisionLensModel;

  /** Reload the list of evaluations of the current dataset and show the latest. */
  async refresh(select?: string): Promise<void> {
    this._fillModels();
    void this._loadLabelTypes();
    const dataset = this.model.dataset;
    if (!dataset) {
      this._evaluations = [];
      this._fillReportSelects();
      this._setStatus('Open a dataset first.');
      return;
    }
    if (!this._running && this._status.textContent !== NO_PREDICTIONS) {
      this._setStatus(''); // "Open a dataset first." no longer holds
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
    // Nothing to evaluate: say how to get predictions instead of offering a
    // button the server can only refuse.
    const none = this.model.currentInfo !== null && models.length === 0;
    this._runButton.disabled = none;
    this._runButton.title = none ? NO_PREDICTIONS : '';
    if (none && !this._running) {
      this._setStatus(NO_PREDICTIONS);
    } else if (!none && this._status.textContent === NO_PREDICTIONS) {
      this._setStatus('');
    }
    this._fillIouTypes();
  }

  /** The models' label types, from the dataset's detail (the listing lacks them). */
  private async _loadLabelTypes(): Promise<void> {
    const dataset = this.model.dataset;
    let models: IModelInfo[] = [];
    if (dataset) {
      try {
        models = (await datasetDetail(this.model, dataset)).models;
      } catch {
        // unknown label types: every iou type is offered, the server names a missing one
      }
    }
    if (dataset === this.model.dataset) {
      this._models = models;
      this._fillIouTypes();
    }
  }

  /** The evaluations the chosen model's label types allow (evaluationKinds). */
  private _fillIouTypes(): void {
    const chosen = this._models.find(m => m.name === this._modelSelect.value);
    const current = this._iouType.value;
    const kinds = evaluationKinds(chosen);
    clear(this._iouType);
    for (const t of kinds) {
      this._iouType.append(h('option', { text: t, attrs: { value: t } }));
    }
    if (kinds.includes(current)) {
      this._iouType.value = current;
    }
    this._syncForm();
  }

  private _fillReportSelects(select?: string): void {
    const left = select ?? this._left.value;
    const right = this._right.value;
    clear(this._left);
    clear(this._right);
    this._right.append(h('option', { text: '(none)', attrs: { value: '' } }));
    for (const e of this._evaluations) {
      const label = evaluationLabel(e);
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
    const classification =
      this._classification && this._classification.dataset === dataset
        ? this._classification
        : null;
    const keys = [this._left.value, this._right.value].filter(k => k);
    // The report on screen is the evaluation whose TP/FP/FN colour the labels.
    if (dataset === this.model.dataset) {
      this.model.setEvalKey(this._left.value || null);
    }
    // A later call (a new selection) supersedes this one's stored reports.
    const generation = ++this._shown;
    clear(this._reports);
    if (classification) {
      this._reports.append(new ClassificationView(classification).node);
    }
    if (!dataset || (this._evaluations.length === 0 && !classification)) {
      this._reports.append(
        h('div', {
          className: 'jp-VisionLens-evalEmpty',
          text: 'No evaluation yet: choose a model and press Evaluate.'
        })
      );
      return;
    }
    try {
      const reports = await Promise.all(
        keys.map(k => evaluationReport(this.model, dataset, k))
      );
      if (generation !== this._shown) {
        return;
      }
      for (const report of reports) {
        this._reports.append(new ReportView(this.model, report).node);
      }
    } catch (error) {
      this._setStatus(`Cannot load the report: ${(error as Error).message}`);
    }
  }

  /** Segm and keypoints are COCO only; sigmas only mean something for OKS. */
  private _syncForm(): void {
    const boxes = this._iouType.value === 'bbox';
    if (!boxes) {
      this._protocol.value = 'coco';
    }
    this._protocol.disabled = !boxes;
    this._sigmasLabel.hidden = this._iouType.value !== 'keypoints';
    // a classifier is scored per image: no matching protocol, no IoU
    const perImage = this._iouType.value === 'classification';
    this._protocolLabel.hidden = perImage;
    this._iouLabel.hidden = perImage;
    this._plusOneLabel.hidden = perImage;
  }

  private async _run(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      this._setStatus('Open a dataset first.');
      return;
    }
    const form = evaluationRequest({
      model: this._modelSelect.value,
      protocol: this._protocol.value,
      iou: this._iou.value,
      plusOne: this._plusOne.checked,
      iouType: this._iouType.value,
      sigmas: this._sigmas.value
    });
    if (!form.ok) {
      this._setStatus(form.error);
      return;
    }
    this._running = true;
    try {
      const outcome = await runEvaluation(
        this.model,
        dataset,
        form.request,
        j => this._setStatus(`Evaluating… ${j.message ?? ''}`)
      );
      this._setStatus('');
      if (outcome.kind === 'classification') {
        this._classification = outcome.report;
        await this._showReports();
      } else {
        this._classification = null;
        await this.refresh(outcome.key || undefined);
      }
    } catch (error) {
      this._setStatus(
        error instanceof JobError
          ? `Evaluation ${error.job.status}: ${error.job.error ?? ''}`
          : (error as Error).message
      );
    } finally {
      this._running = false;
    }
  }

  private _setStatus(text: string): void {
    this._status.textContent = visibleText(text);
  }

  private _evaluations: IEvaluationSummary[] = [];
  /** An evaluation started here is running (its status line is its own). */
  private _running = false;
  private _models: IModelInfo[] = [];
  private _modelSelect: HTMLSelectElement;
  private _protocol: HTMLSelectElement;
  private _iou: HTMLInputElement;
  private _plusOne: HTMLInputElement;
  private _iouType: HTMLSelectElement;
  private _sigmas: HTMLInputElement;
  private _sigmasLabel: HTMLLabelElement;
  private _protocolLabel: HTMLLabelElement;
  private _iouLabel: HTMLLabelElement;
  private _plusOneLabel: HTMLLabelElement;
  /** The last classification report run here (the server stores none). */
  private _classification: IClassificationReport | null = null;
  /** How many times reports were shown: stale loads are dropped. */
  private _shown = 0;
  private _status: HTMLSpanElement;
  private _runButton: HTMLButtonElement;
  private _left: HTMLSelectElement;
  private _right: HTMLSelectElement;
  private _reports: HTMLDivElement;
}
