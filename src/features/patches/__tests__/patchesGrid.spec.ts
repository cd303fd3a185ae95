/**
 * The patches view on the generic virtual grid: it scrolls through every
 * object reading only the pages in view (no prev / next), with the sample
 * grid's roles, and the grid's keys move the focus across patches and select
 * them (the keys' commands act on the grid they were pressed in).
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../../../model/patches';
import {
  IPatchesPage,
  IPatchQuery,
  IVisionLensModel
} from '../../../model/tokens';
import { focusedGrid } from '../../../ui/virtualGrid/VirtualGrid';
import { PatchesWidget } from '../PatchesWidget';
import { frame, patchObject, patchTiles, showPatches } from './showPatches';

const TOTAL = 1000;

/** A model whose client pages `TOTAL` objects (sample = 10 × ann) and records the offsets read. */
function fakeModel(offsets: number[], shared: number[][]): IVisionLensModel {
  return {
    dataset: 'd',
    datasets: [],
    filter: {},
    currentInfo: { models: [] },
    dataChanged: new Signal<unknown, unknown>({}),
    filterChanged: new Signal<unknown, unknown>({}),
    selectionChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    setSelection: (ids: Iterable<number>) => shared.push([...ids]),
    classColor: () => '#00aa00',
    client: {
      listEvaluations: async () => [],
      queryPatches: async (
        _: string,
        __: unknown,
        query: IPatchQuery
      ): Promise<IPatchesPage> => {
        const offset = query.offset ?? 0;
        offsets.push(offset);
        const n = Math.max(0, Math.min(query.limit ?? 0, TOTAL - offset));
        return {
          total: TOTAL,
          offset,
          limit: query.limit ?? 0,
          kind: 'objects',
          source: 'ground_truth',
          lq_model: null,
          version: null,
          evaluation: null,
          objects: Array.from({ length: n }, (_, i) =>
            patchObject(offset + i, { file_name: `${offset + i}.jpg` })
          )
        };
      },
      patchSamples: async (_: string, ids: number[]) => ids.map(i => i * 10),
      cropUrl: (_: string, annId: number) => `/crop/${annId}`,
      getDataset: async () => ({ categories: ['cat'] })
    }
  } as unknown as IVisionLensModel;
}

/** A shown patches view whose scroller keeps the `scrollTop` it is given. */
async function setup() {
  const offsets: number[] = [];
  const shared: number[][] = [];
  const widget = new PatchesWidget(
    new PatchesModel(fakeModel(offsets, shared)),
    () => undefined
  );
  let top = 0;
  Object.defineProperty(widget.grid.node, 'scrollTop', {
    get: () => top,
    set: (v: number) => {
      top = v;
    }
  });
  await showPatches(widget);
  return { widget, offsets, shared };
}

/** Frames, and the wait after a long move (the grid reads where the view settles). */
async function settle(): Promise<void> {
  await frame();
  await new Promise(resolve => setTimeout(resolve, 80));
  await frame();
  await frame();
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('the patches view on the virtual grid', () => {
  it('scrolls through every object, reading only the pages in view', async () => {
    const { widget, offsets } = await setup();
    const grid = widget.grid.node;
    expect(grid.getAttribute('role')).toBe('grid');
    expect(grid.getAttribute('aria-label')).toBe('Objects');
    expect(grid.getAttribute('aria-rowcount')).toBe('167'); // 1,000 in rows of 6
    expect(grid.querySelector('[role="row"] [role="gridcell"]')).not.toBeNull();
    expect(
      widget.node.querySelector(
        '.jp-VisionLens-patchesPrev, .jp-VisionLens-patchesNext'
      )
    ).toBeNull();
    expect(
      widget.node.querySelector('.jp-VisionLens-patchesCount')!.textContent
    ).toBe('1,000 objects');
    expect(offsets).toEqual([0]);
    // only the rows in view are in the DOM (6 tiles a row)
    expect(patchTiles(widget).length).toBeLessThan(60);

    grid.scrollTop = 100 * 164; // row 100: objects 600 to 605
    grid.dispatchEvent(new Event('scroll'));
    await settle();
    expect(offsets).toEqual([0, 540, 600]);
    const shown = patchTiles(widget).map(t => Number(t.dataset.annId));
    expect(shown).toContain(600);
    expect(shown).not.toContain(0);
    widget.dispose();
  });

  it('moves the keyboard focus across patches and selects the focused one', async () => {
    const { widget, shared } = await setup();
    patchTiles(widget)[0].focus();
    const keys = focusedGrid();
    expect(keys).toBe(widget.grid.focus);
    const active = () => (document.activeElement as HTMLElement).dataset;

    keys!.move(1, 0); // ArrowRight
    await frame();
    expect(active().annId).toBe('1');
    keys!.toggle(); // Space
    await frame();
    expect(shared).toEqual([[10]]);
    expect(patchTiles(widget)[1].getAttribute('aria-selected')).toBe('true');

    keys!.move(0, 1); // ArrowDown: the tile below
    await frame();
    expect(active().annId).toBe('7');
    keys!.movePages(1); // PageDown: three rows in view
    await frame();
    expect(active().annId).toBe('25');

    keys!.goTo(Infinity); // End: the last object, its page read
    await settle();
    expect(active().annId).toBe('999');
    await keys!.open(); // Enter selects too
    expect(shared[shared.length - 1]).toEqual([10, 9990]);
    keys!.goTo(0); // Home
    await settle();
    expect(active().annId).toBe('0');
    widget.dispose();
  });
});
