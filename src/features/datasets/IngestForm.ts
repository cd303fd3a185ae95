/**
 * The ingest form of the datasets panel: source, name, format and images
 * folder; starts an ingest job and follows it until it ends, then says what
 * its report found (see `ingestStatus`).
 */
import { JobError } from '../../api/client';
import { button, h } from '../../base/dom';
import { ingest } from '../../model/sources/datasets';
import {
  IIngestRequest,
  IIngestSummary,
  IJob,
  IVisionLensModel
} from '../../model/tokens';
import { visibleText } from '../../base/dataText';
import { ingestStatus } from './ingestStatus';

/** The form (its `node` goes into the datasets panel). */
export class IngestForm {
  constructor(private readonly _model: IVisionLensModel) {
    const field = (label: string, input: HTMLElement) =>
      h(
        'label',
        { className: 'jp-VisionLens-formField' },
        h('span', { text: label }),
        input
      );
    const input = (name: string, placeholder: string, required = false) =>
      h('input', {
        className: 'jp-mod-styled',
        attrs: { name, placeholder, ...(required ? { required: '' } : {}) }
      });
    const format = h('select', {
      className: 'jp-mod-styled',
      attrs: { name: 'format' }
    });
    for (const f of ['auto', 'coco', 'yolo', 'voc']) {
      format.appendChild(h('option', { text: f, attrs: { value: f } }));
    }
    this._inputs = {
      source: input('source', '/path/to/annotations.json or folder', true),
      name: input('name', 'dataset name', true),
      format,
      images: input('images', 'images folder (optional)')
    };
    this._progress = h('progress', { className: 'jp-VisionLens-progress' });
    this._progress.max = 1;
    this._progress.hidden = true;
    this._jobText = h('div', { className: 'jp-VisionLens-jobText' });
    const submit = h('button', {
      className:
        'jp-Button jp-mod-styled jp-mod-accept jp-VisionLens-ingestSubmit',
      text: 'Ingest'
    });
    submit.type = 'submit';
    const close = button('Close', 'jp-VisionLens-ingestClose', () => {
      this.node.hidden = true;
    });
    const { source, name, images } = this._inputs;
    this.node = h(
      'form',
      { className: 'jp-VisionLens-ingestForm' },
      field('Annotations', source),
      field('Name', name),
      field('Format', format),
      field('Images', images),
      h('div', { className: 'jp-VisionLens-formActions' }, submit, close),
      this._progress,
      this._jobText
    );
    this.node.hidden = true;
    this.node.addEventListener('submit', e => {
      e.preventDefault();
      void this._submit();
    });
  }

  readonly node: HTMLFormElement;

  /** Show the form, optionally pre-filled (file browser command). */
  show(prefill?: { source?: string; name?: string; format?: string }): void {
    this.node.hidden = false;
    if (prefill?.source !== undefined) {
      this._inputs.source.value = prefill.source;
      const base = prefill.source.replace(/\/+$/, '').split('/').pop() ?? '';
      this._inputs.name.value =
        prefill.name ?? base.replace(/\.(json|xml|txt|ya?ml)$/i, '');
    }
    if (prefill?.format) {
      this._inputs.format.value = prefill.format;
    }
    this._inputs.source.focus();
  }

  /** Stop following the job (the job itself goes on). */
  dispose(): void {
    this._abort.abort();
  }

  private async _submit(): Promise<void> {
    const { source, name, format, images } = this._inputs;
    const body: IIngestRequest = {
      source: source.value.trim(),
      name: name.value.trim()
    };
    if (!body.source || !body.name) {
      this._setText('Give the annotations path and a dataset name.');
      return;
    }
    if (format.value !== 'auto') {
      body.format = format.value;
    }
    if (images.value.trim()) {
      body.images = images.value.trim();
    }
    this._setText('Starting…');
    try {
      const job = await ingest(this._model, body, {
        signal: this._abort.signal,
        onStarted: () => (this._progress.hidden = false),
        onUpdate: j => this._show(j)
      });
      const status = ingestStatus(
        { kind: 'dataset', name: body.name },
        job.result as Partial<IIngestSummary> | null | undefined
      );
      this._setText(status.text, status.level);
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        return;
      }
      this._setText(
        error instanceof JobError && error.job.status === 'failed'
          ? `Ingest failed: ${error.job.error ?? error.job.message ?? 'unknown error'}`
          : (error as Error).message,
        'error'
      );
    } finally {
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
  private _inputs: {
    source: HTMLInputElement;
    name: HTMLInputElement;
    format: HTMLSelectElement;
    images: HTMLInputElement;
  };
  private _progress: HTMLProgressElement;
  private _jobText: HTMLDivElement;
}
