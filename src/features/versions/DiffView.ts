/**
 * The diff part of the versions panel: two versions to compare (either may
 * be the current labels) and a model to evaluate at both, then what changed:
 * objects added, removed, relabelled and moved, samples changed, the same per
 * class, and the model's evaluation deltas per class. Class names are
 * dataset text: shown as text only.
 */
import { h } from '../../base/dom';
import { diffVersions } from '../../model/sources/versions';
import {
  IEvaluationDiff,
  ILabelVersion,
  IVersionDiff,
  IVisionLensModel,
  VersionRef
} from '../../model/tokens';
import { OverflowToolbar, toolbarItem } from '../../ui/toolbar';
import {
  CHANGE_KINDS,
  CLASS_STATS,
  CURRENT,
  defaultDiff,
  diffRows,
  evaluationRows,
  evaluationSummary,
  formatDelta,
  formatStat,
  isBetter,
  isKnownRef,
  IStatCell,
  parseVersionRef,
  trend,
  versionChoiceLabel
} from './logic';
import { objectModels } from '../../model/objectModels';

/** The diff controls (a toolbar) and the diff they ask for. */
export class DiffView {
  constructor(model: IVisionLensModel) {
    this._model = model;
    for (const select of [this._from, this._to, this._source, this._protocol]) {
      select.addEventListener('change', () => void this.run());
    }
    for (const p of ['coco', 'voc']) {
      this._protocol.append(
        h('option', { text: p.toUpperCase(), attrs: { value: p } })
      );
    }
    this.toolbar = new OverflowToolbar('jp-VisionLens-diffBar').add(
      [
        'from',
        toolbarItem('jp-VisionLens-diffFromItem', label('From ', this._from))
      ],
      ['to', toolbarItem('jp-VisionLens-diffToItem', label('To ', this._to))],
      [
        'model',
        toolbarItem(
          'jp-VisionLens-diffModelItem',
          label('Model ', this._source)
        )
      ],
      [
        'protocol',
        toolbarItem(
          'jp-VisionLens-diffProtocolItem',
          label('Protocol ', this._protocol)
        )
      ]
    );
    this.fillModels();
  }

  /** The controls, embedded by the panel above {@link node}. */
  readonly toolbar: OverflowToolbar;

  /** The diff shown (or why there is none). */
  readonly node = h('div', { className: 'jp-VisionLens-diffResult' });

  /**
   * Offer `versions` and show the diff: from version `prefer` when given,
   * else the choices made before that still exist. The diff is asked for
   * again only when the choices changed, or when `rediff`.
   */
  setVersions(
    versions: readonly ILabelVersion[],
    prefer?: VersionRef,
    rediff = false
  ): Promise<void> {
    const before = [this._from.value, this._to.value, this._versions];
    const from =
      prefer ?? (this._from.value ? parseVersionRef(this._from.value) : null);
    const to = this._to.value ? parseVersionRef(this._to.value) : null;
    const fallback = defaultDiff(versions);
    for (const select of [this._from, this._to]) {
      select.replaceChildren(
        ...[null, ...[...versions].reverse()].map(v =>
          h('option', {
            text: versionChoiceLabel(v),
            attrs: { value: v ? String(v.version) : CURRENT }
          })
        )
      );
    }
    const keep = (ref: VersionRef | null, other: VersionRef | undefined) =>
      String(
        ref !== null && isKnownRef(ref, versions) ? ref : (other ?? CURRENT)
      );
    this._from.value = keep(from, fallback?.from);
    this._to.value = keep(to, fallback?.to);
    this._versions = versions.length;
    const after = [this._from.value, this._to.value, this._versions];
    const changed = before.some((value, i) => value !== after[i]);
    return changed || rediff ? this.run() : Promise.resolve();
  }

  /** Forget the choices and the diff shown (another dataset is open). */
  reset(): void {
    this._abort?.abort();
    this._from.replaceChildren();
    this._to.replaceChildren();
    this._versions = 0;
    this.node.replaceChildren();
    delete this.node.dataset.state;
    this.fillModels();
  }

  /** Offer the models of the open dataset ("None": no evaluation). */
  fillModels(): void {
    const chosen = this._source.value;
    const models = objectModels(this._model.currentInfo);
    this._source.replaceChildren(
      h('option', { text: 'None', attrs: { value: '' } }),
      ...models.map(m => h('option', { text: m, attrs: { value: m } }))
    );
    this._source.value = models.includes(chosen) ? chosen : '';
  }

  /** Whether the diff shown reads the current labels (an edit changes it). */
  get readsCurrent(): boolean {
    return this._from.value === CURRENT || this._to.value === CURRENT;
  }

  /** Ask for the chosen diff and show it; an older answer is dropped. */
  async run(): Promise<void> {
    this._abort?.abort();
    const dataset = this._model.dataset;
    if (!dataset || this._versions === 0) {
      this.node.replaceChildren(
        h('p', {
          className: 'jp-VisionLens-diffStatus',
          text: dataset ? 'Save a version to compare the labels with it.' : ''
        })
      );
      return;
    }
    const query = {
      from: parseVersionRef(this._from.value),
      to: parseVersionRef(this._to.value),
      model: this._source.value || null,
      protocol:
        this._protocol.value === 'voc' ? ('voc' as const) : ('coco' as const)
    };
    const abort = new AbortController();
    this._abort = abort;
    this.node.dataset.state = 'loading';
    let state = 'failed';
    this._setStatus(
      query.model ? `Comparing and evaluating ${query.model}…` : 'Comparing…'
    );
    try {
      const outcome = await diffVersions(
        this._model,
        dataset,
        query,
        abort.signal
      );
      if (abort.signal.aborted) {
        return;
      }
      if (outcome.kind === 'refused') {
        this._setStatus(outcome.message, true);
      } else {
        this._show(outcome.diff);
      }
      state = outcome.kind;
    } catch (error) {
      if (abort.signal.aborted) {
        return;
      }
      this._setStatus((error as Error).message, true);
    }
    // What the result shown answers (tests and screen readers wait on it).
    Object.assign(this.node.dataset, {
      state,
      from: String(query.from),
      to: String(query.to),
      model: query.model ?? ''
    });
  }

  dispose(): void {
    this._abort?.abort();
    this.toolbar.dispose();
  }

  private _setStatus(text: string, error = false): void {
    this.node.replaceChildren(
      h('p', {
        className: `jp-VisionLens-diffStatus${error ? ' jp-mod-error' : ''}`,
        text
      })
    );
  }

  private _show(diff: IVersionDiff): void {
    const totals = h(
      'div',
      { className: 'jp-VisionLens-diffTotals' },
      ...[...CHANGE_KINDS, 'samples_changed' as const].map(key =>
        h(
          'span',
          { className: 'jp-VisionLens-diffTotal', attrs: { 'data-key': key } },
          h('b', { text: String(diff[key]) }),
          key !== 'samples_changed'
            ? ` ${key}`
            : diff[key] === 1
              ? ' sample changed'
              : ' samples changed'
        )
      ),
      ...(['added', 'removed'] as const).map(key =>
        h(
          'span',
          {
            className: 'jp-VisionLens-diffTotal',
            attrs: { 'data-key': `sample_tags.${key}` }
          },
          h('b', { text: String(diff.sample_tags[key]) }),
          ` sample tags ${key}`
        )
      ),
      ...(['added', 'removed'] as const).map(key =>
        h(
          'span',
          {
            className: 'jp-VisionLens-diffTotal',
            attrs: { 'data-key': `image_labels.${key}` }
          },
          h('b', { text: String(diff.image_labels[key]) }),
          ` image labels ${key}`
        )
      )
    );
    const rows = diffRows(diff);
    const table = rows.length
      ? table_(
          'jp-VisionLens-diffClasses',
          ['Class', ...CHANGE_KINDS.map(capital)],
          rows.map(row =>
            classRow(
              row.label,
              CHANGE_KINDS.map(key =>
                h('td', { text: String(row[key]), attrs: { 'data-key': key } })
              )
            )
          )
        )
      : h('p', {
          className: 'jp-VisionLens-diffStatus',
          text: 'No object changed.'
        });
    this.node.replaceChildren(
      totals,
      table,
      ...(diff.evaluation ? evaluationPart(diff.evaluation) : [])
    );
  }

  private _model: IVisionLensModel;
  private _versions = 0;
  private _abort: AbortController | null = null;
  private _from = select('jp-VisionLens-diffFrom', 'From version');
  private _to = select('jp-VisionLens-diffTo', 'To version');
  private _source = select('jp-VisionLens-diffModel', 'Model to evaluate');
  private _protocol = select('jp-VisionLens-diffProtocol', 'Protocol');
}

/** The model's evaluation at both versions: the headline and the per-class table. */
function evaluationPart(evaluation: IEvaluationDiff): HTMLElement[] {
  const title = h('h3', {
    className: 'jp-VisionLens-diffEvalTitle',
    text: `${evaluation.model}: ${evaluation.method.toUpperCase()}, IoU ${evaluation.iou}`
  });
  const summary = h(
    'div',
    { className: 'jp-VisionLens-diffEvalSummary' },
    ...evaluationSummary(evaluation).map(cell =>
      h(
        'span',
        { attrs: { 'data-stat': cell.stat } },
        `${cell.stat.toUpperCase()} ${formatStat(cell.stat, cell.from)} → ${formatStat(cell.stat, cell.to)} `,
        deltaNode('span', cell)
      )
    )
  );
  const head = [
    'Class',
    ...CLASS_STATS.map(capital).flatMap(s => [s, `Δ ${s}`])
  ];
  const rows = evaluationRows(evaluation).map(row =>
    classRow(
      row.label,
      row.cells.flatMap(cell => [
        h('td', {
          text: `${formatStat(cell.stat, cell.from)} → ${formatStat(cell.stat, cell.to)}`,
          attrs: { 'data-stat': cell.stat, 'data-side': 'values' }
        }),
        deltaNode('td', cell)
      ])
    )
  );
  return [
    h('div', { className: 'jp-VisionLens-diffEvaluation' }, title, summary),
    table_('jp-VisionLens-diffEvalClasses', head, rows)
  ];
}

/** A signed delta coloured by whether it is for the better; its number in `data-value`. */
function deltaNode(tag: 'td' | 'span', cell: IStatCell): HTMLElement {
  const way = trend(cell.stat, cell.delta);
  const better = isBetter(cell.stat, way);
  const node = h(tag, {
    className: `jp-VisionLens-delta${better === null ? '' : better ? ' jp-mod-better' : ' jp-mod-worse'}`,
    text: formatDelta(cell.stat, cell.delta),
    attrs: {
      'data-stat': cell.stat,
      'data-side': 'delta',
      'data-trend': way,
      'data-value': cell.delta === null ? 'null' : String(cell.delta)
    }
  });
  return node;
}

function classRow(label: string, cells: HTMLElement[]): HTMLTableRowElement {
  return h(
    'tr',
    { attrs: { 'data-class': label } },
    h('th', { text: label, attrs: { scope: 'row' } }),
    ...cells
  );
}

function table_(
  className: string,
  head: string[],
  rows: HTMLElement[]
): HTMLTableElement {
  return h(
    'table',
    { className: `jp-VisionLens-versionsTable ${className}` },
    h('thead', {}, h('tr', {}, ...head.map(text => h('th', { text })))),
    h('tbody', {}, ...rows)
  );
}

function select(className: string, aria: string): HTMLSelectElement {
  return h('select', {
    className: `jp-mod-styled ${className}`,
    attrs: { 'aria-label': aria }
  });
}

function label(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { text }, control);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
