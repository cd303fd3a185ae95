/**
 * The grid's sort control: a key (see `sorting.ts`) and a direction. While a
 * similarity search is shown the grid is ordered by similarity and the
 * control says so instead.
 */
import { button, h } from '../../base/dom';
import { sortOptions } from '../../model/sorting';
import { ISort } from '../../model/tokens';

/** A select of sort keys and an ascending / descending toggle. */
export class SortControl {
  constructor(onChange: (sort: ISort) => void) {
    this._onChange = onChange;
    this._select = h('select', {
      className: 'jp-VisionLens-sortField jp-mod-styled',
      attrs: { 'aria-label': 'Sort the grid by' }
    });
    this._select.addEventListener('change', () => this._emit());
    this._order = button('↑ asc', 'jp-VisionLens-sortOrder', () => {
      this._desc = !this._desc;
      this._emit();
    });
    this._order.title = 'Ascending or descending (no value sorts last)';
    this._similarity = h('span', {
      className: 'jp-VisionLens-sortSimilarity',
      text: 'by similarity'
    });
    this._similarity.hidden = true;
    this.node = h(
      'label',
      { className: 'jp-VisionLens-control jp-VisionLens-sort' },
      'Sort ',
      this._select,
      this._order,
      this._similarity
    );
    this.setModels([]);
  }

  readonly node: HTMLLabelElement;

  /** The current sort. */
  get sort(): ISort {
    return { field: this._select.value, order: this._desc ? 'desc' : 'asc' };
  }

  /** Offer the keys of a dataset with these models; back to sample id. */
  setModels(models: readonly string[]): void {
    const key = models.join('\u0000');
    if (key === this._modelsKey && this._select.options.length) {
      return;
    }
    this._modelsKey = key;
    this._select.replaceChildren(
      ...sortOptions(models).map(o => {
        const option = h('option', { text: o.label });
        option.value = o.value;
        return option;
      })
    );
    this._select.value = '';
    this._desc = false;
    this._sync();
  }

  /** A similarity search orders the grid: the key and direction do not apply. */
  /** Show `sort` (the model's, after an undo or a dataset change). */
  setSort(sort: ISort): void {
    this._select.value = sort.field;
    this._desc = sort.order === 'desc';
    this._sync();
  }

  setSearching(searching: boolean): void {
    this._select.hidden = searching;
    this._order.hidden = searching;
    this._similarity.hidden = !searching;
  }

  private _emit(): void {
    this._sync();
    this._onChange(this.sort);
  }

  private _sync(): void {
    this._order.textContent = this._desc ? '↓ desc' : '↑ asc';
    this._order.dataset.order = this._desc ? 'desc' : 'asc';
  }

  private _onChange: (sort: ISort) => void;
  private _select: HTMLSelectElement;
  private _order: HTMLButtonElement;
  private _similarity: HTMLSpanElement;
  private _desc = false;
  private _modelsKey = '';
}
