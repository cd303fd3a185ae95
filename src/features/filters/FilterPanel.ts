/**
 * Filter sidebar: facets from `GET /facets` for the current filter, active
 * filter chips (clear one / clear all), undo and redo.
 *
 * Facet counts are computed by the server over the filtered samples, a facet's
 * own condition left out (so several values can be picked); a checked value
 * stays listed (even with no count) so that it can be unchecked. The notebook
 * call returning the filtered samples is shown with a copy button.
 */
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { nameSidePanel } from '../../ui/panelNames';
import {
  fieldCondition,
  getCategorical,
  getRange,
  IFacetKey,
  setCategorical,
  setFileNameSearch,
  setRange
} from '../../model/filters';
import { getDiffers, setDiffers } from '../../model/classificationFilters';
import { describeFilter, removeChip } from './chips';
import {
  Facet,
  GROUND_TRUTH,
  ICategoricalFacet,
  IFacets,
  IDataChange,
  INumericFacet,
  CommandIDs,
  IQueryChange,
  IVisionLensModel
} from '../../model/tokens';
import { button, fmtInt, h } from '../../base/dom';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { commandButton, embedWidget, OverflowToolbar } from '../../ui/toolbar';
import { Histogram } from './Histogram';
import { countText, unitText } from './facetUnits';
import { facets, viewCode } from '../../model/sources/samples';
import { ownValue } from '../../base/dataText';

/** Values listed before "show more". */
const SHOWN_VALUES = 12;

/** The filter sidebar. */
export class FilterPanel extends Widget {
  constructor(model: IVisionLensModel, commands: CommandRegistry) {
    super();
    this.model = model;
    this.id = 'visionlens-filters';
    this.addClass('jp-VisionLens-filters');
    nameSidePanel(this.title, 'filters');

    this._header = h('div', { className: 'jp-VisionLens-filtersHeader' });
    this._total = h('div', { className: 'jp-VisionLens-filterTotal' });
    this._chips = h('div', { className: 'jp-VisionLens-chips' });
    // Undo, redo and clear are the core's commands: enabled as they are.
    const actions = new OverflowToolbar('jp-VisionLens-filterActions').add(
      [
        'undo',
        commandButton(commands, CommandIDs.undoFilter, {
          label: 'Undo',
          className: 'jp-VisionLens-undo'
        })
      ],
      [
        'redo',
        commandButton(commands, CommandIDs.redoQuery, {
          label: 'Redo',
          className: 'jp-VisionLens-redo'
        })
      ],
      [
        'clear-all',
        commandButton(commands, CommandIDs.clearFilters, {
          label: 'Clear all',
          className: 'jp-VisionLens-clearAll'
        })
      ]
    );
    this._search = h('input', {
      className: 'jp-VisionLens-search jp-mod-styled',
      attrs: {
        placeholder: 'File name contains…',
        'aria-label': 'File name search'
      }
    });
    this._search.addEventListener('change', () =>
      model.setFilter(
        setFileNameSearch(model.filter, this._search.value.trim())
      )
    );
    this._body = h('div', { className: 'jp-VisionLens-facets' });
    this._header.append(
      h('div', { className: 'jp-VisionLens-filterTitle', text: 'Filters' }),
      this._total,
      actions.node,
      this._chips,
      this._code.node,
      this._search
    );
    this.node.append(this._header, this._body);
    embedWidget(this, actions);

    model.queryChanged.connect(this._onQueryChanged, this);
    model.dataChanged.connect(this._onDataChanged, this);
    this._refresh();
  }

  readonly model: IVisionLensModel;

  /** The last facets answer (tests read the server total from it). */
  get facets(): IFacets | null {
    return this._facets;
  }

  private _refresh(): void {
    this._renderChips();
    const dataset = this.model.dataset;
    this._ctl?.abort();
    if (!dataset) {
      this._code.set(null);
      this._facets = null;
      this._total.textContent = 'No dataset open.';
      this._body.replaceChildren();
      return;
    }
    const ctl = (this._ctl = new AbortController());
    const filter = this.model.filter;
    this._body.classList.add('jp-mod-loading');
    // The notebook call is the server's (view_code.py), as the grid's.
    viewCode(this.model, dataset, filter, ctl.signal)
      .catch(() => null)
      .then(code => {
        if (!ctl.signal.aborted) {
          this._code.set(code);
        }
      });
    facets(this.model, dataset, filter, ctl.signal)
      .then(facets => {
        if (ctl.signal.aborted) {
          return;
        }
        this._facets = facets;
        this._body.classList.remove('jp-mod-loading');
        this._renderFacets(facets);
      })
      .catch((error: Error) => {
        if (error.name === 'AbortError') {
          return;
        }
        this._body.classList.remove('jp-mod-loading');
        this._body.replaceChildren(
          h('div', {
            className: 'jp-VisionLens-error',
            text: `Facets failed: ${error.message}`
          })
        );
      });
  }

  private _renderChips(): void {
    const filter = this.model.filter;
    const chips = describeFilter(filter);
    this._chips.replaceChildren(
      ...chips.map(chip => {
        const close = h('button', {
          className: 'jp-VisionLens-chipClose',
          text: '×',
          title: 'Remove this filter'
        });
        close.type = 'button';
        close.addEventListener('click', () =>
          this.model.setFilter(removeChip(this.model.filter, chip.id))
        );
        const el = h(
          'span',
          { className: 'jp-VisionLens-chip', title: chip.text },
          // The text gives way (ellipsised), never the × beside it.
          h('span', { className: 'jp-VisionLens-chipText', text: chip.text }),
          close
        );
        el.dataset.chip = chip.id;
        return el;
      })
    );
    this._search.value =
      fieldCondition(filter.sample, 'file_name')?.contains ?? '';
  }

  private _renderFacets(facets: IFacets): void {
    this._total.textContent = `${fmtInt(facets.total)} matching samples`;
    this._total.dataset.total = String(facets.total);
    this._body.replaceChildren(
      ...facets.facets.map(facet => {
        const key: IFacetKey = {
          name: facet.name,
          source: facet.source,
          model: facet.model,
          filter: facet.filter
        };
        const id = facetId(key);
        const details = h('details', { className: 'jp-VisionLens-facet' });
        details.dataset.facet = id;
        details.open =
          this._userOpen.get(id) ??
          !(facet.name === 'height' || facet.name.startsWith('attributes.'));
        details.addEventListener('toggle', () =>
          this._userOpen.set(id, details.open)
        );
        const active =
          (facet.type === 'categorical'
            ? getCategorical(this.model.filter, key).length > 0
            : getRange(this.model.filter, key) !== null) ||
          (facet.filter?.path === 'classifications.classes' &&
            getDiffers(this.model.filter, key.source) !== null);
        if (active) {
          details.open = true;
          details.classList.add('jp-mod-active');
        }
        details.append(
          h(
            'summary',
            { className: 'jp-VisionLens-facetTitle' },
            facetTitle(facet),
            h('span', {
              className: 'jp-VisionLens-facetUnit',
              text: unitText(facet.unit)
            })
          ),
          facet.type === 'categorical'
            ? this._categorical(facet, key)
            : this._numeric(facet, key)
        );
        return details;
      })
    );
  }

  private _categorical(facet: ICategoricalFacet, key: IFacetKey): HTMLElement {
    const checked = getCategorical(this.model.filter, key);
    const values = facet.values.map(v => ({
      value: v.value === null ? null : String(v.value),
      count: v.count
    }));
    for (const c of checked) {
      if (!values.some(v => v.value === c)) {
        values.unshift({ value: c, count: 0 });
      }
    }
    const list = h('div', { className: 'jp-VisionLens-facetValues' });
    const max = Math.max(1, ...values.map(v => v.count));
    values.forEach((v, i) => {
      const box = h('input', { attrs: { type: 'checkbox' } });
      box.checked = v.value !== null && checked.includes(v.value);
      box.disabled = v.value === null;
      box.addEventListener('change', () => {
        const current = getCategorical(this.model.filter, key);
        const next = box.checked
          ? [...current, v.value as string]
          : current.filter(x => x !== v.value);
        this.model.setFilter(setCategorical(this.model.filter, key, next));
      });
      const bar = h('span', { className: 'jp-VisionLens-valueBar' });
      bar.style.width = `${(100 * v.count) / max}%`;
      if (facet.filter?.path === 'labels.classes') {
        bar.style.background = this.model.classColor(v.value ?? '');
      }
      const row = h(
        'label',
        { className: 'jp-VisionLens-facetValue' },
        box,
        h('span', {
          className: 'jp-VisionLens-valueText',
          text: v.value ?? '(none)',
          title: v.value ?? ''
        }),
        h('span', {
          className: 'jp-VisionLens-valueCount',
          text: fmtInt(v.count),
          title: countText(v.count, facet.unit)
        }),
        bar
      );
      row.dataset.value = v.value ?? '';
      if (i >= SHOWN_VALUES && !box.checked) {
        row.classList.add('jp-mod-more');
      }
      list.appendChild(row);
    });
    if (values.length === 0) {
      list.appendChild(
        h('div', { className: 'jp-VisionLens-empty', text: 'no values' })
      );
    }
    if (
      facet.filter?.path === 'classifications.classes' &&
      key.source !== GROUND_TRUTH
    ) {
      list.prepend(this._differsControl(key));
    }
    if (values.length > SHOWN_VALUES) {
      const more = button(
        `Show all ${values.length}`,
        'jp-VisionLens-more',
        () => {
          list.classList.toggle('jp-mod-expanded');
          more.textContent = list.classList.contains('jp-mod-expanded')
            ? 'Show fewer'
            : `Show all ${values.length}`;
        }
      );
      list.appendChild(more);
    }
    return list;
  }

  /** "Class differs from ground truth" for a model's image-level labels. */
  private _differsControl(key: IFacetKey): HTMLElement {
    const box = h('input', { attrs: { type: 'checkbox' } });
    box.checked = getDiffers(this.model.filter, key.source) === true;
    box.addEventListener('change', () =>
      this.model.setFilter(
        setDiffers(this.model.filter, key.source, box.checked ? true : null)
      )
    );
    return h(
      'label',
      { className: 'jp-VisionLens-facetValue jp-VisionLens-differs' },
      box,
      h('span', {
        className: 'jp-VisionLens-valueText',
        text: 'class differs from ground truth'
      })
    );
  }

  private _numeric(facet: INumericFacet, key: IFacetKey): HTMLElement {
    const range = getRange(this.model.filter, key);
    const histogram = new Histogram(facet, facet.unit, range, r =>
      this.model.setFilter(setRange(this.model.filter, key, r))
    );
    return histogram.node;
  }

  /** Facets follow the dataset and the filter (the history buttons follow their commands). */
  private _onQueryChanged(_: IVisionLensModel, change: IQueryChange): void {
    if (change.changed.has('dataset') || change.changed.has('filter')) {
      this._refresh();
    }
  }

  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (change.dataset === this.model.dataset) {
      this._refresh();
    }
  }

  private _ctl: AbortController | null = null;
  private _code = new CodeSnippet('jp-VisionLens-filterCode');
  /** Facets the user opened or closed (kept across refreshes). */
  private _userOpen = new Map<string, boolean>();
  private _facets: IFacets | null = null;
  private _header: HTMLDivElement;
  private _total: HTMLDivElement;
  private _chips: HTMLDivElement;
  private _search: HTMLInputElement;
  private _body: HTMLDivElement;
}

/** Stable DOM id of a facet. */
export function facetId(key: IFacetKey): string {
  const id = key.source === undefined ? key.name : `${key.name}@${key.source}`;
  // one facet per tracking evaluation: its model tells them apart
  return key.model === undefined ? id : `${id}#${key.model}`;
}

function facetTitle(facet: Facet): string {
  const names: { [name: string]: string } = {
    label: 'class',
    box_count: 'boxes per sample',
    score: 'confidence',
    label_type: 'label types',
    mask_area: 'mask area',
    num_keypoints: 'labelled keypoints',
    visible_keypoints: 'visible keypoints',
    classification: 'image label',
    classification_score: 'image label score',
    'track.status': 'tracking outcome',
    'track.switched': 'identity switched',
    'track.track_switches': "track's ID switches",
    'track.track_status': 'track MT / PT / ML'
  };
  const name = ownValue(names, facet.name) ?? facet.name;
  const base = facet.model === undefined ? name : `${name} (${facet.model})`;
  if (facet.source === undefined) {
    return base;
  }
  return `${base} · ${facet.source === GROUND_TRUTH ? 'ground truth' : facet.source}`;
}
