/**
 * One blind-spot finding as a card: the claim, its numbers, a bar of value vs
 * baseline with its interval, its evidence (thumbnails of the samples it
 * fails on most), "Show in grid", "Confirm"/"Reject" and the Python call that
 * reproduces it. Dataset strings are text, never HTML.
 */
import { button, h } from '../../base/dom';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { barGeometry, formatValue, numbersLine, vlmKappaLine } from './format';
import { BlindSpotVerdict, IBlindSpotFinding } from '../../api/blindSpotTypes';

/** What a card asks of its panel. */
export interface IFindingCardActions {
  showInGrid(finding: IBlindSpotFinding): void;
  review(finding: IBlindSpotFinding, verdict: BlindSpotVerdict): Promise<void>;
  /** Thumbnails of these samples that open them (the evidence). */
  thumbnails(ids: readonly number[]): HTMLElement;
}

/** The card of one finding (its node is the whole card). */
export class FindingCard {
  constructor(
    readonly finding: IBlindSpotFinding,
    actions: IFindingCardActions
  ) {
    const f = finding;
    this._verdict = h('span', { className: 'jp-VisionLens-bsVerdict' });
    const show = button('Show in grid', 'jp-VisionLens-bsShow', () =>
      actions.showInGrid(f)
    );
    show.title = 'Filter the grid to exactly this slice';
    const reviewButton = (label: string, verdict: BlindSpotVerdict) => {
      const b = button(label, `jp-VisionLens-bs${label}`, async () => {
        b.disabled = true;
        try {
          await actions.review(f, verdict);
          this.setReview(verdict);
        } catch {
          // not stored: the verdict stays as it was (the panel says why)
        } finally {
          b.disabled = false;
        }
      });
      return b;
    };
    const code = new CodeSnippet('jp-VisionLens-bsCode');
    code.set(f.python);
    this.node = h(
      'div',
      {
        className: 'jp-VisionLens-bsCard',
        attrs: { 'data-finding': f.id, 'data-metric': String(f.metric) }
      },
      h('div', { className: 'jp-VisionLens-bsClaim', text: f.summary }),
      h('div', { className: 'jp-VisionLens-bsNumbers', text: numbersLine(f) }),
      this._vlm(f),
      this._bar(f),
      this._evidence(f, actions),
      h(
        'div',
        { className: 'jp-VisionLens-bsActions' },
        show,
        reviewButton('Confirm', 'confirmed'),
        reviewButton('Reject', 'rejected'),
        this._verdict
      ),
      code.node
    );
    this.setReview(f.review ?? null);
  }

  readonly node: HTMLDivElement;

  /** Show the stored verdict (null: not reviewed). */
  setReview(verdict: BlindSpotVerdict | null): void {
    this.finding.review = verdict;
    this._verdict.textContent = verdict ? verdict : '';
    this.node.dataset.review = verdict ?? '';
  }

  /** The VLM attributes' kappas (hidden when the slice rests on none). */
  private _vlm(f: IBlindSpotFinding): HTMLElement {
    const line = vlmKappaLine(f);
    const node = h('div', {
      className: 'jp-VisionLens-bsVlm',
      text: line ?? ''
    });
    node.hidden = line === null;
    return node;
  }

  /** The evidence's thumbnails under a caption (nothing without evidence). */
  private _evidence(
    f: IBlindSpotFinding,
    actions: IFindingCardActions
  ): HTMLElement {
    const evidence = h(
      'div',
      { className: 'jp-VisionLens-bsEvidence' },
      h('div', {
        className: 'jp-VisionLens-bsEvidenceTitle',
        text: 'Evidence'
      }),
      actions.thumbnails(f.evidence ?? [])
    );
    evidence.hidden = !f.evidence?.length;
    return evidence;
  }

  private _bar(f: IBlindSpotFinding): HTMLElement {
    const g = barGeometry(f);
    const bar = h('div', {
      className: 'jp-VisionLens-bsBar',
      title: `slice ${formatValue(f.value)}, rest ${formatValue(f.baseline)}`
    });
    if (!g) {
      bar.hidden = true;
      return bar;
    }
    const fill = h('div', { className: 'jp-VisionLens-bsBarValue' });
    fill.style.width = `${g.value}%`;
    bar.append(fill);
    if (g.ci) {
      const ci = h('div', {
        className: 'jp-VisionLens-bsBarCi',
        title: '95% interval of the slice value (images resampled)'
      });
      ci.style.left = `${Math.min(g.ci[0], g.ci[1])}%`;
      ci.style.width = `${Math.abs(g.ci[1] - g.ci[0])}%`;
      bar.append(ci);
    }
    const tick = h('div', {
      className: 'jp-VisionLens-bsBarBaseline',
      title: 'the rest of the dataset'
    });
    tick.style.left = `${g.baseline}%`;
    bar.append(tick);
    return bar;
  }

  private _verdict: HTMLSpanElement;
}
