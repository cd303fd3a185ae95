/**
 * The search row's status text: the coverage warning of a search answer is
 * shown as text while its results are, and goes with them.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { describeResult, sourcesLabel } from '../../../model/similarity';
import { ISearchResult, ISearchState } from '../../../model/tokens';
import { SearchStatus } from '../SearchStatus';
import { SampleTileRenderer } from '../tiles';
import { wireSample } from '../../../__tests__/wireSample';

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
    strategy: 'memory',
    matched: null,
    warning,
    code: 'ds.search(like=3, k=2)',
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
    // an older server's answer, without the field the document now requires
    const { warning: _, ...old } = answer(null);
    status.render(state(old as ISearchResult));
    expect(shown()).toBe(false);
    status.render(state(answer(WARNING)));
    status.render(null);
    expect(status.message.textContent).toBe('');
    expect(shown()).toBe(false);
  });
});

/** A text search the server fused with the captions (search/captioned.py). */
function fused(clipError: string | null): ISearchResult {
  const clip = clipError === null;
  return {
    model: clip ? 'clip' : null,
    space: clip ? 'clip-v1' : null,
    strategy: clip ? 'memory' : 'captions',
    matched: null,
    warning: null,
    code: "ds.search(text='red car')",
    fusion: {
      method: 'rrf',
      rrf_k: 60,
      clip: clip ? 2 : 0,
      caption: 2,
      clip_error: clipError
    },
    results: [
      {
        sample_id: 3,
        score: 1 / 61 + 1 / 62,
        file_name: 'a.jpg',
        sources: clip ? ['clip', 'caption'] : ['caption'],
        caption: 'a <b>red</b> car',
        clip_score: clip ? 0.31 : null
      },
      {
        sample_id: 9,
        score: 1 / 62,
        file_name: 'b.jpg',
        sources: clip ? ['clip'] : ['caption'],
        caption: clip ? null : 'a car',
        clip_score: clip ? 0.2 : null
      }
    ]
  };
}

describe('a text search fused with captions', () => {
  it('says what answered and how many results both rankings hold', () => {
    const status = new SearchStatus();
    status.render(state(fused(null)));
    expect(status.message.textContent).toBe(
      '2 results · clip + captions (rank fusion, 1 in both)'
    );
    expect(status.message.title).toBe('');
    status.render(state(fused('dataset has no vectors yet: run embed')));
    expect(status.message.textContent).toBe('2 results · captions only');
    expect(status.message.title).toBe('dataset has no vectors yet: run embed');
    status.render(state(answer(null))); // a plain search: no title left over
    expect(status.message.textContent).toBe('2 results · clip');
    expect(status.message.title).toBe('');
  });

  it('names each result’s sources', () => {
    expect(sourcesLabel(['clip', 'caption'])).toBe('CLIP + caption');
    expect(sourcesLabel(['caption'])).toBe('caption');
    expect(sourcesLabel(undefined)).toBeNull();
    expect(describeResult(fused(null))).toContain('rank fusion');
  });

  it('shows the sources on the tiles’ score badges', () => {
    const model = new VisionLensModel({
      client: new VisionLensClient(ServerConnection.makeSettings()),
      state: null,
      saveDelay: 0
    });
    model.setDataset('demo');
    const tiles = new SampleTileRenderer(model);
    tiles.scores = new Map([[3, 1 / 61 + 1 / 62]]);
    tiles.sources = new Map([[3, 'CLIP + caption']]);
    const tile = tiles.create(document.createElement('div'));
    const sample = wireSample({
      sample_id: 3,
      file_name: 'a.jpg',
      width: 10,
      height: 10
    });
    tiles.fill(tile, sample, 128);
    expect(tile._score?.textContent).toBe('0.033 · CLIP + caption');
    expect(tile._score?.title).toBe('Matched by CLIP + caption');
    tiles.sources = new Map(); // a plain similarity search
    tiles.fill(tile, sample, 128);
    expect(tile._score?.textContent).toBe('0.033');
    expect(tile._score?.title).toBe('');
  });
});
