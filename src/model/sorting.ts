/**
 * The grid's sort keys: what the samples page can sort by (any sample column,
 * box count per source, the highest / lowest score of each model's boxes, the
 * largest ground-truth box), as `sort` values of `POST /samples/query`.
 */
import { GROUND_TRUTH, ISort } from './tokens';

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
