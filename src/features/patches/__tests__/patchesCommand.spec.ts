/**
 * The open-patches command's arguments: what a caller (the quality view, a
 * notebook, the palette) can ask the patches panel to show.
 */
import { choiceOf } from '../plugin';

describe('open-patches arguments', () => {
  it("keep the panel's own choice without a source", () => {
    expect(choiceOf({ sort: 'iou' })).toBeNull();
  });

  it('passes an evaluation and the statuses the contract knows to the panel', () => {
    expect(
      choiceOf({
        source: 'm1',
        evaluation: 'eval-1',
        statuses: ['fn', 'nope', 'tp']
      })
    ).toEqual({
      kind: 'objects',
      source: 'm1',
      evaluation: 'eval-1',
      statuses: ['tp', 'fn']
    });
  });

  it('ask for evaluation patches of a model', () => {
    expect(
      choiceOf({ source: 'm1', kind: 'evaluation', order: 'desc', sort: 'iou' })
    ).toEqual({
      kind: 'evaluation',
      source: 'm1',
      sort: 'iou',
      order: 'desc'
    });
  });
});
