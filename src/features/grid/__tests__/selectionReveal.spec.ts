import { hiddenText } from '../selectionReveal';
import { selectionPosition } from '../../../model/sources/samples';
import { IVisionLensModel } from '../../../model/tokens';

describe('hiddenText', () => {
  it('says how many selected samples the filter or the search hides', () => {
    expect(hiddenText(3, 440, false)).toBe(
      '3 of the 443 selected samples are hidden by the current filter.'
    );
    expect(hiddenText(1, 2, false)).toBe(
      '1 of the 3 selected samples is hidden by the current filter.'
    );
    expect(hiddenText(5, 0, false)).toBe(
      'All 5 selected samples are hidden by the current filter.'
    );
    expect(hiddenText(1, 0, true)).toBe(
      'The selected sample is not among the search results.'
    );
  });
});

describe('selectionPosition with a ranking', () => {
  it('answers from the ranking, in its order, without the server', async () => {
    const model = {
      client: {
        selectionPosition: () => {
          throw new Error('no server read for a ranking');
        }
      }
    } as unknown as IVisionLensModel;
    const query = {
      dataset: 'd',
      filter: {},
      sort: null,
      ranking: [40, 10, 30, 20]
    };
    expect(await selectionPosition(model, query, [20, 30, 99])).toEqual({
      index: 2,
      sample_id: 30,
      shown: 2,
      hidden: 1
    });
    expect(await selectionPosition(model, query, [99])).toEqual({
      index: null,
      sample_id: null,
      shown: 0,
      hidden: 1
    });
  });
});
