/**
 * "Delete labels of view…": the confirmation's sentence with the server's
 * count, and the form choosing whose labels.
 */
import { confirmText, DeleteLabelsForm } from '../DeleteLabelsDialog';
import { IExportView } from '../../../model/sources/exports';
import { IFilter } from '../../../model/tokens';

const SELECTED: IExportView = {
  filter: { ids: [3, 5] } as IFilter,
  kind: 'selection',
  count: 2
};

describe('confirmText', () => {
  it('names the count, the source and the view', () => {
    expect(confirmText('coco', 'm1', SELECTED, 1234)).toBe(
      'Delete 1,234 labels of “m1” from the 2 selected samples of “coco”? ' +
        'This is one batch of the edit log: Undo takes it back.'
    );
    const filtered: IExportView = { filter: {}, kind: 'filter', count: null };
    expect(confirmText('d', 'ground_truth', filtered, 1)).toContain(
      'Delete 1 label of “ground_truth” from the samples matching the current filter'
    );
  });
});

describe('DeleteLabelsForm', () => {
  it('offers every source and answers the chosen one', () => {
    const body = new DeleteLabelsForm(['ground_truth', 'm1']);
    const choice = body.node.querySelector('select') as HTMLSelectElement;
    expect([...choice.options].map(o => o.value)).toEqual([
      'ground_truth',
      'm1'
    ]);
    choice.value = 'm1';
    expect(body.getValue()).toBe('m1');
  });
});
