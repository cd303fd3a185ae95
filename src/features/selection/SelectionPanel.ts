/**
 * The selection panel: choose K samples to label next from the grid's current
 * view by weighted strategies (a background job with progress and cancel),
 * list the dataset's past selections and read one: its settings and its
 * chosen rows, a row opening its sample, its tag shown in the grid, its
 * chosen samples highlighted on the map among the candidates, exported or
 * sent to Label Studio.
 */
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import { JobError } from '../../api/client';
import { button, clear, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { samplesPage } from '../../model/sources/samples';
import {
  listSelections,
  readSelection,
  runSelection
} from '../../model/sources/selections';
import {
  IDataChange,
  IJob,
  ISelectionRecord,
  IVisionLensModel
} from '../../model/tokens';
import {
  ISelectionDetailActions,
  MAX_ROWS,
  renderSelectionDetail
} from './SelectionDetail';
import { selectionRequest, selectionSummary } from './format';
import { fillSpaces } from './spaces';
import {
  DEFAULT_SETTINGS,
  ISelectionSettings,
  SelectionForm
} from './SelectionForm';

/** The sample ids a stored selection chose, in rank order. */
export function chosenIds(record: ISelectionRecord): number[] {
  return (record.rows ?? []).map(row => row.sample_id);
}

/**
 * What the panel asks of the shell: the grid, the map, the sample view, and
 * the grid's export and Label Studio commands (they take the model's
 * selection, which the panel sets to the chosen samples first).
 */
export interface ISelectionPanelShell {
  openGrid: () => Promise<unknown>;
  openMap: () => Promise<unknown>;
  openSample: (dataset: string, sampleId: number) => void;
  exportView: () => Promise<unknown>;
  labelStudio: () => Promise<unknown>;
}

/** Sidebar panel of the selections of what to label next. */
export class SelectionPanel extends Widget {
  constructor(
    readonly model: IVisionLensModel,
    private readonly _shell: ISelectionPanelShell
  ) {
    super();
    this.id = 'visionlens-selection';
    this.addClass('jp-VisionLens-selection');
    nameSidePanel(this.title, 'selection');
    this._from = h('div', { className: 'jp-VisionLens-selFrom' });
    this._run = button('Select', 'jp-VisionLens-selRun jp-mod-accept', () =>
      this.run()
    );
    this._cancel = button('Cancel', 'jp-VisionLens-selCancel', () =>
      this.cancel()
    );
    this._cancel.hidden = true;
    this._progress = h('progress', {
      className: 'jp-VisionLens-selProgress',
      attrs: { max: '1', value: '0' }
    });
    this._progress.hidden = true;
    this._status = h('div', { className: 'jp-VisionLens-message' });
    this._list = h('ul', { className: 'jp-VisionLens-selList' });
    this._detail = h('div', { className: 'jp-VisionLens-selDetail' });
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'Selection' })
      ),
      h(
        'div',
        { className: 'jp-VisionLens-selForm' },
        this._from,
        ...this._form.fields(),
        h(
          'div',
          { className: 'jp-VisionLens-selButtonsRow' },
          this._run,
          this._cancel
        ),
        this._progress
      ),
      this._status,
      h('div', {
        className: 'jp-VisionLens-selHeading',
        text: 'Past selections'
      }),
      this._list,
      this._detail
    );
    model.datasetChanged.connect(() => void this.load(), this);
    model.filterChanged.connect(() => this._showFrom(), this);
    model.dataChanged.connect(this._onDataChanged, this);
    this.setSettings(DEFAULT_SETTINGS);
  }

  /** The selection on show, or null. */
  get shown(): ISelectionRecord | null {
    return this._shown;
  }

  /** Apply settings (the form's defaults). */
  setSettings(settings: Partial<ISelectionSettings>): void {
    this._form.setSettings(settings);
  }

  /** Fill the space picker and the list of the current dataset's selections. */
  async load(): Promise<void> {
    this._showFrom();
    const dataset = this.model.dataset;
    clear(this._list);
    clear(this._detail);
    this._shown = null;
    if (!dataset) {
      this._say('Open a dataset first.');
      return;
    }
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    try {
      await fillSpaces(this.model, this._form.space, dataset, abort.signal);
      const records = await listSelections(this.model, dataset, abort.signal);
      if (abort.signal.aborted) {
        return;
      }
      this._fillList(dataset, records);
      this._say(records.length ? '' : 'No selection yet: press "Select".');
    } catch (error) {
      if (!abort.signal.aborted) {
        this._say(`Cannot load selections: ${(error as Error).message}`, true);
      }
    }
  }

  /** Run the form's selection on the current view and show its result. */
  async run(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      this._say('Open a dataset first.', true);
      return;
    }
    const request = selectionRequest(this._form.values(this.model.filter));
    if (typeof request === 'string') {
      this._say(request, true);
      return;
    }
    this._setRunning(true);
    try {
      const record = await runSelection(this.model, dataset, request, {
        onStarted: job => (this._job = job),
        onUpdate: job => this._showProgress(job)
      });
      await this.load();
      await this._show(dataset, record);
    } catch (error) {
      const cancelled =
        error instanceof JobError && error.job.status === 'cancelled';
      this._say(
        cancelled
          ? 'Cancelled.'
          : error instanceof JobError
            ? `Selection failed: ${error.job.error ?? ''}`
            : (error as Error).message,
        !cancelled
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

  /** Read selection `id` of `dataset` with its rows and show it. */
  async open(dataset: string, id: number): Promise<void> {
    try {
      await this._show(dataset, await readSelection(this.model, dataset, id));
    } catch (error) {
      this._say(
        `Cannot read selection ${id}: ${(error as Error).message}`,
        true
      );
    }
  }

  private async _show(
    dataset: string,
    record: ISelectionRecord
  ): Promise<void> {
    this._shown = record;
    for (const li of this._list.querySelectorAll('li')) {
      li.classList.toggle('jp-mod-active', li.dataset.id === String(record.id));
    }
    const ids = (record.rows ?? []).slice(0, MAX_ROWS).map(r => r.sample_id);
    const names = new Map<number, string>();
    if (ids.length > 0) {
      try {
        const page = await samplesPage(
          this.model,
          dataset,
          { ids },
          {
            offset: 0,
            limit: ids.length
          }
        );
        for (const s of page.samples) {
          names.set(s.sample_id, s.file_name);
        }
      } catch {
        // the rows show their sample ids without names
      }
    }
    renderSelectionDetail(this._detail, record, names, this._actions);
  }

  private readonly _actions: ISelectionDetailActions = {
    showInGrid: record => void this._showTag(record),
    showOnMap: record => void this._showOnMap(record),
    exportView: record => void this._withChosen(record, this._shell.exportView),
    labelStudio: record =>
      void this._withChosen(record, this._shell.labelStudio),
    openSample: (record, id) => this._shell.openSample(record.dataset, id)
  };

  /** The grid filtered to the selection's tag: the chosen samples alone. */
  private async _showTag(record: ISelectionRecord): Promise<void> {
    this._openDataset(record);
    this.model.setFilter({ tags: { any: [record.tag] } });
    await this._shell.openGrid();
  }

  /**
   * Coverage on the map: the candidates the selection chose from (its
   * filter) with the chosen samples selected, so the map highlights them
   * among the rest.
   */
  private async _showOnMap(record: ISelectionRecord): Promise<void> {
    this._openDataset(record);
    this.model.setFilter(record.filter ?? {});
    this.model.setSelection(chosenIds(record));
    await this._shell.openMap();
  }

  /**
   * Run a grid command on the chosen samples: they become the model's
   * selection, which the export and Label Studio dialogs take first (even
   * where the tag has since been removed from some).
   */
  private async _withChosen(
    record: ISelectionRecord,
    command: () => Promise<unknown>
  ): Promise<void> {
    this._openDataset(record);
    this.model.setSelection(chosenIds(record));
    await command();
  }

  private _openDataset(record: ISelectionRecord): void {
    if (this.model.dataset !== record.dataset) {
      this.model.setDataset(record.dataset);
    }
  }

  /**
   * A selection run elsewhere (a notebook, the CLI, another panel) tags its
   * samples: list it, keeping the selection on show.
   */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    const dataset = this.model.dataset;
    if (
      change.kind !== 'samples' ||
      change.dataset !== dataset ||
      this._run.disabled
    ) {
      return;
    }
    void listSelections(this.model, dataset)
      .then(records => {
        if (this.model.dataset === dataset) {
          this._fillList(dataset, records);
        }
      })
      .catch(() => undefined); // the list stays as it was; the next load retries
  }

  private _fillList(dataset: string, records: ISelectionRecord[]): void {
    clear(this._list);
    for (const record of records) {
      const li = h('li', {
        className: 'jp-VisionLens-selItem',
        text: selectionSummary(record),
        attrs: { 'data-id': String(record.id), tabindex: '0' }
      });
      li.addEventListener('click', () => void this.open(dataset, record.id));
      li.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          void this.open(dataset, record.id);
        }
      });
      li.classList.toggle('jp-mod-active', record.id === this._shown?.id);
      this._list.append(li);
    }
  }

  /** Say where the candidates come from: the grid's current view. */
  private _showFrom(): void {
    const filter = this.model.filter;
    const whole = Object.keys(filter).length === 0;
    this._from.textContent = whole
      ? 'From: the whole dataset (the grid has no filter)'
      : "From: the grid's current view";
    this._from.title = whole ? '' : visibleText(JSON.stringify(filter));
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

  private _say(text: string, error = false): void {
    this._status.textContent = visibleText(text);
    this._status.classList.toggle('jp-mod-error', error);
  }

  private _form = new SelectionForm();
  private _from: HTMLDivElement;
  private _run: HTMLButtonElement;
  private _cancel: HTMLButtonElement;
  private _progress: HTMLProgressElement;
  private _status: HTMLDivElement;
  private _list: HTMLUListElement;
  private _detail: HTMLDivElement;
  private _shown: ISelectionRecord | null = null;
  private _job: IJob | null = null;
  private _abort: AbortController | null = null;
}
