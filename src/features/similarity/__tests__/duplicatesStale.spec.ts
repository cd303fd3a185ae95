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

async function panel(answer: IDuplicatesResult): Promise<DuplicatesPanel> {
  const fake = {
    dataset: 'd',
    datasetChanged: new Signal<unknown, unknown>({}),
    setSelection: () => undefined,
    client: {
      lastDuplicates: async () => answer,
      imageUrl: (_: string, id: number) => `img/${id}`
    }
  };
  const widget = new DuplicatesPanel(fake as any, () => undefined);
  await widget.load();
  return widget;
}

describe('DuplicatesPanel staleness', () => {
  it('notes a stale result with the reason, as text', async () => {
    const widget = await panel(
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
    const widget = await panel(
      result({ stale: false, stale_reason: null, samples_removed: 0 })
    );
    expect(widget.node.querySelector('.jp-VisionLens-staleNote')).toBeNull();
    expect(widget.node.textContent).not.toContain('Stale');
  });
});
