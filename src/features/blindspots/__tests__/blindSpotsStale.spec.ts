/**
 * The blind-spots panel over a stored result the server calls stale (samples
 * deleted or the labels changed since the run): a "stale — recompute" note
 * with the server's reason, as text; none over a fresh result; and a delete
 * (a labels change) reads the result again.
 */
import { Signal } from '@lumino/signaling';

import { IBlindSpotsResult } from '../../../api/blindSpotTypes';
import { BlindSpotsPanel } from '../BlindSpotsPanel';

function result(extra: Partial<IBlindSpotsResult>): IBlindSpotsResult {
  return {
    dataset: 'd',
    model: 'm1',
    eval_key: 'e1',
    findings: [],
    tested: 12,
    rejected: [],
    params: { min_n: 50, fdr: 0.05 },
    ...extra
  };
}

async function panel(
  answers: IBlindSpotsResult[]
): Promise<{ widget: BlindSpotsPanel; changed: Signal<unknown, unknown> }> {
  const fake = {
    dataset: 'd',
    datasets: [{ name: 'd' }],
    datasetsChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    dataChanged: new Signal<unknown, unknown>({}),
    client: {
      listEvaluations: async () => [{ model: 'm1' }],
      listSpaces: async () => [],
      lastBlindSpots: async () => answers[0]
    }
  };
  const widget = new BlindSpotsPanel(
    fake as any,
    async () => undefined,
    () => undefined
  );
  await widget.load();
  return { widget, changed: fake.dataChanged };
}

/** Let the reload's requests (evaluations, spaces, the result) answer. */
async function settle(): Promise<void> {
  for (let k = 0; k < 10; k++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

describe('BlindSpotsPanel staleness', () => {
  it('notes a stale result with the reason; none on a fresh one; reloads after a delete', async () => {
    const fresh = result({ stale: false, stale_reason: null });
    const stale = result({
      stale: true,
      stale_reason: '<i>3</i> samples deleted since it was computed',
      samples_removed: 3,
      deleted_members: 2
    });
    // the server's answer: fresh, then stale once the samples are deleted
    const answers = [fresh];
    const { widget, changed } = await panel(answers);
    expect(widget.result?.stale).toBe(false);
    expect(widget.node.querySelector('.jp-VisionLens-staleNote')).toBeNull();
    answers[0] = stale;
    changed.emit({ dataset: 'd', kind: 'labels', ids: null });
    await settle();
    expect(widget.result?.stale).toBe(true);
    const note = widget.node.querySelector('.jp-VisionLens-staleNote');
    expect(note?.textContent).toBe(
      'Stale — recompute: <i>3</i> samples deleted since it was computed.'
    );
    expect(note?.querySelector('i')).toBeNull();
  });
});
