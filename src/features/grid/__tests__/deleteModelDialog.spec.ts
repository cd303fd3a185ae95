/**
 * "Delete model…": the confirmation names the parts of the model that go
 * (the server's dry-run counts), and the form offers every model.
 */
import {
  confirmModelText,
  DeleteModelForm,
  goneText
} from '../DeleteModelDialog';
import { IDeleteModelResult } from '../../../model/tokens';

function counted(parts: Partial<IDeleteModelResult>): IDeleteModelResult {
  return {
    dataset: 'coco',
    model: 'm1',
    objects: 0,
    image_labels: 0,
    label_maps: 0,
    evaluations: 0,
    ...parts
  };
}

describe('goneText', () => {
  it('names each part the model has, in the singular for one', () => {
    expect(goneText(counted({ objects: 1234, evaluations: 2 }))).toBe(
      '1,234 objects, 2 evaluations'
    );
    expect(goneText(counted({ label_maps: 1, image_labels: 3 }))).toBe(
      '3 image labels, 1 label map'
    );
    expect(goneText(counted({}))).toBe('no predictions');
  });
});

describe('confirmModelText', () => {
  it('names the model, the dataset, what goes and that it is not undoable', () => {
    expect(confirmModelText(counted({ objects: 3, evaluations: 1 }))).toBe(
      'Delete the model “m1” from “coco”: 3 objects, 1 evaluation? This ' +
        'cannot be undone (import its predictions again to get them back).'
    );
  });
});

describe('DeleteModelForm', () => {
  it('offers every model and answers the chosen one', () => {
    const body = new DeleteModelForm(['boxes', 'segnet']);
    const choice = body.node.querySelector('select') as HTMLSelectElement;
    expect([...choice.options].map(o => o.value)).toEqual(['boxes', 'segnet']);
    choice.value = 'segnet';
    expect(body.getValue()).toBe('segnet');
  });
});
