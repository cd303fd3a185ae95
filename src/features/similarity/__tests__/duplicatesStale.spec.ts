/**
 * The duplicates panel over a stored result the server calls stale (samples
 * deleted, restored or added since it was computed): a "stale — recompute"
 * note with the server's reason, as text; none over a fresh result. The
 * groups shown are the answer's (the server leaves deleted samples out).
 */
import { Signal } from '@lumino/signaling';

import { IDuplicatesResult } from '../../../model/tokens';
import { DuplicatesPanel } from '../DuplicatesPanel';

const HOSTILE = '<img src=x onerror="alert(1)">';

function result(extra: Partial<IDuplicatesResult>): IDuplicatesResult {
  return {
    dataset: 'd',
    model: null,
    space: null,
    threshold: 0.95,
    exact: false,
    samples: 10,
    vectors: 0,
    groups: [[2, 3]],
    pairs: 1,
    counts: { exact: { pairs: 1, groups: 1 } },
    leaks: [],
    notes: [],
    fields: [],
    code: "vl.dataset('d').duplicates()",
    ...extra
  };
}

async function panel(
  answer: IDuplicatesResult,
  answers: IDuplicatesResult[] = []
): Promise<{ widget: DuplicatesPanel; changed: Signal<unknown, unknown> }> {
  const fake = {
    dataset: 'd',
    datasetChanged: new Signal<unknown, unknown>({}),
    dataChanged: new Signal<unknown, unknown>({}),
    setSelection: () => undefined,
    client: {
      lastDuplicates: async () => answers.shift() ?? answer,
      imageUrl: (_: string, id: number) => `img/${id}`
    }
  };
  const widget = new DuplicatesPanel(fake as any, () => undefined);
  await widget.load();
  return { widget, changed: fake.dataChanged };
}

describe('DuplicatesPanel staleness', () => {
  it('notes a stale result with the reason, as text', async () => {
    const { widget } = await panel(
      result({
        stale: true,
        stale_reason: `3 samples deleted since it was computed ${HOSTILE}`,
        samples_removed: 3,
        samples_added: 0,
        deleted_members: 1
      })
    );
    const note = widget.node.querySelector('.jp-VisionLens-staleNote');
    expect(note?.textContent).toBe(
      `Stale — recompute: 3 samples deleted since it was computed ${HOSTILE}.`
    );
    expect(note?.querySelector('img')).toBeNull();
    const thumbs = [...widget.node.querySelectorAll('.jp-VisionLens-thumb')];
    expect(thumbs.map(t => t.getAttribute('alt'))).toEqual([
      'sample 2',
      'sample 3'
    ]);
  });

  it('shows no note over a fresh result', async () => {
    const { widget } = await panel(
      result({ stale: false, stale_reason: null, samples_removed: 0 })
    );
    expect(widget.node.querySelector('.jp-VisionLens-staleNote')).toBeNull();
    expect(widget.node.textContent).not.toContain('Stale');
  });

  it('reads the result again when samples of the dataset are deleted', async () => {
    const fresh = result({ stale: false, groups: [[2, 3]] });
    const after = result({
      stale: true,
      stale_reason: '1 sample deleted since it was computed',
      groups: [],
      deleted_members: 1
    });
    // the constructor's load and the test's read the fresh answer, the event's the stale one
    const { widget, changed } = await panel(after, [fresh, fresh]);
    expect(widget.node.querySelectorAll('.jp-VisionLens-thumb').length).toBe(2);
    changed.emit({ dataset: 'other', kind: 'labels', ids: null });
    changed.emit({ dataset: 'd', kind: 'tags', ids: [2] });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(widget.node.querySelector('.jp-VisionLens-staleNote')).toBeNull();
    changed.emit({ dataset: 'd', kind: 'labels', ids: null });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(widget.node.querySelectorAll('.jp-VisionLens-thumb').length).toBe(0);
    expect(
      widget.node.querySelector('.jp-VisionLens-staleNote')?.textContent
    ).toBe('Stale — recompute: 1 sample deleted since it was computed.');
  });
});
