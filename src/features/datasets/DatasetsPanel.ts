/**
 * The VisionLens side panel: datasets with their counts and vector spaces,
 * ingest reports, compute embeddings, duplicates, delete, and the ingest
 * form with job progress.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import { fmtDate, fmtInt, h } from '../../base/dom';
import {
  commandButton,
  embedWidget,
  OverflowToolbar,
  textButton,
  toolbarItem,
  toolbarSpacer
} from '../../ui/toolbar';
import {
  datasetDetail,
  deleteDataset,
  vectorSpaces
} from '../../model/sources/datasets';
import {
  CommandIDs,
  IDatasetInfo,
  IVectorSpace,
  IVisionLensModel
} from '../../model/tokens';
import { IIngestPrefill, IngestForm, PathPicker } from './IngestForm';
import { renderReport, stat } from './ingestReport';
import { visibleText } from '../../base/dataText';

/** The side panel. */
export class DatasetsPanel extends Widget {
  /** `pickPath`: the ingest form's "Browse…" (none without a file browser). */
  constructor(
    model: IVisionLensModel,
    commands: CommandRegistry,
    pickPath: PathPicker | null = null
  ) {
    super();
    this.model = model;
    this._commands = commands;
    this.id = 'visionlens-datasets';
    this.addClass('jp-VisionLens-datasets');
    nameSidePanel(this.title, 'datasets');

    const header = new OverflowToolbar('jp-VisionLens-panelHeader').add(
      [
        'title',
        toolbarItem(
          'jp-VisionLens-panelTitle',
          h('span', { text: 'VisionLens' })
        )
      ],
      ['spacer', toolbarSpacer()],
      [
        'ingest',
        textButton({
          label: 'Ingest…',
          className: 'jp-VisionLens-ingestToggle',
          tooltip: 'Ingest a dataset (COCO, YOLO, a folder of images…)',
          onClick: () => this.showIngestForm()
        })
      ],
      [
        'plugins',
        commandButton(commands, CommandIDs.openPlugins, {
          label: 'Plugins',
          className: 'jp-VisionLens-openPlugins'
        })
      ],
      [
        'refresh',
        textButton({
          label: 'Refresh',
          className: 'jp-VisionLens-refresh',
          tooltip: 'List the datasets again',
          onClick: () => this.refresh()
        })
      ]
    );
    this._list = h('div', { className: 'jp-VisionLens-datasetList' });
    this._message = h('div', { className: 'jp-VisionLens-message' });
    this._form = new IngestForm(model, pickPath);
    this.node.append(header.node, this._form.node, this._message, this._list);
    embedWidget(this, header);
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
  showIngestForm(prefill?: IIngestPrefill): void {
    this._form.show(prefill);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._form.dispose();
      for (const bar of this._cardBars.splice(0)) {
        bar.dispose();
      }
    }
    super.dispose();
  }

  private _setMessage(text: string, error = false): void {
    this._message.textContent = visibleText(text);
    this._message.classList.toggle('jp-mod-error', error);
    this._message.hidden = !text;
  }

  private _render(): void {
    // The cards are built again: their toolbars go with the old ones.
    for (const bar of this._cardBars.splice(0)) {
      bar.dispose();
    }
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
    // Attached only once the cards are in the document: a ReactiveToolbar
    // attached outside it measures its items 0 px wide, keeps those widths
    // and can later leave items in the bar that have no room there.
    for (const bar of this._cardBars) {
      embedWidget(this, bar);
    }
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
        stat('labels', fmtInt(d.num_annotations), 'labels'),
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
    const actions = new OverflowToolbar('jp-VisionLens-cardActions').add(
      [
        'open',
        textButton({
          label: 'Open grid',
          className: 'jp-VisionLens-openDataset',
          tooltip: 'Browse the samples of this dataset',
          onClick: () => this._open(d.name)
        })
      ],
      [
        'embed',
        commandButton(this._commands, CommandIDs.computeEmbeddings, {
          label: 'Embed…',
          className: 'jp-VisionLens-computeEmbeddings',
          args: { dataset: d.name }
        })
      ],
      [
        'duplicates',
        textButton({
          label: 'Duplicates',
          className: 'jp-VisionLens-openDuplicates',
          tooltip: 'Find near-duplicate samples and leaks between splits',
          onClick: () => {
            this.model.setDataset(d.name);
            return this._commands.execute(CommandIDs.openDuplicates);
          }
        })
      ],
      [
        'map',
        commandButton(this._commands, CommandIDs.openMap, {
          label: 'Map',
          className: 'jp-VisionLens-openMap',
          args: { dataset: d.name }
        })
      ],
      [
        'report',
        textButton({
          label: 'Report',
          className: 'jp-VisionLens-showReport',
          tooltip: 'Show or hide the ingest report',
          onClick: () => this._toggleReport(d.name, report)
        })
      ],
      [
        'delete',
        textButton({
          label: 'Delete',
          className: 'jp-VisionLens-delete',
          tooltip: 'Delete this dataset from the catalog',
          onClick: () => this._delete(d.name)
        })
      ]
    );
    const spaces = h('div', { className: 'jp-VisionLens-spaces' });
    card.append(spaces, actions.node, report);
    this._cardBars.push(actions);
    void this._showSpaces(d.name, spaces);
    card
      .querySelector('.jp-VisionLens-datasetName')
      ?.addEventListener('click', () => this._open(d.name));
    return card;
  }

  /** The dataset's vector spaces: model, dimension, how many vectors. */
  private async _showSpaces(name: string, el: HTMLElement): Promise<void> {
    let spaces: IVectorSpace[];
    try {
      spaces = await vectorSpaces(this.model, name);
    } catch (error) {
      el.replaceChildren(
        h('span', { className: 'jp-mod-error', text: (error as Error).message })
      );
      return;
    }
    el.replaceChildren(
      h('span', { className: 'jp-VisionLens-statLabel', text: 'embeddings ' }),
      spaces.length === 0
        ? h('span', { text: 'none yet' })
        : h(
            'span',
            {},
            ...spaces.map(s => {
              const item = h('span', {
                className: 'jp-VisionLens-space',
                text: `${s.model} (${s.dim}-d, ${fmtInt(s.count)} vectors${s.complete ? '' : ', incomplete'})`,
                title: `${s.space} · version ${s.version}\n${s.preprocessing}`
              });
              item.dataset.space = s.space;
              return item;
            })
          )
    );
  }

  /** An embedding job just finished: its dataset has new vectors to list. */
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
      const detail = await datasetDetail(this.model, name);
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
      await deleteDataset(this.model, name);
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
  private _form: IngestForm;
  /** The toolbars of the cards shown (disposed with them). */
  private _cardBars: Widget[] = [];
}
