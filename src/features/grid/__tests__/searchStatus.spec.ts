/**
 * The search row's status text: the coverage warning of a search answer is
 * shown as text while its results are, and goes with them.
 */
import { ISearchResult, ISearchState } from '../../../model/tokens';
import { SearchStatus } from '../SearchStatus';

const WARNING =
  "only 7 of the 24 samples of '<b>demo</b>' have a clip vector: results " +
  'cover those; run `visionlens embed demo --model clip` to embed the rest';

function state(result: ISearchResult | null, error: string | null = null) {
  const s: ISearchState = {
    dataset: 'demo',
    query: { like: 3, k: 50 },
    filter: {},
    result,
    error
  };
  return s;
}

function answer(warning: string | null): ISearchResult {
  return {
    model: 'clip',
    space: 'clip-v1',
    warning,
    results: [
      { sample_id: 3, score: 1, file_name: 'a.jpg' },
      { sample_id: 9, score: 0.5, file_name: 'b.jpg' }
    ]
  };
}

describe('SearchStatus', () => {
  it('shows the warning as text beside the count while results are shown', () => {
    const status = new SearchStatus();
    status.render(state(answer(WARNING)));
    expect(status.message.textContent).toBe('2 results · clip');
    expect(status.warning.hidden).toBe(false);
    expect(status.warning.textContent).toBe(WARNING);
    // dataset names are untrusted: the markup stays text
    expect(status.warning.querySelector('b')).toBeNull();
    expect(status.warning.title).toBe(WARNING);
  });

  it('hides the warning when the answer has none, while searching, on errors and when cleared', () => {
    const status = new SearchStatus();
    const shown = () => !status.warning.hidden && !!status.warning.textContent;
    status.render(state(answer(WARNING)));
    expect(shown()).toBe(true);
    status.render(state(null)); // a new search runs
    expect(status.message.textContent).toBe('Searching…');
    expect(shown()).toBe(false);
    status.render(state(answer(WARNING)));
    status.render(state(null, 'no vector space'));
    expect(status.message.textContent).toBe('no vector space');
    expect(status.message.classList.contains('jp-mod-error')).toBe(true);
    expect(shown()).toBe(false);
    status.render(state(answer(WARNING)));
    status.render(state(answer(null)));
    expect(status.message.classList.contains('jp-mod-error')).toBe(false);
    expect(shown()).toBe(false);
    const { warning: _, ...old } = answer(null); // an answer without the field
    status.render(state(old));
    expect(shown()).toBe(false);
    status.render(state(answer(WARNING)));
    status.render(null);
    expect(status.message.textContent).toBe('');
    expect(shown()).toBe(false);
  });
});
