/**
 * A grid tile keeps its label elements from sample to sample (scrolling
 * refills the same tiles): what it shows after any sequence of samples must
 * be what a new tile shows for the last one.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { GROUND_TRUTH, IAnnotation, ISample } from '../../../model/tokens';
import { SampleTileRenderer } from '../tiles';
import { shape } from '../../../__tests__/domShape';
import { wireBox, wireSample } from '../../../__tests__/wireSample';

let nextId = 1;

function box(
  source: string,
  label: string,
  bbox: [number, number, number, number],
  score: number | null = null,
  status: IAnnotation['status'] = undefined
): IAnnotation {
  return wireBox({ ann_id: nextId++, source, label, bbox, score, status });
}

function sample(id: number, annotations: IAnnotation[]): ISample {
  return wireSample({ sample_id: id, annotations });
}

const SAMPLES = [
  sample(1, [
    box(GROUND_TRUTH, 'cat', [10, 10, 100, 80], null, 'tp'),
    box(GROUND_TRUTH, 'dog', [200, 50, 90, 120], null, 'fn'),
    box('m1', 'cat', [12, 11, 98, 82], 0.9, 'tp'),
    box('m1', 'bird', [400, 300, 50, 40], 0.6, 'fp')
  ]),
  // fewer boxes, a prediction where ground truth was
  sample(2, [
    box('m1', 'dog', [5, 5, 60, 60], 0.7, 'fp'),
    box(GROUND_TRUTH, 'person', [300, 100, 120, 300], null, 'fn')
  ]),
  sample(3, []),
  // more boxes than any before
  sample(
    4,
    Array.from({ length: 7 }, (_, i) =>
      box(i % 2 ? 'm1' : GROUND_TRUTH, `c${i}`, [i * 50, i * 30, 40, 40], 0.8)
    )
  ),
  sample(5, [box(GROUND_TRUTH, 'cat', [0, 0, 640, 480])])
];

function demoModel(): VisionLensModel {
  const model = new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
  model.setDataset('demo');
  return model;
}

function renderer(model = demoModel()): SampleTileRenderer {
  return new SampleTileRenderer(model);
}

describe('a grid tile drawn again for other samples', () => {
  it.each([false, true])(
    'shows the boxes a new tile shows (TP/FP/FN colours %s)',
    evalColours => {
      const tiles = renderer();
      tiles.evalColours = evalColours;
      const tile = tiles.create(document.createElement('div'));
      const svg = tile._labels?.svg as SVGSVGElement;
      let before: Element[] = [];
      for (const s of [...SAMPLES, SAMPLES[1], SAMPLES[0], SAMPLES[3]]) {
        tiles.fill(tile, s, 192);
        const fresh = tiles.create(document.createElement('div'));
        tiles.fill(fresh, s, 192);
        expect(shape(svg)).toBe(shape(fresh._labels?.svg));
        const boxes = [...svg.querySelectorAll('g.jp-VisionLens-box')];
        expect(boxes).toHaveLength(s.annotations?.length ?? 0);
        // The previous sample's elements are used again, not made anew.
        const reused = boxes.slice(0, before.length);
        expect(reused).toEqual(before.slice(0, reused.length));
        reused.forEach((g, i) => expect(g).toBe(before[i]));
        before = boxes;
      }
      tiles.fill(tile, null, 192);
      expect(svg.children).toHaveLength(0);
      expect(svg.hasAttribute('viewBox')).toBe(false);
    }
  );
});

describe("a grid tile's semantic masks", () => {
  const masked = (id: number, sources: string[]): ISample =>
    wireSample({ sample_id: id, annotations: [], mask_sources: sources });
  const pictures = (tile: HTMLElement) =>
    [...tile.querySelectorAll('img.jp-VisionLens-semanticMask')].map(img => ({
      source: (img as HTMLImageElement).dataset.source,
      src: (img as HTMLImageElement).src,
      hidden: (img as HTMLImageElement).hidden
    }));

  it("lays each source's mask at the tile's size over the image, following the toggles", () => {
    const model = demoModel();
    const tiles = renderer(model);
    const tile = tiles.create(document.createElement('div'));
    tiles.fill(tile, masked(7, [GROUND_TRUTH, 'net']), 192);
    expect(pictures(tile)).toEqual([
      {
        source: GROUND_TRUTH,
        src: expect.stringMatching(
          /datasets\/demo\/samples\/7\/masks\/ground_truth\?size=256$/
        ),
        hidden: false
      },
      {
        source: 'net',
        src: expect.stringMatching(/samples\/7\/masks\/net\?size=256$/),
        hidden: false
      }
    ]);
    // above the image, below the labels
    const layers = [...tile.children].map(c => c.classList[0]);
    expect(layers.indexOf('jp-VisionLens-semanticMasks')).toBe(
      layers.indexOf('jp-VisionLens-tileImage') + 1
    );
    model.setSourceVisible('net', false);
    tiles.fill(tile, masked(7, [GROUND_TRUTH, 'net']), 192);
    expect(pictures(tile).map(p => p.hidden)).toEqual([false, true]);
    tiles.labelTypes = new Set(['boxes']);
    tiles.fill(tile, masked(7, [GROUND_TRUTH, 'net']), 192);
    expect(pictures(tile).map(p => p.hidden)).toEqual([true, true]);
    // the next sample: its own masks, none for a sample without
    tiles.labelTypes = new Set(['masks']);
    tiles.fill(tile, masked(8, [GROUND_TRUTH]), 192);
    expect(pictures(tile).map(p => p.src)).toEqual([
      expect.stringMatching(/samples\/8\/masks\/ground_truth\?size=256$/)
    ]);
    tiles.fill(tile, masked(9, []), 192);
    expect(pictures(tile)).toEqual([]);
    tiles.fill(tile, masked(8, [GROUND_TRUTH]), 192);
    tiles.fill(tile, null, 192);
    expect(pictures(tile)).toEqual([]);
  });
});
