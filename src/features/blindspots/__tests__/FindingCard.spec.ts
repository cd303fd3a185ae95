import { FindingCard } from '../FindingCard';
import {
  BlindSpotVerdict,
  IBlindSpotFinding
} from '../../../api/blindSpotTypes';

const EVIL = '<img src=x onerror="window.__pwned=1">';

function finding(): IBlindSpotFinding {
  return {
    id: 'f1',
    summary: `Where object.class = ${EVIL}, objects are missed more often`,
    metric: 'recall',
    slice: [{ attribute: 'object.class', value: EVIL }],
    filter: { labels: [{ source: 'ground_truth', classes: [EVIL] }] },
    value: 0.2,
    baseline: 0.7,
    effect: -0.5,
    ci: [-0.6, -0.4],
    q: 0.0001,
    n: 80,
    evidence: [1],
    python: `vl.dataset('d').blind_spots(model='m').loc['f1']`,
    review: null
  };
}

describe('FindingCard', () => {
  it("shows a VLM attribute's kappa only when the slice rests on one", () => {
    const actions = {
      showInGrid: () => undefined,
      review: async () => undefined,
      thumbnails: () => document.createElement('div')
    };
    const plain = new FindingCard(finding(), actions);
    const none = plain.node.querySelector(
      '.jp-VisionLens-bsVlm'
    ) as HTMLElement;
    expect(none.hidden).toBe(true);
    const onVlm = { ...finding(), vlm_kappa: { 'computed.vlm_scene': 0.81 } };
    const card = new FindingCard(onVlm, actions);
    const line = card.node.querySelector('.jp-VisionLens-bsVlm') as HTMLElement;
    expect(line.hidden).toBe(false);
    expect(line.textContent).toContain('computed.vlm_scene κ 0.81');
  });

  it('renders dataset strings as text, never as HTML', () => {
    const card = new FindingCard(finding(), {
      showInGrid: () => undefined,
      review: async () => undefined,
      thumbnails: () => document.createElement('div')
    });
    expect(card.node.querySelector('img')).toBeNull();
    expect(
      card.node.querySelector('.jp-VisionLens-bsClaim')!.textContent
    ).toContain(EVIL);
  });

  it('draws the bar from the numbers and passes its own finding to the actions', async () => {
    const shown: string[] = [];
    const reviews: BlindSpotVerdict[] = [];
    const card = new FindingCard(finding(), {
      showInGrid: f => shown.push(f.id),
      review: async (_f, v) => {
        reviews.push(v);
      },
      thumbnails: () => document.createElement('div')
    });
    const fill = card.node.querySelector(
      '.jp-VisionLens-bsBarValue'
    ) as HTMLElement;
    expect(fill.style.width).toBe('20%');
    const tick = card.node.querySelector(
      '.jp-VisionLens-bsBarBaseline'
    ) as HTMLElement;
    expect(tick.style.left).toBe('70%');
    (
      card.node.querySelector('.jp-VisionLens-bsShow') as HTMLButtonElement
    ).click();
    expect(shown).toEqual(['f1']);
    (
      card.node.querySelector('.jp-VisionLens-bsConfirm') as HTMLButtonElement
    ).click();
    await new Promise(r => setTimeout(r, 0));
    expect(reviews).toEqual(['confirmed']);
    expect(card.node.dataset.review).toBe('confirmed');
  });

  it('keeps the verdict unset when storing it fails', async () => {
    const card = new FindingCard(finding(), {
      showInGrid: () => undefined,
      review: async () => {
        throw new Error('offline');
      },
      thumbnails: () => document.createElement('div')
    });
    const reject = card.node.querySelector(
      '.jp-VisionLens-bsReject'
    ) as HTMLButtonElement;
    reject.click();
    await new Promise(r => setTimeout(r, 0));
    expect(card.node.dataset.review).toBe('');
    expect(reject.disabled).toBe(false);
  });

  it('shows its evidence as thumbnails, none without evidence', () => {
    const asked: (readonly number[])[] = [];
    const actions = {
      showInGrid: () => undefined,
      review: async () => undefined,
      thumbnails: (ids: readonly number[]) => {
        asked.push(ids);
        return document.createElement('span');
      }
    };
    const f = { ...finding(), evidence: [4, 2, 9] };
    const card = new FindingCard(f, actions);
    const evidence = card.node.querySelector(
      '.jp-VisionLens-bsEvidence'
    ) as HTMLElement;
    expect(asked).toEqual([[4, 2, 9]]);
    expect(evidence.hidden).toBe(false);
    expect(evidence.querySelector('span')).not.toBeNull();

    const none = new FindingCard({ ...finding(), evidence: [] }, actions);
    expect(
      (none.node.querySelector('.jp-VisionLens-bsEvidence') as HTMLElement)
        .hidden
    ).toBe(true);
  });
});
