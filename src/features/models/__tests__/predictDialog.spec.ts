/**
 * The "run a model" form: what it sends for each choice, and the refusals
 * that say what to fix before anything starts.
 */
import { IExportView, viewText } from '../../../model/sources/exports';
import { IPredictForm, PredictForm, predictRequest } from '../PredictDialog';

const VIEW: IExportView = {
  filter: { sample: { split: { in: ['val'] } } },
  kind: 'filter',
  count: null
};

function form(parts: Partial<IPredictForm>): IPredictForm {
  return {
    task: 'detect',
    model: ' /models/detr ',
    name: '',
    classes: '',
    minScore: '',
    device: 'auto',
    view: false,
    frames: null,
    framesValue: '',
    ...parts
  };
}

describe('the run-a-model form', () => {
  it('sends only what was chosen, trimmed', () => {
    expect(predictRequest(form({}), VIEW)).toEqual({
      model: '/models/detr',
      task: 'detect'
    });
    expect(
      predictRequest(
        form({
          task: 'classify',
          name: ' zs ',
          classes: 'cat, dog,, cat ,bird',
          minScore: '0.25',
          device: 'cpu',
          view: true,
          frames: 'every',
          framesValue: '5'
        }),
        VIEW
      )
    ).toEqual({
      model: '/models/detr',
      task: 'classify',
      name: 'zs',
      classes: ['cat', 'dog', 'bird'],
      min_score: 0.25,
      device: 'cpu',
      filter: VIEW.filter,
      frames: 'every:5'
    });
  });

  it('refuses what the server would, saying what to fix', () => {
    expect(() => predictRequest(form({ model: '  ' }), VIEW)).toThrow(
      /Name the model/
    );
    for (const minScore of ['1.5', '-0.1', 'high']) {
      expect(() => predictRequest(form({ minScore }), VIEW)).toThrow(
        /minimum score is a number from 0 to 1/
      );
    }
    expect(() =>
      predictRequest(form({ task: 'caption', classes: 'cat' }), VIEW)
    ).toThrow(/prompts of a detector or a classifier/);
    expect(() =>
      predictRequest(form({ frames: 'every', framesValue: '0' }), VIEW)
    ).toThrow(/K is a whole number/);
  });

  it('names the view it runs on, as text', () => {
    expect(viewText('d<b>', VIEW)).toBe(
      'the samples of “d<b>” matching the current filter'
    );
    expect(
      viewText('d', { filter: { ids: [1, 2] }, kind: 'selection', count: 2 })
    ).toBe('the 2 selected samples of “d”');
    expect(
      viewText('d', { filter: { ids: [1] }, kind: 'search', count: 1 })
    ).toBe('the 1 sample of “d” the search found');
  });

  it('shows classes only for the tasks that take them, frames only for videos', () => {
    const still = new PredictForm('d', VIEW, false);
    const task = still.node.querySelector(
      '.jp-VisionLens-predictTask'
    ) as HTMLSelectElement;
    const classesRow = still.node
      .querySelector('.jp-VisionLens-predictClasses')!
      .closest('label') as HTMLElement;
    expect(classesRow.hidden).toBe(false);
    task.value = 'caption';
    task.dispatchEvent(new Event('change'));
    expect(classesRow.hidden).toBe(true);
    expect(still.node.querySelector('.jp-VisionLens-predictFrames')).toBeNull();
    expect(still.getValue()).toMatchObject({ task: 'caption', frames: null });
    const videos = new PredictForm('d', VIEW, true);
    expect(
      videos.node.querySelector('.jp-VisionLens-predictFrames')
    ).not.toBeNull();
    expect(videos.getValue()).toMatchObject({ frames: 'all', view: true });
  });
});
