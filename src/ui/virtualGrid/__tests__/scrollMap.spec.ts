import { MAX_SCROLL_PX, ScrollMap } from '../scrollMap';

/** 1M samples, 6 per row of 204 px: about 34M px, past Chromium's cap. */
const CONTENT = Math.ceil(1_000_000 / 6) * 204 + 6;
const VIEWPORT = 700;

describe('ScrollMap.scrollTopFor', () => {
  it('is the content position itself while the content fits', () => {
    const map = new ScrollMap();
    map.setSize(2_000_000, VIEWPORT);
    expect(map.scrollTopFor(1_234_567)).toBe(1_234_567);
    expect(map.scrollTopFor(5_000_000)).toBe(2_000_000 - VIEWPORT);
    expect(map.scrollTopFor(-5)).toBe(0);
  });

  it('reaches any content position of a scaled grid, jumps included', () => {
    const map = new ScrollMap();
    map.setSize(CONTENT, VIEWPORT);
    map.contentTop(0);
    // from the top, to far positions, back near the top, to short moves
    for (const target of [
      20_000_000,
      CONTENT - VIEWPORT,
      1500,
      1000,
      15_000_000,
      15_000_400
    ]) {
      let top = -1;
      for (let tries = 0; tries < 8 && Math.abs(top - target) > 3; tries++) {
        top = map.contentTop(map.scrollTopFor(target));
      }
      expect(Math.abs(top - target)).toBeLessThanOrEqual(3);
    }
  });
});

describe('ScrollMap', () => {
  it('is the identity while the content fits under the cap', () => {
    const map = new ScrollMap();
    map.setSize(2_000_000, VIEWPORT);
    expect(map.scaled).toBe(false);
    expect(map.sizerHeight).toBe(2_000_000);
    for (const top of [0, 123, 1_500_000, 123]) {
      expect(map.contentTop(top)).toBe(top);
    }
  });

  it('caps the sizer and maps both ends of the scrollbar to both ends of the content', () => {
    const map = new ScrollMap();
    map.setSize(CONTENT, VIEWPORT);
    expect(map.scaled).toBe(true);
    expect(map.sizerHeight).toBe(MAX_SCROLL_PX);
    const maxScroll = MAX_SCROLL_PX - VIEWPORT;
    expect(map.contentTop(maxScroll)).toBe(CONTENT - VIEWPORT);
    expect(map.contentTop(0)).toBe(0);
  });

  it('moves the content by as many px for a wheel step, proportionally for a jump', () => {
    const map = new ScrollMap();
    map.setSize(CONTENT, VIEWPORT);
    const maxScroll = MAX_SCROLL_PX - VIEWPORT;
    const half = map.contentTop(maxScroll / 2);
    expect(half).toBeCloseTo((CONTENT - VIEWPORT) / 2, 0);
    // Small steps (wheel, arrow keys): 1:1, both ways.
    expect(map.contentTop(maxScroll / 2 + 100)).toBeCloseTo(half + 100, 6);
    expect(map.contentTop(maxScroll / 2 + 100 + VIEWPORT)).toBeCloseTo(
      half + 100 + VIEWPORT,
      6
    );
    expect(map.contentTop(maxScroll / 2)).toBeCloseTo(half, 6);
    // A jump of more than a screen: the same fraction of the content.
    expect(map.contentTop(maxScroll / 4)).toBeCloseTo(
      (CONTENT - VIEWPORT) / 4,
      0
    );
  });

  it('keeps the position inside the content when it shrinks, and resets to the top', () => {
    const map = new ScrollMap();
    map.setSize(CONTENT, VIEWPORT);
    map.contentTop(MAX_SCROLL_PX - VIEWPORT);
    map.setSize(MAX_SCROLL_PX * 2, VIEWPORT);
    expect(map.contentTop(MAX_SCROLL_PX - VIEWPORT)).toBe(
      MAX_SCROLL_PX * 2 - VIEWPORT
    );
    map.reset();
    expect(map.contentTop(0)).toBe(0);
  });
});
