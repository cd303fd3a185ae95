/**
 * A numeric facet: histogram bars with a range brush (drag across the bars)
 * and min / max inputs.
 */
import { INumericFacet, IRange } from '../../model/tokens';
import { h } from '../../base/dom';
import { countText, FacetUnit } from './facetUnits';

/**
 * Numeric facet editor; calls `onChange` with the new range (or null). Counts
 * are shown in the facet's `unit` (samples, objects...).
 */
export class Histogram {
  constructor(
    private facet: INumericFacet,
    unit: FacetUnit,
    private range: IRange | null,
    private onChange: (range: IRange | null) => void
  ) {
    this.node = h('div', { className: 'jp-VisionLens-numeric' });
    const bins = facet.histogram;
    const lo = facet.min ?? 0;
    const hi = facet.max ?? 0;
    // The brush spans the data range, widened to the active range if needed.
    this._lo = Math.min(lo, range?.min ?? lo);
    this._hi = Math.max(hi, range?.max ?? hi);
    const max = Math.max(1, ...bins.map(b => b.count));
    this._bars = h('div', { className: 'jp-VisionLens-bars' });
    for (const b of bins) {
      const bar = h('div', {
        className: 'jp-VisionLens-bar',
        title: `${fmt(b.lo)} – ${fmt(b.hi)}: ${countText(b.count, unit)}`
      });
      bar.style.height = `${Math.max(b.count > 0 ? 4 : 0, (100 * b.count) / max)}%`;
      const inRange =
        !range ||
        ((range.min === undefined || b.hi >= range.min) &&
          (range.max === undefined || b.lo <= range.max));
      bar.classList.toggle('jp-mod-out', !inRange);
      this._bars.appendChild(bar);
    }
    this._brush = h('div', { className: 'jp-VisionLens-brush' });
    this._bars.appendChild(this._brush);
    this._showBrush(range);
    this._bars.addEventListener('pointerdown', this);
    this._bars.addEventListener('pointermove', this);
    this._bars.addEventListener('pointerup', this);

    this._min = numberInput('min', range?.min, lo);
    this._max = numberInput('max', range?.max, hi);
    const apply = () => {
      const r: IRange = {};
      if (this._min.value !== '') {
        r.min = Number(this._min.value);
      }
      if (this._max.value !== '') {
        r.max = Number(this._max.value);
      }
      this.onChange(r.min === undefined && r.max === undefined ? null : r);
    };
    this._min.addEventListener('change', apply);
    this._max.addEventListener('change', apply);
    const clear = h('button', {
      className: 'jp-VisionLens-chipClose',
      text: '×',
      title: 'Clear this range'
    });
    clear.type = 'button';
    clear.hidden = !range;
    clear.addEventListener('click', () => this.onChange(null));
    this.node.append(
      this._bars,
      h(
        'div',
        { className: 'jp-VisionLens-rangeInputs' },
        this._min,
        h('span', { text: '–' }),
        this._max,
        h('span', {
          className: 'jp-VisionLens-valueCount',
          text: countText(facet.count, unit)
        }),
        clear
      )
    );
  }

  readonly node: HTMLDivElement;

  handleEvent(event: Event): void {
    const e = event as PointerEvent;
    if (this.facet.count === 0 || this._hi <= this._lo) {
      return;
    }
    if (e.type === 'pointerdown') {
      this._dragFrom = this._valueAt(e.clientX);
      this._bars.setPointerCapture(e.pointerId);
    } else if (e.type === 'pointermove' && this._dragFrom !== null) {
      const v = this._valueAt(e.clientX);
      this._showBrush({
        min: Math.min(v, this._dragFrom),
        max: Math.max(v, this._dragFrom)
      });
    } else if (e.type === 'pointerup' && this._dragFrom !== null) {
      const v = this._valueAt(e.clientX);
      const from = this._dragFrom;
      this._dragFrom = null;
      if (Math.abs(v - from) < (this._hi - this._lo) / 200) {
        this._showBrush(this.range);
        return;
      }
      this.onChange({
        min: round(Math.min(v, from)),
        max: round(Math.max(v, from))
      });
    }
  }

  private _valueAt(clientX: number): number {
    const rect = this._bars.getBoundingClientRect();
    const t = Math.min(
      1,
      Math.max(0, (clientX - rect.left) / Math.max(1, rect.width))
    );
    return this._lo + t * (this._hi - this._lo);
  }

  private _showBrush(range: IRange | null): void {
    if (!range || this._hi <= this._lo) {
      this._brush.hidden = true;
      return;
    }
    const span = this._hi - this._lo;
    const a = ((range.min ?? this._lo) - this._lo) / span;
    const b = ((range.max ?? this._hi) - this._lo) / span;
    this._brush.hidden = false;
    this._brush.style.left = `${Math.max(0, a) * 100}%`;
    this._brush.style.width = `${Math.max(0.5, (Math.min(1, b) - Math.max(0, a)) * 100)}%`;
  }

  private _lo: number;
  private _hi: number;
  private _bars: HTMLDivElement;
  private _brush: HTMLDivElement;
  private _min: HTMLInputElement;
  private _max: HTMLInputElement;
  private _dragFrom: number | null = null;
}

function numberInput(
  label: string,
  value: number | undefined,
  placeholder: number
): HTMLInputElement {
  const input = h('input', {
    className: 'jp-VisionLens-rangeInput jp-mod-styled',
    attrs: {
      type: 'number',
      step: 'any',
      'aria-label': label,
      placeholder: fmt(placeholder)
    }
  });
  input.dataset.bound = label;
  if (value !== undefined) {
    input.value = String(value);
  }
  return input;
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
