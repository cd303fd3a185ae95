/**
 * "What was tested and rejected": the run's rejected tests (strongest first,
 * with the rule each failed) and the agent's unconfirmed claims, as text.
 */
import { h } from '../../base/dom';
import { rejectedTests, testLine } from './format';
import { IBlindSpotsResult } from '../../api/blindSpotTypes';

/** Fill `details` (emptied by the caller) with the list of `result`, at most `limit` tests. */
export function renderTestedList(
  details: HTMLDetailsElement,
  result: IBlindSpotsResult,
  limit: number
): void {
  const rejected = rejectedTests(result);
  details.append(
    h('summary', {
      text: `What was tested and rejected (${rejected.length.toLocaleString('en-US')})`
    })
  );
  const list = h('ul', { className: 'jp-VisionLens-bsTests' });
  for (const t of rejected.slice(0, limit)) {
    list.append(h('li', { text: testLine(t) }));
  }
  for (const r of result.rejected) {
    // the agent's claims the tools did not confirm (its words are data: text)
    const claim = typeof r.claim === 'string' ? r.claim : null;
    if (claim) {
      const reason = typeof r.reason === 'string' ? ` — ${r.reason}` : '';
      list.append(
        h('li', {
          className: 'jp-VisionLens-bsClaimRejected',
          text: `Agent claim: ${claim}${reason}`
        })
      );
    }
  }
  details.append(list);
  if (rejected.length > limit) {
    details.append(
      h('div', {
        text: `and ${(rejected.length - limit).toLocaleString('en-US')} more (the strongest are listed first)`
      })
    );
  }
}
