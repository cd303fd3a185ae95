/**
 * Scroll positions of a grid taller than a browser can lay out.
 *
 * Browsers cap an element's height (Chromium at about 33.5M px, Firefox at
 * about 17.9M px); 1M samples in rows of 200 px are taller, and the last ones
 * could never be scrolled to. Past {@link MAX_SCROLL_PX} the sizer stays at that
 * height and the scroller's `scrollTop` is mapped to a position in the
 * content: a move of up to one screen (wheel, keys, a slow drag) moves the
 * content by as many pixels, so scrolling stays smooth; a longer one (a
 * scrollbar drag, a jump) goes to the same fraction of the content; the top
 * and the bottom of the scrollbar always show the first and the last rows.
 */

/** Tallest sizer, in px: below every browser's cap. */
export const MAX_SCROLL_PX = 15_000_000;

/** Maps the scroller's `scrollTop` to the top of the content shown. */
export class ScrollMap {
  constructor(readonly maxPx = MAX_SCROLL_PX) {}

  /** The sizer's height for the current content. */
  get sizerHeight(): number {
    return Math.min(this._content, this.maxPx);
  }

  /** Whether the content is taller than the sizer (positions are mapped). */
  get scaled(): boolean {
    return this._content > this.maxPx;
  }

  /** Set the content's height and the viewport's height (px). */
  setSize(contentHeight: number, viewportHeight: number): void {
    this._content = Math.max(0, contentHeight);
    this._viewport = Math.max(1, viewportHeight);
    this._top = Math.min(this._top, this._maxTop());
  }

  /** The content position at the top of the viewport for this `scrollTop`. */
  contentTop(scrollTop: number): number {
    if (!this.scaled) {
      this._top = scrollTop;
    } else {
      const maxScroll = this.sizerHeight - this._viewport;
      const delta = scrollTop - this._scrollTop;
      if (scrollTop <= 0) {
        this._top = 0;
      } else if (scrollTop >= maxScroll - 1) {
        this._top = this._maxTop();
      } else if (Math.abs(delta) <= this._viewport) {
        this._top += delta;
      } else {
        this._top = (scrollTop / maxScroll) * this._maxTop();
      }
      this._top = Math.max(0, Math.min(this._top, this._maxTop()));
    }
    this._scrollTop = scrollTop;
    return this._top;
  }

  /**
   * The `scrollTop` that moves the content to `top` (clamped) from where it
   * is: unscaled, `top` itself; scaled, a move of up to one screen passes on
   * pixel for pixel, a longer one goes to `top`'s fraction of the content,
   * unless that `scrollTop` is itself within a screen (it would be taken for a
   * short move): then one screen towards `top`, and the caller asks again.
   */
  scrollTopFor(top: number): number {
    const target = Math.max(0, Math.min(top, this._maxTop()));
    if (!this.scaled) {
      return target;
    }
    const delta = target - this._top;
    if (Math.abs(delta) <= this._viewport) {
      return this._scrollTop + delta;
    }
    const maxScroll = this.sizerHeight - this._viewport;
    const jump = Math.round((target / this._maxTop()) * maxScroll);
    if (Math.abs(jump - this._scrollTop) > this._viewport) {
      return jump;
    }
    return this._scrollTop + Math.sign(delta) * this._viewport;
  }

  /** Back to the top (a new query). */
  reset(): void {
    this._top = 0;
    this._scrollTop = 0;
  }

  private _maxTop(): number {
    return Math.max(0, this._content - this._viewport);
  }

  private _content = 0;
  private _viewport = 1;
  private _top = 0;
  private _scrollTop = 0;
}
