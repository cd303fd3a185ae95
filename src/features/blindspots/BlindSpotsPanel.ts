/**
 * The blind-spots panel: pick a dataset and an evaluated model, run the
 * finder (a background job with progress and cancel), and read the findings
 * as cards (their evidence as thumbnails that open the sample), with what was
 * tested and rejected below them.
 */
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import { JobError } from '../../api/client';
import { button, clear, h } from '../../base/dom';
import {
  findBlindSpots,
  lastBlindSpots,
  reviewBlindSpot
} from '../../model/sources/blindspots';
import { listEvaluations } from '../../model/sources/evaluations';
import { IDataChange, IJob, IVisionLensModel } from '../../model/tokens';
import { FindingCard } from './FindingCard';
import { gridFilter, testedLine } from './format';
import { renderTestedList } from './TestedList';
import { fillDatasets, fillModels, fillSpaces, pickerSelect } from './pickers';
import { sampleThumbs } from '../../ui/sampleThumbs';
import {
  BlindSpotVerdict,
  IBlindSpotFinding,
  IBlindSpotsResult
} from '../../api/blindSpotTypes';
import { visibleText } from '../../base/dataText';
import { staleNote } from '../../ui/staleNote';

/** The class of the labelled pickers (their width is the form's, see blindspots.css). */
const PICKER = 'jp-VisionLens-bsPicker';

/** The panel's settings (schema/blindspots.json). */
export interface IBlindSpotsSettings {
  minN: number;
  fdr: number;
  useAgent: boolean;
  listLimit: number;
}

export const DEFAULT_SETTINGS: IBlindSpotsSettings = {
  minN: 50,
  fdr: 0.05,
  useAgent: false,
  listLimit: 200
};

/** Sidebar panel of a model's blind spots. */
export class BlindSpotsPanel extends Widget {
  constructor(
    readonly model: IVisionLensModel,
    private readonly _openGrid: () => Promise<unknown>,
    private readonly _openSample: (dataset: string, sampleId: number) => void
  ) {
    super();
    this.id = 'visionlens-blindspots';
    this.addClass('jp-VisionLens-blindspots');
    nameSidePanel(this.title, 'blindspots');
    this._dataset = pickerSelect('Dataset');
    this._modelSelect = pickerSelect('Model');
    this._space = pickerSelect('Cluster space');
    this._space.title =
      'Cluster the images by their vectors in this space (k-means) and slice by cluster';
    this._minN = h('input', {
      className: 'jp-mod-styled jp-VisionLens-bsMinN',
      attrs: { type: 'number', min: '2', step: '1', 'aria-label': 'Minimum N' }
    });
    this._fdr = h('input', {
      className: 'jp-mod-styled jp-VisionLens-bsFdr',
      attrs: {
        type: 'number',
        min: '0.001',
        max: '0.5',
        step: '0.01',
        'aria-label': 'FDR'
      }
    });
    this._agent = h('input', {
      attrs: { type: 'checkbox', 'aria-label': 'Use the LLM agent' }
    });
    this._run = button(
      'Find blind spots',
      'jp-VisionLens-bsRun jp-mod-accept',
      () => this.run()
    );
    this._cancel = button('Cancel', 'jp-VisionLens-bsCancel', () =>
      this.cancel()
    );
    this._cancel.hidden = true;
    this._progress = h('progress', {
      className: 'jp-VisionLens-bsProgress',
      attrs: { max: '1', value: '0' }
    });
    this._progress.hidden = true;
    this._status = h('div', { className: 'jp-VisionLens-message' });
    this._tested = h('div', { className: 'jp-VisionLens-bsTested' });
    this._cards = h('div', { className: 'jp-VisionLens-bsCards' });
    this._testList = h('details', { className: 'jp-VisionLens-bsTestList' });

    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'Blind Spots' })
      ),
      h(
        'div',
        { className: 'jp-VisionLens-bsControls' },
        h('label', { className: PICKER, text: 'Dataset ' }, this._dataset),
        h('label', { className: PICKER, text: 'Model ' }, this._modelSelect),
        h('label', { className: PICKER, text: 'Clusters of ' }, this._space),
        h('label', { text: 'Min N ' }, this._minN),
        h('label', { text: 'FDR ' }, this._fdr),
        h('label', { text: 'Agent ' }, this._agent),
        h(
          'div',
          { className: 'jp-VisionLens-bsButtons' },
          this._run,
          this._cancel
        ),
        this._progress
      ),
      this._status,
      this._tested,
      this._cards,
      this._testList
    );
    this._dataset.addEventListener('change', () =>
      this.model.setDataset(this._dataset.value || null)
    );
    this._modelSelect.addEventListener('change', () => void this.load());
    model.datasetsChanged.connect(() => this._fillDatasets(), this);
    model.datasetChanged.connect(() => void this.load(), this);
    model.dataChanged.connect(this._onDataChanged, this);
    this.setSettings(DEFAULT_SETTINGS);
  }

  /** The result on show, or null. */
  get result(): IBlindSpotsResult | null {
    return this._result;
  }

  /** Apply settings (defaults of the run's options). */
  setSettings(settings: Partial<IBlindSpotsSettings>): void {
    this._settings = { ...DEFAULT_SETTINGS, ...settings };
    this._minN.value = String(this._settings.minN);
    this._fdr.value = String(this._settings.fdr);
    this._agent.checked = this._settings.useAgent;
    if (this._result) {
      this._render(this._result);
    }
  }

  /** Fill the pickers and show the chosen model's last result. */
  async load(): Promise<void> {
    this._fillDatasets();
    const dataset = this.model.dataset;
    this._showResult(null);
    if (!dataset) {
      clear(this._modelSelect);
      this._say('Open a dataset first.');
      return;
    }
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    try {
      const evaluations = await listEvaluations(
        this.model,
        dataset,
        abort.signal
      );
      fillModels(this._modelSelect, [
        ...new Set(evaluations.map(e => e.model))
      ]);
      await fillSpaces(this.model, this._space, dataset, abort.signal);
      const modelName = this._modelSelect.value;
      if (!modelName) {
        this._say(
          'No evaluated model: evaluate one first (VisionLens: Open Evaluation).'
        );
        return;
      }
      const result = await lastBlindSpots(
        this.model,
        dataset,
        modelName,
        abort.signal
      );
      if (abort.signal.aborted) {
        return;
      }
      this._say(result ? '' : 'No result yet: press "Find blind spots".');
      this._showResult(result);
    } catch (error) {
      if (!abort.signal.aborted) {
        this._say(`Cannot load blind spots: ${(error as Error).message}`, true);
      }
    }
  }

  /** A new evaluation (its model) or embedding space (clusters) is offered at once. */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    // labels and samples: a delete (or its undo) may make the stored result
    // stale and its evidence name samples that are gone; the server says which
    const offered = ['evaluation', 'fields', 'labels', 'samples'].includes(
      change.kind
    );
    if (
      offered &&
      change.dataset === this.model.dataset &&
      !this._run.disabled
    ) {
      void this.load();
    }
  }

  /** Start a run for the chosen dataset and model and follow it to its end. */
  async run(): Promise<void> {
    const dataset = this.model.dataset;
    const modelName = this._modelSelect.value;
    if (!dataset || !modelName) {
      this._say('Choose a dataset and an evaluated model.', true);
      return;
    }
    this._setRunning(true);
    try {
      const result = await findBlindSpots(
        this.model,
        dataset,
        {
          model: modelName,
          min_n: Math.round(Number(this._minN.value)),
          fdr: Number(this._fdr.value),
          agent: this._agent.checked,
          ...(this._space.value ? { space: this._space.value } : {})
        },
        {
          onStarted: job => (this._job = job),
          onUpdate: job => this._showProgress(job)
        }
      );
      this._say('');
      this._showResult(result);
    } catch (error) {
      this._say(
        error instanceof JobError
          ? error.job.status === 'cancelled'
            ? 'Cancelled.'
            : `Blind spots failed: ${error.job.error ?? ''}`
          : (error as Error).message,
        !(error instanceof JobError && error.job.status === 'cancelled')
      );
    } finally {
      this._job = null;
      this._setRunning(false);
    }
  }

  /** Cancel the running job (the server stops it at its next check). */
  async cancel(): Promise<void> {
    if (this._job) {
      await this.model.jobs.cancel(this._job.id);
    }
  }

  private _showProgress(job: IJob): void {
    this._progress.value = job.progress ?? 0;
    this._say(`${job.status}… ${job.message ?? ''}`);
  }

  private _setRunning(running: boolean): void {
    this._run.disabled = running;
    this._cancel.hidden = !running;
    this._progress.hidden = !running;
    this._progress.value = 0;
  }

  private _showResult(result: IBlindSpotsResult | null): void {
    this._result = result;
    this._render(result);
  }

  private _render(result: IBlindSpotsResult | null): void {
    clear(this._cards);
    clear(this._testList);
    this._tested.textContent = '';
    if (!result) {
      return;
    }
    const words =
      result.agent && result.agent !== 'none'
        ? ` · worded by ${result.agent}`
        : '';
    this._tested.textContent = `${testedLine(result)}${words}`;
    const stale = staleNote(result);
    if (stale) {
      this._cards.append(stale);
    }
    if (result.findings.length === 0) {
      this._cards.append(
        h('div', {
          className: 'jp-VisionLens-bsEmpty',
          text: 'No slice is confirmed worse than the rest at this FDR.'
        })
      );
    }
    const actions = {
      showInGrid: (f: IBlindSpotFinding) => void this._showInGrid(f),
      review: (f: IBlindSpotFinding, v: BlindSpotVerdict) => this._review(f, v),
      thumbnails: (ids: readonly number[]) =>
        sampleThumbs({
          model: this.model,
          dataset: result.dataset,
          ids,
          onOpen: id => this._openSample(result.dataset, id)
        })
    };
    for (const f of result.findings) {
      this._cards.append(new FindingCard(f, actions).node);
    }
    renderTestedList(this._testList, result, this._settings.listLimit);
  }

  private async _showInGrid(f: IBlindSpotFinding): Promise<void> {
    if (this._result && this.model.dataset !== this._result.dataset) {
      this.model.setDataset(this._result.dataset);
    }
    this.model.setFilter(gridFilter(f.filter));
    await this._openGrid();
  }

  private async _review(
    f: IBlindSpotFinding,
    verdict: BlindSpotVerdict
  ): Promise<void> {
    const dataset = this._result?.dataset ?? this.model.dataset;
    if (!dataset) {
      return;
    }
    try {
      await reviewBlindSpot(this.model, dataset, f.id, verdict);
    } catch (error) {
      this._say(`Cannot store the verdict: ${(error as Error).message}`, true);
      throw error;
    }
  }

  private _fillDatasets(): void {
    fillDatasets(
      this._dataset,
      this.model.datasets.map(d => d.name),
      this.model.dataset ?? ''
    );
  }

  private _say(text: string, error = false): void {
    this._status.textContent = visibleText(text);
    this._status.classList.toggle('jp-mod-error', error);
  }

  private _dataset: HTMLSelectElement;
  private _modelSelect: HTMLSelectElement;
  private _space: HTMLSelectElement;
  private _minN: HTMLInputElement;
  private _fdr: HTMLInputElement;
  private _agent: HTMLInputElement;
  private _run: HTMLButtonElement;
  private _cancel: HTMLButtonElement;
  private _progress: HTMLProgressElement;
  private _status: HTMLDivElement;
  private _tested: HTMLDivElement;
  private _cards: HTMLDivElement;
  private _testList: HTMLDetailsElement;
  private _result: IBlindSpotsResult | null = null;
  private _job: IJob | null = null;
  private _abort: AbortController | null = null;
  private _settings: IBlindSpotsSettings = DEFAULT_SETTINGS;
}
