/**
 * The VisionLens side panel: datasets with their counts, ingest reports,
 * delete, and the ingest form with job progress.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import {
  CommandIDs,
  IDatasetInfo,
  IIngestReport,
  IJob,
  IVisionLensModel
} from '../tokens';
import { fmtDate, fmtInt, h } from './dom';
import { button } from './GridToolbar';

/** How often a running job is polled, in ms. */
const POLL_MS = 500;

/** The side panel. */
export class DatasetsPanel extends Widget {
  constructor(model: IVisionLensModel, commands: CommandRegistry) {
    super();
    this.model = model;
    this._commands = commands;
    this.id = 'visionlens-datasets';
    this.addClass('jp-VisionLens-datasets');
    this.title.caption = 'VisionLens';

    const refresh = button('Refresh', 'jp-VisionLens-refresh', () =>
      this.refresh()
    );
    const ingest = button('Ingest…', 'jp-VisionLens-ingestToggle', () =>
      this.showIngestForm()
    );
    this._list = h('div', { className: 'jp-VisionLens-datasetList' });
    this._message = h('div', { className: 'jp-VisionLens-message' });
    this._form = this._buildForm();
    this._form.hidden = true;
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'VisionLens' }),
        h('span', { className: 'jp-VisionLens-spacer' }),
        ingest,
        refresh
      ),
      this._form,
      this._message,
      this._list
    );
    model.datasetsChanged.connect(this._render, this);
    model.datasetChanged.connect(this._render, this);
  }

  readonly model: IVisionLensModel;

  /** Reload the dataset list from the server. */
  async refresh(): Promise<void> {
    try {
      await this.model.refreshDatasets();
      this._setMessage('');
    } catch (error) {
      this._setMessage(
        `Could not list datasets: ${(error as Error).message}`,
        true
      );
    }
  }

  /** Open the ingest form, optionally pre-filled (file browser command). */
  showIngestForm(prefill?: {
    source?: string;
    name?: string;
    format?: string;
  }): void {
    this._form.hidden = false;
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

  private _setMessage(text: string, error = false): void {
    this._message.textContent = text;
    this._message.classList.toggle('jp-mod-error', error);
    this._message.hidden = !text;
  }

  private _buildForm(): HTMLFormElement {
    const field = (label: string, input: HTMLElement) =>
      h(
        'label',
        { className: 'jp-VisionLens-formField' },
        h('span', { text: label }),
        input
      );
    const source = h('input', {
      className: 'jp-mod-styled',
      attrs: {
        name: 'source',
        placeholder: '/path/to/annotations.json or folder',
        required: ''
      }
    });
    const name = h('input', {
      className: 'jp-mod-styled',
      attrs: { name: 'name', placeholder: 'dataset name', required: '' }
    });
    const format = h('select', {
      className: 'jp-mod-styled',
      attrs: { name: 'format' }
    });
    for (const f of ['auto', 'coco', 'yolo', 'voc']) {
      format.appendChild(h('option', { text: f, attrs: { value: f } }));
    }
    const images = h('input', {
      className: 'jp-mod-styled',
      attrs: { name: 'images', placeholder: 'images folder (optional)' }
    });
    this._inputs = { source, name, format, images };
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
    const cancel = button('Close', 'jp-VisionLens-ingestClose', () => {
      this._form.hidden = true;
    });
    const form = h(
      'form',
      { className: 'jp-VisionLens-ingestForm' },
      field('Annotations', source),
      field('Name', name),
      field('Format', format),
      field('Images', images),
      h('div', { className: 'jp-VisionLens-formActions' }, submit, cancel),
      this._progress,
      this._jobText
    );
    form.addEventListener('submit', e => {
      e.preventDefault();
      void this._submit();
    });
    return form;
  }

  private async _submit(): Promise<void> {
    const { source, name, format, images } = this._inputs;
    const body: {
      source: string;
      name: string;
      format?: string;
      images?: string;
    } = {
      source: source.value.trim(),
      name: name.value.trim()
    };
    if (!body.source || !body.name) {
      this._jobText.textContent =
        'Give the annotations path and a dataset name.';
      return;
    }
    if (format.value !== 'auto') {
      body.format = format.value;
    }
    if (images.value.trim()) {
      body.images = images.value.trim();
    }
    this._jobText.textContent = 'Starting…';
    this._jobText.classList.remove('jp-mod-error');
    try {
      const job = await this.model.client.ingest(body);
      await this._follow(job);
    } catch (error) {
      this._jobText.textContent = (error as Error).message;
      this._jobText.classList.add('jp-mod-error');
    }
  }

  /** Poll a job until it ends, showing its progress. */
  private async _follow(job: IJob): Promise<void> {
    this._progress.hidden = false;
    while (!this.isDisposed) {
      if (job.progress === null || job.progress === undefined) {
        this._progress.removeAttribute('value');
      } else {
        this._progress.value = job.progress;
      }
      this._jobText.textContent = `${job.status}${job.message ? `: ${job.message}` : ''}`;
      this._jobText.dataset.status = job.status;
      if (
        job.status === 'done' ||
        job.status === 'failed' ||
        job.status === 'cancelled'
      ) {
        break;
      }
      await new Promise(r => setTimeout(r, POLL_MS));
      job = await this.model.client.getJob(job.id);
    }
    this._progress.hidden = true;
    if (job.status === 'failed') {
      this._jobText.textContent = `Ingest failed: ${job.error ?? job.message ?? 'unknown error'}`;
      this._jobText.classList.add('jp-mod-error');
    } else if (job.status === 'done') {
      this._jobText.textContent = `Done: ${this._inputs.name.value}`;
    }
    await this.refresh();
  }

  private _render(): void {
    const datasets = this.model.datasets;
    if (datasets.length === 0) {
      this._list.replaceChildren(
        h('div', {
          className: 'jp-VisionLens-empty',
          text: 'No dataset yet. Use “Ingest…”, or right-click an annotation file in the file browser.'
        })
      );
      return;
    }
    this._list.replaceChildren(...datasets.map(d => this._card(d)));
  }

  private _card(d: IDatasetInfo): HTMLElement {
    const models = d.models ?? [];
    const card = h(
      'div',
      { className: 'jp-VisionLens-datasetCard' },
      h('div', {
        className: 'jp-VisionLens-datasetName',
        text: d.name,
        title: d.source ?? d.name
      }),
      h(
        'div',
        { className: 'jp-VisionLens-datasetStats' },
        stat('format', d.format ?? ''),
        stat('samples', fmtInt(d.num_samples), 'samples'),
        stat('boxes', fmtInt(d.num_annotations), 'boxes'),
        stat('classes', fmtInt(d.num_categories ?? null)),
        stat(
          'predictions',
          models.length
            ? models
                .map(m => `${m.name} (${fmtInt(m.num_predictions)})`)
                .join(', ')
            : 'none',
          'models'
        ),
        stat('created', fmtDate(d.created_at), 'created')
      )
    );
    card.dataset.dataset = d.name;
    card.classList.toggle('jp-mod-current', d.name === this.model.dataset);
    const report = h('div', { className: 'jp-VisionLens-report' });
    report.hidden = true;
    const open = button('Open grid', 'jp-VisionLens-openDataset', () =>
      this._open(d.name)
    );
    const showReport = button('Report', 'jp-VisionLens-showReport', () =>
      this._toggleReport(d.name, report)
    );
    const del = button('Delete', 'jp-VisionLens-delete', () =>
      this._delete(d.name)
    );
    card.append(
      h(
        'div',
        { className: 'jp-VisionLens-cardActions' },
        open,
        showReport,
        del
      ),
      report
    );
    card
      .querySelector('.jp-VisionLens-datasetName')
      ?.addEventListener('click', () => this._open(d.name));
    return card;
  }

  private _open(name: string): void {
    this.model.setDataset(name);
    void this._commands.execute(CommandIDs.openGrid, { dataset: name });
  }

  private async _toggleReport(name: string, el: HTMLElement): Promise<void> {
    if (!el.hidden) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    el.replaceChildren(h('div', { text: 'Loading report…' }));
    try {
      const detail = await this.model.client.getDataset(name);
      el.replaceChildren(...renderReport(detail.report ?? null));
    } catch (error) {
      el.replaceChildren(
        h('div', { className: 'jp-mod-error', text: (error as Error).message })
      );
    }
  }

  private async _delete(name: string): Promise<void> {
    const result = await showDialog({
      title: 'Delete dataset',
      body: `Delete the dataset “${name}” and everything derived from it? The image files are not touched.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await this.model.client.deleteDataset(name);
      if (this.model.dataset === name) {
        this.model.setDataset(null);
      }
    } catch (error) {
      this._setMessage(
        `Could not delete ${name}: ${(error as Error).message}`,
        true
      );
    }
    await this.refresh();
  }

  private _commands: CommandRegistry;
  private _list: HTMLDivElement;
  private _message: HTMLDivElement;
  private _form: HTMLFormElement;
  private _inputs!: {
    source: HTMLInputElement;
    name: HTMLInputElement;
    format: HTMLSelectElement;
    images: HTMLInputElement;
  };
  private _progress!: HTMLProgressElement;
  private _jobText!: HTMLDivElement;
}

function stat(label: string, value: string, key?: string): HTMLElement {
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
