/**
 * "New dataset from view…": the request its form makes for the grid's view,
 * the names it refuses before asking the server, and the form's text.
 */
import { SubsetForm, subsetRequest } from '../SubsetDialog';
import { IExportView } from '../../../model/sources/exports';
import { IFilter } from '../../../model/tokens';

const FILTER: IFilter = { sample: { split: { in: ['val'] } } } as IFilter;
const BY_FILTER: IExportView = { filter: FILTER, kind: 'filter', count: null };
const SELECTED: IExportView = {
  filter: { ids: [3, 5] } as IFilter,
  kind: 'selection',
  count: 2
};

describe('subsetRequest', () => {
  it('sends the view and the trimmed name', () => {
    expect(subsetRequest('  val only ', BY_FILTER, ['src'])).toEqual({
      to: 'val only',
      filter: FILTER
    });
    expect(subsetRequest('picked', SELECTED, [])).toEqual({
      to: 'picked',
      filter: { ids: [3, 5] }
    });
  });

  it('refuses a blank name and one a dataset has', () => {
    expect(() => subsetRequest('   ', BY_FILTER, [])).toThrow('Give the new');
    expect(() => subsetRequest('src', BY_FILTER, ['src'])).toThrow(
      'exists already'
    );
  });
});

describe('SubsetForm', () => {
  it('says what is copied and offers a name', () => {
    const body = new SubsetForm('coco', SELECTED);
    expect(body.node.textContent).toContain(
      'Copies the 2 selected samples of “coco”'
    );
    expect(body.getValue()).toBe('coco-subset');
    const input = body.node.querySelector('input') as HTMLInputElement;
    input.value = 'mine';
    expect(body.getValue()).toBe('mine');
    expect(new SubsetForm('d', BY_FILTER).node.textContent).toContain(
      'Copies the samples of “d” matching the current filter'
    );
  });
});
