/**
 * The grid's sort keys: what the samples page can sort by (any sample column,
 * box count per source, the highest / lowest score of each model's boxes, the
 * largest ground-truth box), as `sort` values of `POST /samples/query`; and
 * the notebook calls reproducing a selection (`select`; a view's `samples`
 * call is the server's, the `code` of its samples page).
 */
import { pyRepr, pyString } from './similarity';
import { GROUND_TRUTH, IFilter, ISelection, ISort } from './tokens';

/** One choice of the sort control. */
export interface ISortOption {
  /** The API's `sort` value ('' sorts by sample id). */
  value: string;
  label: string;
}

/** The sort choices of a dataset with these prediction models. */
export function sortOptions(models: readonly string[]): ISortOption[] {
  const out: ISortOption[] = [
    { value: '', label: 'sample id' },
    { value: 'file_name', label: 'file name' },
    { value: 'width', label: 'width' },
    { value: 'height', label: 'height' },
    { value: 'split', label: 'split' },
    {
      value: `box_count.${GROUND_TRUTH}`,
      label: 'ground-truth box count'
    },
    {
      value: `box_max.area.${GROUND_TRUTH}`,
      label: 'largest ground-truth box'
    }
  ];
  for (const model of models) {
    out.push(
      { value: `box_count.${model}`, label: `${model}: box count` },
      { value: `box_max.score.${model}`, label: `${model}: highest score` },
      { value: `box_min.score.${model}`, label: `${model}: lowest score` }
    );
  }
  return out;
}

/** The query options of a sort (none for the default: sample id, ascending). */
export function sortQuery(sort: ISort | null): {
  sort?: string;
  order?: 'asc' | 'desc';
} {
  if (!sort || (!sort.field && sort.order === 'asc')) {
    return {};
  }
  return sort.field
    ? { sort: sort.field, order: sort.order }
    : { sort: 'sample_id', order: sort.order };
}

/** Past this many `ids` there is no code (as `MAX_CODE_IDS` in view_code.py). */
export const MAX_CODE_IDS = 1000;

/**
 * `session = vl.open(...)` then `session.select(...)`: the notebook calls that
 * select what the panels have selected now (as `select_code` in
 * `catalog/view_code.py`): the sorted ids, or for "all matching the filter"
 * the filter. Null for no selection or more than {@link MAX_CODE_IDS} ids.
 */
export function selectCode(
  dataset: string,
  selection: ISelection,
  filter: IFilter | null
): string | null {
  let what: string;
  if (selection.mode === 'all') {
    what = pyRepr(filter ?? {});
  } else {
    const n = selection.ids.size;
    if (n === 0 || n > MAX_CODE_IDS) {
      return null;
    }
    what = pyRepr([...selection.ids].sort((a, b) => a - b));
  }
  return `session = vl.open(${pyString(dataset)})\nsession.select(${what})`;
}
