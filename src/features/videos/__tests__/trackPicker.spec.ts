/**
 * The tracks view's "Tracks of" picker (`trackPicker.ts`): its options (the
 * ground truth, then each prediction set with tracks), the model a choice shows for a
 * dataset (none for another dataset's choice or a dropped prediction set),
 * the choice a command's arguments name, and the select a user picks from
 * (model names written as text, never HTML).
 */
import {
  chosenTrackModel,
  GROUND_TRUTH_TRACKS,
  trackChoiceOf,
  trackedModels,
  trackSourceOptions,
  TrackSourcePicker
} from '../trackPicker';

describe('the tracks picker', () => {
  it('offers the ground truth, then each prediction set', () => {
    expect(trackSourceOptions(['sort', 'bytetrack'])).toEqual([
      [GROUND_TRUTH_TRACKS, 'Ground truth'],
      ['sort', 'Predictions: sort'],
      ['bytetrack', 'Predictions: bytetrack']
    ]);
    expect(trackSourceOptions([])).toEqual([
      [GROUND_TRUTH_TRACKS, 'Ground truth']
    ]);
  });

  it('offers only the prediction sets with tracks once their counts are read', () => {
    const models = ['detector', 'sort', 'bytetrack'];
    const tracks = new Map([
      ['detector', 0],
      ['sort', 8]
    ]);
    // a detector's boxes have no tracks; a set the counts do not name neither
    expect(trackedModels(models, tracks)).toEqual(['sort']);
    // the counts not read yet: every prediction set
    expect(trackedModels(models, null)).toEqual(models);
  });

  it("shows a choice's model on its own dataset while the model is listed", () => {
    const choice = { dataset: 'mot', model: 'sort' };
    expect(chosenTrackModel(choice, 'mot', ['sort'])).toBe('sort');
    // the list not read yet: the choice holds (a restored view)
    expect(chosenTrackModel(choice, 'mot', null)).toBe('sort');
    // another dataset, a dropped prediction set, no choice: the ground truth
    expect(chosenTrackModel(choice, 'street', ['sort'])).toBeNull();
    expect(chosenTrackModel(choice, 'mot', ['bytetrack'])).toBeNull();
    expect(chosenTrackModel(null, 'mot', ['sort'])).toBeNull();
    expect(
      chosenTrackModel({ dataset: 'mot', model: null }, 'mot', ['sort'])
    ).toBeNull();
  });

  it("reads the choice a command's arguments name", () => {
    expect(trackChoiceOf({ model: 'sort' }, 'mot')).toEqual({
      dataset: 'mot',
      model: 'sort'
    });
    expect(trackChoiceOf({ model: 'sort', dataset: 'street' }, 'mot')).toEqual({
      dataset: 'street',
      model: 'sort'
    });
    expect(trackChoiceOf({ model: null }, 'mot')).toEqual({
      dataset: 'mot',
      model: null
    });
    expect(trackChoiceOf({ model: GROUND_TRUTH_TRACKS }, 'mot')).toEqual({
      dataset: 'mot',
      model: null
    });
    // no model named, a model that is no name, no dataset: no choice
    expect(trackChoiceOf({}, 'mot')).toBeNull();
    expect(trackChoiceOf({ model: 3 }, 'mot')).toBeNull();
    expect(trackChoiceOf({ model: 'sort' }, null)).toBeNull();
  });

  it("picks a prediction set's tracks, kept for its dataset only", () => {
    const picks: (string | null)[] = [];
    const picker = new TrackSourcePicker(() =>
      picks.push(picker.choice?.model ?? null)
    );
    expect(picker.sync('mot', ['sort', '<b>x</b>'])).toBeNull();
    const options = [...picker.select.options];
    expect(options.map(o => o.value)).toEqual(['', 'sort', '<b>x</b>']);
    expect(options[2].textContent).toBe('Predictions: <b>x</b>');
    expect(picker.select.querySelector('b')).toBeNull();
    expect(picker.select.value).toBe(GROUND_TRUTH_TRACKS);

    picker.select.value = 'sort';
    picker.select.dispatchEvent(new Event('change'));
    expect(picks).toEqual(['sort']);
    expect(picker.choice).toEqual({ dataset: 'mot', model: 'sort' });
    expect(picker.sync('mot', ['sort'])).toBe('sort');
    expect(picker.select.value).toBe('sort');

    // another dataset shows its ground truth; back, the choice holds
    expect(picker.sync('street', ['other'])).toBeNull();
    expect(picker.select.value).toBe(GROUND_TRUTH_TRACKS);
    expect(picker.sync('mot', ['sort'])).toBe('sort');

    // the ground truth picked again
    picker.select.value = GROUND_TRUTH_TRACKS;
    picker.select.dispatchEvent(new Event('change'));
    expect(picks).toEqual(['sort', null]);
    expect(picker.sync('mot', ['sort'])).toBeNull();
  });

  it('offers a restored choice while the prediction sets are still read', () => {
    const picker = new TrackSourcePicker(() => undefined);
    picker.choose('mot', 'sort');
    expect(picker.sync('mot', null)).toBe('sort');
    expect(picker.select.value).toBe('sort');
    // read: no longer listed, the ground truth
    expect(picker.sync('mot', ['bytetrack'])).toBeNull();
    expect(picker.select.value).toBe(GROUND_TRUTH_TRACKS);
    // no dataset: nothing to pick
    picker.sync(null, null);
    expect(picker.select.disabled).toBe(true);
  });
});
