/**
 * The versions panel: the named versions of the open dataset's labels (who
 * saved which, when, with how many samples and objects), "Save version" with
 * a message, the diff of two versions (DiffView) and "Restore" of one, after
 * a confirmation. It follows the open dataset and every write to its labels
 * (here, in another panel, a notebook), so what it shows is never stale.
 * Messages are dataset text: shown as text only.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { visibleText } from '../../base/dataText';
import { fmtDate, fmtInt, h } from '../../base/dom';
import { restoreVersion } from '../../model/sources/edits';
import { listVersions, saveVersion } from '../../model/sources/versions';
import { versionBrowse } from '../../model/versionBrowse';
import {
  IDataChange,
  ILabelVersion,
  IVisionLensModel
} from '../../model/tokens';
import { nameTab } from '../../ui/panelNames';
import {
  embedWidget,
  OverflowToolbar,
  textButton,
  toolbarItem
} from '../../ui/toolbar';
import { DiffView } from './DiffView';

/**
 * The writes that change what a diff against the current labels shows (an
 * object's tags are edits too: `labels`).
 */
const LABEL_WRITES = new Set(['labels', 'predictions']);

/** Main-area panel of a dataset's label versions. */
export class VersionsPanel extends Widget {
  /** `showGrid`: open (or bring forward) the grid, after "Browse". */
  constructor(
    model: IVisionLensModel,
    showGrid: () => Promise<unknown> = () => Promise.resolve()
  ) {
    super();
    this.model = model;
    this._showGrid = showGrid;
    this.id = 'visionlens-versions';
    this.addClass('jp-VisionLens-versions');
    this.title.closable = true;
    this._diff = new DiffView(model);

    this._message.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this._save();
      }
    });
    const bar = new OverflowToolbar('jp-VisionLens-versionsBar').add(
      [
        'message',
        toolbarItem('jp-VisionLens-versionMessageItem', this._message)
      ],
      [
        'save',
        textButton({
          label: 'Save version',
          className: 'jp-VisionLens-saveVersion',
          tooltip: 'Name the labels as they are now as a new version',
          onClick: () => this._save()
        })
      ],
      [
        'refresh',
        textButton({
          label: 'Refresh',
          className: 'jp-VisionLens-refreshVersions',
          tooltip:
            'Read the versions and the diff again (after edits from a notebook or the CLI)',
          onClick: () => this.refresh(undefined, true)
        })
      ],
      ['status', toolbarItem('jp-VisionLens-versionsStatusItem', this._status)]
    );
    this.node.append(
      bar.node,
      this._list,
      h('h3', { className: 'jp-VisionLens-versionsHeading', text: 'Compare' }),
      this._diff.toolbar.node,
      this._diff.node
    );
    embedWidget(this, bar);
    embedWidget(this, this._diff.toolbar);

    model.datasetChanged.connect(() => {
      this._setStatus('');
      this._diff.reset();
      void this.refresh();
    }, this);
    model.datasetsChanged.connect(() => this._diff.fillModels(), this);
    model.dataChanged.connect(this._onDataChanged, this);
    void this.refresh();
  }

  readonly model: IVisionLensModel;

  /**
   * Read the open dataset's versions again and show them, and the diff (from
   * version `from` when given, else as chosen before): asked for again when
   * `rediff` (the labels may have changed outside the lab), else only when
   * the choices changed.
   */
  async refresh(from?: number, rediff = true): Promise<void> {
    const dataset = this.model.dataset;
    nameTab(this.title, 'versions', dataset);
    const turn = ++this._turn;
    if (!dataset) {
      this._list.replaceChildren(
        h('p', { text: 'Open a dataset from the VisionLens panel.' })
      );
      await this._diff.setVersions([]);
      return;
    }
    let versions: ILabelVersion[];
    try {
      versions = await listVersions(this.model, dataset);
    } catch (error) {
      if (turn === this._turn) {
        this._setStatus((error as Error).message, true);
      }
      return;
    }
    if (turn !== this._turn || dataset !== this.model.dataset) {
      return; // another dataset, or a newer read
    }
    this._showList(dataset, versions);
    await this._diff.setVersions(versions, from, rediff);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._diff.dispose();
    super.dispose();
  }

  /**
   * Shown again: versions may have been saved elsewhere (CLI, notebook); the
   * diff is not asked for again (with a model it evaluates twice).
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh(undefined, false);
  }

  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (change.dataset !== this.model.dataset) {
      return;
    }
    if (change.kind === 'predictions') {
      this._diff.fillModels();
    }
    if (LABEL_WRITES.has(change.kind) && this._diff.readsCurrent) {
      void this._diff.run();
    }
  }

  private _showList(dataset: string, versions: ILabelVersion[]): void {
    if (!versions.length) {
      this._list.replaceChildren(
        h('p', {
          className: 'jp-VisionLens-versionsEmpty',
          text: 'No version yet: "Save version" names the labels as they are now.'
        })
      );
      return;
    }
    const head = [
      'Version',
      'Message',
      'Saved',
      'By',
      'Samples',
      'Objects',
      ''
    ];
    const rows = [...versions].reverse().map(v => {
      const restore = h('button', {
        className: 'jp-mod-styled jp-VisionLens-restoreVersion',
        text: 'Restore',
        title: `Make the labels what they were at version ${v.version}`
      });
      restore.addEventListener('click', () => void this._restore(dataset, v));
      const browse = h('button', {
        className: 'jp-mod-styled jp-VisionLens-browseVersion',
        text: 'Browse',
        title: `Show the labels of version ${v.version} in the grid (read-only)`
      });
      browse.addEventListener('click', () => {
        versionBrowse(this.model).browse(dataset, v);
        void this._showGrid();
      });
      return h(
        'tr',
        { attrs: { 'data-version': String(v.version) } },
        h('td', { text: String(v.version), attrs: { 'data-key': 'version' } }),
        h('td', { text: v.message, attrs: { 'data-key': 'message' } }),
        h('td', { text: fmtDate(v.created_at), title: v.created_at }),
        h('td', { text: v.user, attrs: { 'data-key': 'user' } }),
        h('td', { text: fmtInt(v.samples), attrs: { 'data-key': 'samples' } }),
        h('td', {
          text: fmtInt(v.annotations),
          attrs: { 'data-key': 'annotations' }
        }),
        h('td', {}, browse, restore)
      );
    });
    this._list.replaceChildren(
      h(
        'table',
        { className: 'jp-VisionLens-versionsTable' },
        h('thead', {}, h('tr', {}, ...head.map(text => h('th', { text })))),
        h('tbody', {}, ...rows)
      )
    );
  }

  private async _save(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    try {
      const saved = await saveVersion(this.model, dataset, this._message.value);
      this._message.value = '';
      this._setStatus(`Saved version ${saved.version}.`);
      await this.refresh(saved.version);
    } catch (error) {
      this._setStatus((error as Error).message, true);
    }
  }

  private async _restore(
    dataset: string,
    version: ILabelVersion
  ): Promise<void> {
    const named = version.message ? ` (“${visibleText(version.message)}”)` : '';
    const result = await showDialog({
      title: `Restore version ${version.version}?`,
      body:
        `The labels and object tags of ${dataset} become what they were at ` +
        `version ${version.version}${named}. This is one edit: undo takes it back.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Restore' })]
    });
    if (!result.button.accept || dataset !== this.model.dataset) {
      return;
    }
    try {
      const outcome = await restoreVersion(
        this.model,
        dataset,
        version.version
      );
      if (outcome.kind === 'done') {
        this._setStatus(
          `Restored version ${version.version} (edit ${outcome.result.batch}).`
        );
      } else {
        const why =
          outcome.kind === 'conflict'
            ? outcome.conflict.message
            : outcome.message;
        this._setStatus(`Not restored: ${why}`, true);
      }
    } catch (error) {
      this._setStatus((error as Error).message, true);
    }
  }

  private _setStatus(text: string, error = false): void {
    this._status.textContent = visibleText(text);
    this._status.classList.toggle('jp-mod-error', error);
  }

  private _diff: DiffView;
  private _turn = 0;
  private _message = h('input', {
    className: 'jp-mod-styled jp-VisionLens-versionMessage',
    attrs: {
      type: 'text',
      placeholder: 'What changed',
      'aria-label': 'Version message'
    }
  });
  private _status = h('span', { className: 'jp-VisionLens-versionsStatus' });
  private _list = h('div', { className: 'jp-VisionLens-versionList' });

  private _showGrid: () => Promise<unknown>;
}
