/**
 * The hover card of the grid: file name, label counts by type, box classes,
 * tags and the visible fields of the sample under the pointer.
 */
import { h } from '../../base/dom';
import { ISample, IVisionLensModel } from '../../model/tokens';
import { fillTooltip } from './tiles';

/** Width of the card as laid out in style/grid.css, in px. */
const CARD_WIDTH = 260;
/** Height assumed for the card before it is laid out (jsdom), in px. */
const CARD_HEIGHT = 100;

/** One tooltip element, positioned inside its host widget. */
export class GridTooltip {
  constructor(private readonly _model: IVisionLensModel) {
    this.node = h('div', { className: 'jp-VisionLens-tooltip' });
    this.node.hidden = true;
  }

  readonly node: HTMLDivElement;

  /** Show the card of `sample` next to its tile (no-op if already shown). */
  show(host: HTMLElement, tile: HTMLElement, sample: ISample): void {
    if (this._shownFor === sample.sample_id && !this.node.hidden) {
      return;
    }
    this._shownFor = sample.sample_id;
    this.node.dataset.sampleId = String(sample.sample_id);
    fillTooltip(this.node, this._model, sample);
    const box = host.getBoundingClientRect();
    const rect = tile.getBoundingClientRect();
    this.node.hidden = false;
    const left = Math.min(rect.left - box.left, box.width - CARD_WIDTH);
    this.node.style.left = `${Math.max(0, left)}px`;
    // Its lines vary (label types, tags, fields): flip it by its own height.
    const height = this.node.offsetHeight || CARD_HEIGHT;
    const below = rect.bottom - box.top + 4;
    this.node.style.top = `${below + height > box.height ? rect.top - box.top - height - 4 : below}px`;
  }

  hide(): void {
    this.node.hidden = true;
    this._shownFor = null;
  }

  private _shownFor: number | null = null;
}
