/**
 * The Label Studio dialogs' text and checks: a connection as typed (an
 * http(s) URL, no trailing slash), a pull's changes in words, each operation
 * as a line (dataset text stays text: the dialog sets it as textContent).
 */
import { checkedConnection } from '../../../model/sources/labelStudio';
import { ILabelStudioChanges } from '../../../model/tokens';
import { changesText, operationText } from '../LabelStudioDialog';

describe('the Label Studio round trip dialogs', () => {
  it('checks the URL as typed', () => {
    expect(checkedConnection(' http://127.0.0.1:8080/ ', ' t ')).toEqual({
      url: 'http://127.0.0.1:8080',
      token: 't'
    });
    expect(() => checkedConnection('localhost:8080', '')).toThrow(/http/);
    expect(() => checkedConnection('', '')).toThrow(/URL/);
    expect(() => checkedConnection('javascript:alert(1)', '')).toThrow(/http/);
  });

  it('says what a pull would change', () => {
    const changes: ILabelStudioChanges = {
      project: 3,
      tasks: 20,
      annotated: 4,
      edits: {
        added: 1,
        deleted: 2,
        relabelled: 3,
        moved: 1200,
        reshaped: 2,
        keypoints_changed: 4,
        classified: 5,
        unclassified: 1
      },
      operations: [],
      skipped: [{ task: 7, region: 'r1', reason: 'a rotated rectangle' }],
      applied: 0,
      batch: null
    };
    expect(changesText(changes)).toBe(
      '4 of 20 tasks annotated: 1 added, 2 deleted, 3 relabelled, 1,200 moved, 2 reshaped, 4 with new keypoints, 5 image labels set, 1 image labels cleared; 1 annotations could not become edits.'
    );
    const boxesOnly = {
      ...changes,
      edits: { ...changes.edits, keypoints_changed: 0, classified: 0 },
      skipped: []
    };
    expect(changesText(boxesOnly)).toBe(
      '4 of 20 tasks annotated: 1 added, 2 deleted, 3 relabelled, 1,200 moved, 2 reshaped, 1 image labels cleared.'
    );
  });

  it('writes each operation as a line', () => {
    expect(
      operationText({
        op: 'add',
        sample_id: 5,
        label: '<b>cat</b>',
        bbox: [1.4, 2.6, 10, 20]
      })
    ).toBe('add <b>cat</b> [1, 3, 10, 20] on sample 5');
    // a new keypoint object drawn without a box (its box: the points' extent)
    expect(
      operationText({
        op: 'add',
        sample_id: 5,
        label: 'person',
        keypoints: [120, 20, 2, 0, 0, 0, 140, 30, 2]
      })
    ).toBe('add person keypoints on sample 5');
    expect(
      operationText({
        op: 'add',
        sample_id: 5,
        label: 'lane',
        polyline: [1, 2, 3, 4]
      })
    ).toBe('add lane line on sample 5');
    expect(
      operationText({ op: 'move', annotation_id: 9, bbox: [0, 0, 5.5, 5] })
    ).toBe('move object 9 to [0, 0, 6, 5]');
    expect(
      operationText({ op: 'relabel', annotation_id: 9, label: 'dog' })
    ).toBe('relabel object 9 to dog');
    expect(
      operationText({
        op: 'reshape',
        annotation_id: 4,
        segmentation: [[1, 2, 3, 4, 5, 6]]
      })
    ).toBe('new shape for object 4');
    expect(operationText({ op: 'delete', annotation_ids: [1, 2] })).toBe(
      'delete objects'
    );
    expect(
      operationText({ op: 'keypoints', annotation_id: 4, keypoints: [1, 2, 2] })
    ).toBe('new keypoints for object 4');
    expect(
      operationText({ op: 'classify', sample_id: 3, labels: ['cat', 'dog'] })
    ).toBe('image labels of sample 3: cat, dog');
    expect(operationText({ op: 'unclassify', sample_id: 3 })).toBe(
      'remove the image labels of sample 3'
    );
  });
});
