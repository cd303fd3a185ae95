/**
 * "Delete labels of view…": the confirmation's sentence with the server's
 * count, and the form choosing whose labels.
 */
import {
  confirmSamplesText,
  confirmText,
  DeleteLabelsForm,
  THE_SAMPLES
} from '../DeleteLabelsDialog';
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

describe('confirmSamplesText', () => {
  it('names the samples and the labels that go', () => {
    expect(confirmSamplesText('coco', SELECTED, 2, 7)).toBe(
      'Delete the 2 samples selected from “coco”, with their 7 labels, tags, ' +
        'fields and vectors? This is one batch of the edit log: Undo puts ' +
        'every one back.'
    );
    const filtered: IExportView = { filter: {}, kind: 'filter', count: null };
    expect(confirmSamplesText('d', filtered, 1, 1)).toContain(
      'Delete the 1 sample matching the current filter from “d”, with their 1 label,'
    );
  });
});

describe('DeleteLabelsForm', () => {
  it('offers every source, then the samples, and answers the chosen one', () => {
    const body = new DeleteLabelsForm(['ground_truth', 'm1']);
    const choice = body.node.querySelector('select') as HTMLSelectElement;
    expect([...choice.options].map(o => o.value)).toEqual([
      'ground_truth',
      'm1',
      THE_SAMPLES
    ]);
    choice.value = 'm1';
    expect(body.getValue()).toBe('m1');
    choice.value = THE_SAMPLES;
    expect(body.getValue()).toBe(THE_SAMPLES);
  });
});
