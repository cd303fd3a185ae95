/**
 * Duplicates of the current dataset: run the duplicates job (threshold, exact
 * toggle), then its groups as thumbnails and the leak report (val/test
 * samples with a duplicate in train). Clicking a group or a leak selects its
 * samples through the shared model (the grid shows the selection), clicking a
 * thumbnail opens that sample; the per-sample fields the job writes
 * (`computed.dup_group`...) are facets of the filter panel.
 */
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import { button, fmtInt, h } from '../../base/dom';
import { duplicatesCode } from '../../model/similarity';
import { findDuplicates, lastDuplicates } from '../../model/sources/similarity';
import {
  IDataChange,
  IDuplicatesResult,
  ILeak,
  IVisionLensModel
} from '../../model/tokens';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { sampleThumbs } from '../../ui/sampleThumbs';
import { visibleText } from '../../base/dataText';
import { staleNote } from '../../ui/staleNote';

/** Groups listed at most (the rest are counted). */
export const MAX_GROUPS_SHOWN = 200;
/** The server's default near-duplicate threshold (cosine). */
export const DEFAULT_THRESHOLD = 0.95;

/** The duplicates panel. */
export class DuplicatesPanel extends Widget {
  /** `openSample` opens one sample of the current dataset (the sample view). */
  constructor(
    model: IVisionLensModel,
    private readonly _openSample: (sampleId: number) => void
  ) {
    super();
    this.model = model;
    this.id = 'visionlens-duplicates';
    this.addClass('jp-VisionLens-duplicates');
    nameSidePanel(this.title, 'duplicates');

    this._title = h('div', { className: 'jp-VisionLens-panelTitle' });
    this._threshold = h('input', {
      className: 'jp-VisionLens-dupThreshold jp-mod-styled',
      attrs: {
        type: 'number',
        min: '0.5',
        max: '1',
        step: '0.01',
        'aria-label': 'Near-duplicate threshold (cosine similarity)'
      }
    });
    this._threshold.value = String(DEFAULT_THRESHOLD);
    this._exact = h('input', {
      className: 'jp-VisionLens-dupExact',
      attrs: { type: 'checkbox' }
    });
    this._run = button('Find duplicates', 'jp-VisionLens-runDuplicates', () =>
      this.run()
    );
    this._status = h('div', { className: 'jp-VisionLens-message' });
    this._summary = h('div', { className: 'jp-VisionLens-dupSummary' });
    this._groups = h('div', { className: 'jp-VisionLens-dupGroups' });
    this._leaks = h('div', { className: 'jp-VisionLens-dupLeaks' });
    this._code = new CodeSnippet('jp-VisionLens-dupCode');
    this.node.append(
      h('div', { className: 'jp-VisionLens-panelHeader' }, this._title),
      h(
        'div',
        { className: 'jp-VisionLens-dupControls' },
        h(
          'label',
          {
            className: 'jp-VisionLens-control',
            title:
              'Near duplicates: cosine similarity of the embeddings at or above this'
          },
          'Threshold ',
          this._threshold
        ),
        h(
          'label',
          {
            className: 'jp-VisionLens-control',
            title:
              'Compare every pair (slower) instead of the approximate search'
          },
          this._exact,
          ' exact'
        ),
        this._run
      ),
      this._status,
      this._code.node,
      this._summary,
      this._groups,
      this._leaks
    );
    model.datasetChanged.connect(() => void this.load(), this);
    model.dataChanged.connect(this._onDataChanged, this);
    void this.load();
  }

  readonly model: IVisionLensModel;

  /** The result shown (the last run of the current dataset), or null. */
  get result(): IDuplicatesResult | null {
    return this._result;
  }

  /** Show the last stored result of the current dataset. */
  async load(): Promise<void> {
    const dataset = this.model.dataset;
    this._title.textContent = dataset
      ? visibleText(`Duplicates: ${dataset}`)
      : 'Duplicates';
    this._show(null);
    if (!dataset) {
      this._say('Open a dataset first.');
      return;
    }
    this._say('');
    try {
      const result = await lastDuplicates(this.model, dataset);
      if (dataset === this.model.dataset) {
        this._show(result);
        if (!result) {
          this._say('Not computed yet for this dataset.');
        }
      }
    } catch (error) {
      this._say((error as Error).message, true);
    }
  }

  /** Run the duplicates job with the panel's settings and show its result. */
  async run(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      this._say('Open a dataset first.', true);
      return;
    }
    const threshold = Number(this._threshold.value);
    if (!(threshold > 0 && threshold <= 1)) {
      this._say('The threshold is a cosine similarity in (0, 1].', true);
      return;
    }
    const exact = this._exact.checked;
    this._run.disabled = true;
    this._say('Starting…');
    this._code.set(duplicatesCode(dataset, threshold, exact));
    try {
      const result = await findDuplicates(
        this.model,
        dataset,
        { threshold, exact },
        j =>
          this._say(
            j.status === 'running'
              ? `Running… ${j.message ?? ''}`.trim()
              : `${j.status}…`
          )
      );
      if (dataset === this.model.dataset) {
        this._say('');
        this._show(result);
      }
    } catch (error) {
      this._say((error as Error).message, true);
    } finally {
      this._run.disabled = false;
    }
  }

  /**
   * A delete of samples (or its undo) arrives as a labels or samples change:
   * the stored result is read again, so its groups name no deleted sample
   * (no thumbnail of one is asked for) and it says whether it is stale.
   */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (
      change.dataset === this.model.dataset &&
      (change.kind === 'labels' || change.kind === 'samples') &&
      !this._run.disabled
    ) {
      void this.load();
    }
  }

  private _say(text: string, error = false): void {
    this._status.textContent = text;
    this._status.classList.toggle('jp-mod-error', error);
    this._status.hidden = !text;
  }

  private _show(result: IDuplicatesResult | null): void {
    this._result = result;
    if (!result) {
      this._summary.replaceChildren();
      this._groups.replaceChildren();
      this._leaks.replaceChildren();
      this._code.set(null);
      return;
    }
    if (result.threshold !== undefined) {
      this._threshold.value = String(result.threshold);
    }
    this._exact.checked = !!result.exact;
    this._code.set(
      result.code ??
        duplicatesCode(
          this.model.dataset ?? '',
          result.threshold ?? DEFAULT_THRESHOLD,
          result.exact
        )
    );
    const kinds = Object.entries(result.counts ?? {}).map(
      ([kind, c]) =>
        `${kind}: ${fmtInt(c.pairs)} pairs in ${fmtInt(c.groups)} groups`
    );
    this._summary.replaceChildren(
      staleNote(result) ?? '',
      h('div', {
        text: `${fmtInt(result.groups.length)} groups · ${fmtInt(result.pairs)} pairs · ${fmtInt(result.leaks.length)} leaks`
      }),
      ...kinds.map(text =>
        h('div', { className: 'jp-VisionLens-dupKind', text })
      ),
      ...(result.notes ?? []).map(text =>
        h('div', { className: 'jp-VisionLens-dupNote', text })
      )
    );
    this._renderGroups(result.groups);
    this._renderLeaks(result.leaks);
  }

  private _renderGroups(groups: number[][]): void {
    const dataset = this.model.dataset ?? '';
    const rows = groups.slice(0, MAX_GROUPS_SHOWN).map((ids, index) => {
      const row = h(
        'div',
        {
          className: 'jp-VisionLens-dupGroup',
          title: 'Select these samples (the grid shows the selection)'
        },
        h('span', {
          className: 'jp-VisionLens-dupGroupSize',
          text: `${ids.length} samples`
        }),
        sampleThumbs({
          model: this.model,
          dataset,
          ids,
          onOpen: id => this._openSample(id)
        })
      );
      row.dataset.group = String(index);
      row.tabIndex = 0;
      const select = () => this.model.setSelection(ids);
      row.addEventListener('click', select);
      row.addEventListener('keydown', e => e.key === 'Enter' && select());
      return row;
    });
    const more = groups.length - rows.length;
    this._groups.replaceChildren(
      h('div', { className: 'jp-VisionLens-sectionTitle', text: 'Groups' }),
      ...rows,
      more > 0 ? h('div', { text: `and ${fmtInt(more)} more groups` }) : ''
    );
  }

  private _renderLeaks(leaks: ILeak[]): void {
    if (leaks.length === 0) {
      this._leaks.replaceChildren(
        h('div', { className: 'jp-VisionLens-sectionTitle', text: 'Leaks' }),
        h('div', { text: 'No val/test sample has a duplicate in train.' })
      );
      return;
    }
    const head = h(
      'tr',
      {},
      ...['sample', 'split', 'duplicate in train', 'similarity', 'kind'].map(
        text => h('th', { text })
      )
    );
    const body = leaks.slice(0, MAX_GROUPS_SHOWN).map(leak => {
      const tr = h(
        'tr',
        { className: 'jp-VisionLens-dupLeak' },
        h('td', { text: String(leak.sample_id) }),
        h('td', { text: leak.split ?? '' }),
        h('td', { text: String(leak.duplicate_id) }),
        h('td', {
          text: leak.similarity === null ? '' : leak.similarity.toFixed(3)
        }),
        h('td', { text: (leak.kinds ?? [leak.kind ?? '']).join(', ') })
      );
      tr.addEventListener('click', () =>
        this.model.setSelection([leak.sample_id, leak.duplicate_id])
      );
      return tr;
    });
    this._leaks.replaceChildren(
      h('div', {
        className: 'jp-VisionLens-sectionTitle',
        text: `Leaks (${fmtInt(leaks.length)})`
      }),
      h('table', { className: 'jp-VisionLens-table' }, head, ...body)
    );
  }

  private _title: HTMLDivElement;
  private _threshold: HTMLInputElement;
  private _exact: HTMLInputElement;
  private _run: HTMLButtonElement;
  private _status: HTMLDivElement;
  private _summary: HTMLDivElement;
  private _groups: HTMLDivElement;
  private _leaks: HTMLDivElement;
  private _code: CodeSnippet;
  private _result: IDuplicatesResult | null = null;
}
