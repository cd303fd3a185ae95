/**
 * The ingest form of the datasets panel: a new dataset (source, name, format,
 * images folder, split) or a model's predictions for an existing dataset
 * (file, dataset, model, format, split); starts the job and follows it until
 * it ends, then says what its report found (see `ingestStatus`).
 */
import { JobError } from '../../api/client';
import { button, h } from '../../base/dom';
import {
  fileFormats,
  importPredictions,
  ingest
} from '../../model/sources/datasets';
import {
  IIngestRequest,
  IFileFormats,
  IIngestSummary,
  IJob,
  IVisionLensModel
} from '../../model/tokens';
import { visibleText } from '../../base/dataText';
import { ingestStatus, IngestTarget } from './ingestStatus';
import { suggestName } from './suggestName';

/** What the form adds: a new dataset, or predictions to an existing one. */
export type IngestMode = 'dataset' | 'predictions';

/** What the file-browser command fills in. */
export interface IIngestPrefill {
  source?: string;
  name?: string;
  format?: string;
  mode?: IngestMode;
}

/**
 * Asks the user for a file or folder of the server (JupyterLab's file dialog)
 * and answers its path on the server's disk, or null when they cancel.
 */
export type PathPicker = (title: string) => Promise<string | null>;

/** What the split field means, per mode. */
const SPLIT_HINTS: Record<IngestMode, string> = {
  dataset: 'split (optional: only this one, or the split of every image)',
  predictions: "split (optional: match among this split's images)"
};

/** The form (its `node` goes into the datasets panel). */
export class IngestForm {
  /** With `pickPath`, the path fields get a "Browse…" button. */
  constructor(
    private readonly _model: IVisionLensModel,
    pickPath: PathPicker | null = null
  ) {
    const input = (name: string, placeholder: string, required = false) =>
      h('input', {
        className: 'jp-mod-styled',
        attrs: { name, placeholder, ...(required ? { required: '' } : {}) }
      });
    const select = (name: string) =>
      h('select', { className: 'jp-mod-styled', attrs: { name } });
    const mode = select('mode');
    mode.append(
      h('option', { text: 'New dataset', attrs: { value: 'dataset' } }),
      h('option', {
        text: 'Add as predictions',
        attrs: { value: 'predictions' }
      })
    );
    mode.addEventListener('change', () => this._setMode());
    this._inputs = {
      mode,
      source: input('source', '/path/to/annotations.json or folder', true),
      name: input('name', 'dataset name', true),
      dataset: select('dataset'),
      model: input('model', 'model name', true),
      format: select('format'),
      images: input('images', 'images folder (optional)'),
      split: input('split', SPLIT_HINTS.dataset)
    };
    this._inputs.dataset.required = true;
    // a path typed or pasted suggests the names, as one from the file browser does
    this._inputs.source.addEventListener('input', () => this._suggestNames());
    this._sourceLabel = h('span', { text: 'Annotations' });
    const field = (label: string | HTMLElement, control: HTMLElement) =>
      h(
        'label',
        { className: 'jp-VisionLens-formField' },
        typeof label === 'string' ? h('span', { text: label }) : label,
        control
      );
    const { source, name, dataset, model, format, images, split } =
      this._inputs;
    // A path is picked in the server's files, as in the file browser, or typed.
    const withBrowse = (input: HTMLInputElement, title: string) => {
      if (!pickPath) {
        return input;
      }
      const browse = button('Browse…', 'jp-VisionLens-browsePath', () => {
        void pickPath(title).then(path => {
          if (path !== null) {
            input.value = path;
            input.dispatchEvent(new Event('input'));
          }
        });
      });
      browse.title = `${title}: pick it among the server's files`;
      return h('div', { className: 'jp-VisionLens-pathInput' }, input, browse);
    };
    this._fields = {
      name: field('Name', name),
      dataset: field('Dataset', dataset),
      model: field('Model', model),
      images: field('Images', withBrowse(images, 'The folder of the images'))
    };
    this._progress = h('progress', { className: 'jp-VisionLens-progress' });
    this._progress.max = 1;
    this._progress.hidden = true;
    this._jobText = h('div', { className: 'jp-VisionLens-jobText' });
    const submit = (this._submitButton = h('button', {
      className:
        'jp-Button jp-mod-styled jp-mod-accept jp-VisionLens-ingestSubmit',
      text: 'Ingest'
    }));
    submit.type = 'submit';
    const close = button('Close', 'jp-VisionLens-ingestClose', () => {
      this.node.hidden = true;
    });
    this.node = h(
      'form',
      { className: 'jp-VisionLens-ingestForm' },
      field('Action', mode),
      field(
        this._sourceLabel,
        withBrowse(source, 'The annotation (or predictions) file or folder')
      ),
      this._fields.name,
      this._fields.dataset,
      this._fields.model,
      field('Format', format),
      this._fields.images,
      field('Split', split),
      h('div', { className: 'jp-VisionLens-formActions' }, submit, close),
      this._progress,
      this._jobText
    );
    this.node.hidden = true;
    this.node.addEventListener('submit', e => {
      e.preventDefault();
      void this._submit();
    });
    this._setMode();
    _model.datasetsChanged.connect(this._fillDatasets, this);
    // The server's formats, plugins' included: the menu offers "auto" until they arrive.
    void fileFormats(_model).then(
      known => {
        this._formats = known;
        this._setMode();
      },
      () => undefined
    );
  }

  readonly node: HTMLFormElement;

  /** Show the form, optionally pre-filled (file browser command). */
  show(prefill?: IIngestPrefill): void {
    this.node.hidden = false;
    if (!this._running) {
      // what the last ingest said is not news about this one
      this._setText('');
      delete this._jobText.dataset.status;
    }
    if (prefill?.mode) {
      this._inputs.mode.value = prefill.mode;
    }
    this._setMode();
    if (prefill?.source !== undefined) {
      this._inputs.source.value = prefill.source;
      this._suggestNames(prefill.name);
    }
    if (prefill?.format && this._formatNames().includes(prefill.format)) {
      this._inputs.format.value = prefill.format;
    }
    this._inputs.source.focus();
  }

  /** Stop following the job (the job itself goes on). */
  dispose(): void {
    this._abort.abort();
    this._model.datasetsChanged.disconnect(this._fillDatasets, this);
  }

  /** The names the format menu offers now. */
  private _formatNames(): string[] {
    return [...this._inputs.format.options].map(o => o.value);
  }

  private _mode(): IngestMode {
    return this._inputs.mode.value === 'predictions'
      ? 'predictions'
      : 'dataset';
  }

  /** Show the fields of the mode; hidden ones are disabled so they need no value. */
  private _setMode(): void {
    const mode = this._mode();
    const shown: Record<keyof IngestForm['_fields'], boolean> = {
      name: mode === 'dataset',
      images: mode === 'dataset',
      dataset: mode === 'predictions',
      model: mode === 'predictions'
    };
    for (const [key, on] of Object.entries(shown)) {
      const k = key as keyof IngestForm['_fields'];
      this._fields[k].hidden = !on;
      this._inputs[k].disabled = !on;
    }
    this._sourceLabel.textContent =
      mode === 'dataset' ? 'Annotations' : 'Predictions';
    this._inputs.split.placeholder = SPLIT_HINTS[mode];
    this._submitButton.textContent =
      mode === 'dataset' ? 'Ingest' : 'Add predictions';
    const format = this._inputs.format;
    const kept = format.value;
    const known = this._formats;
    const offered = known
      ? known[mode === 'dataset' ? 'datasets' : 'predictions']
      : [];
    format.replaceChildren(
      h('option', {
        text: 'auto (detect)',
        attrs: { value: known?.auto ?? 'auto' }
      }),
      ...offered.map(f =>
        h('option', {
          text: f.plugin ? `${f.name} (plugin ${f.plugin})` : f.name,
          attrs: { value: f.name, title: f.title }
        })
      )
    );
    format.value = this._formatNames().includes(kept)
      ? kept
      : format.options[0].value;
    this._fillDatasets();
  }

  /**
   * Name the dataset and the model after the source path (see `suggestName`),
   * unless the user typed their own: a field still holding the last
   * suggestion, or empty, takes the new one.
   */
  private _suggestNames(given?: string): void {
    const suggested = given ?? suggestName(this._inputs.source.value.trim());
    for (const field of [this._inputs.name, this._inputs.model]) {
      if (field.value === '' || field.value === this._suggested) {
        field.value = suggested;
      }
    }
    this._suggested = suggested;
  }

  /**
   * The datasets predictions can go to. The user picks one (predictions matched
   * to the wrong dataset's images by file name would be wrong, quietly), unless
   * there is only one; a choice made stays while it exists.
   */
  private _fillDatasets(): void {
    const select = this._inputs.dataset;
    const kept = select.value;
    const names = this._model.datasets.map(d => d.name);
    const choose = h('option', {
      text: 'Choose the dataset…',
      attrs: { value: '' }
    });
    choose.disabled = true;
    select.replaceChildren(
      choose,
      ...names.map(n => h('option', { text: n, attrs: { value: n } }))
    );
    select.value = names.includes(kept)
      ? kept
      : names.length === 1
        ? names[0]
        : '';
  }

  private async _submit(): Promise<void> {
    const { source, name, dataset, model, format, images, split } =
      this._inputs;
    const path = source.value.trim();
    const fmt = {
      ...(format.value !== 'auto' ? { format: format.value } : {}),
      ...(split.value.trim() ? { split: split.value.trim() } : {})
    };
    let target: IngestTarget;
    let start: (follow: Parameters<typeof ingest>[2]) => Promise<IJob>;
    if (this._mode() === 'dataset') {
      const body: IIngestRequest = { source: path, name: name.value.trim() };
      if (images.value.trim()) {
        body.images = images.value.trim();
      }
      target = { kind: 'dataset', name: body.name };
      start = follow => ingest(this._model, { ...body, ...fmt }, follow);
    } else {
      const to = dataset.value;
      const body = { source: path, model: model.value.trim(), ...fmt };
      target = { kind: 'predictions', dataset: to, model: body.model };
      start = follow => importPredictions(this._model, to, body, follow);
    }
    const unnamed =
      target.kind === 'dataset'
        ? !target.name
        : !target.model || !target.dataset;
    if (!path || unnamed) {
      this._setText('Give the file path and a name.');
      return;
    }
    this._setText('Starting…');
    this._running = true;
    try {
      const job = await start({
        signal: this._abort.signal,
        onStarted: () => (this._progress.hidden = false),
        onUpdate: j => this._show(j)
      });
      const status = ingestStatus(
        target,
        job.result as Partial<IIngestSummary> | null | undefined
      );
      this._setText(status.text, status.level);
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        return;
      }
      this._setText(
        error instanceof JobError && error.job.status === 'failed'
          ? `${target.kind === 'dataset' ? 'Ingest' : 'Predictions import'} failed: ${error.job.error ?? error.job.message ?? 'unknown error'}`
          : (error as Error).message,
        'error'
      );
    } finally {
      this._running = false;
      this._progress.hidden = true;
    }
    await this._model.refreshDatasets().catch(() => undefined);
  }

  private _show(job: IJob): void {
    if (job.progress === null || job.progress === undefined) {
      this._progress.removeAttribute('value');
    } else {
      this._progress.value = job.progress;
    }
    this._setText(`${job.status}${job.message ? `: ${job.message}` : ''}`);
    this._jobText.dataset.status = job.status;
  }

  private _setText(
    text: string,
    level: 'progress' | 'done' | 'warning' | 'error' = 'progress'
  ): void {
    this._jobText.textContent = visibleText(text);
    this._jobText.classList.toggle('jp-mod-error', level === 'error');
    this._jobText.classList.toggle('jp-mod-warning', level === 'warning');
  }

  private _abort = new AbortController();
  /** Whether a job this form started is being followed. */
  private _running = false;
  /** The name last suggested (a field still holding it may take the next). */
  private _suggested = '';
  /** The server's formats, once known. */
  private _formats: IFileFormats | null = null;
  private _inputs: {
    mode: HTMLSelectElement;
    source: HTMLInputElement;
    name: HTMLInputElement;
    dataset: HTMLSelectElement;
    model: HTMLInputElement;
    format: HTMLSelectElement;
    images: HTMLInputElement;
    split: HTMLInputElement;
  };
  /** The fields only one mode shows. */
  private _fields: {
    name: HTMLLabelElement;
    dataset: HTMLLabelElement;
    model: HTMLLabelElement;
    images: HTMLLabelElement;
  };
  private _sourceLabel: HTMLSpanElement;
  private _submitButton: HTMLButtonElement;
  private _progress: HTMLProgressElement;
  private _jobText: HTMLDivElement;
}
