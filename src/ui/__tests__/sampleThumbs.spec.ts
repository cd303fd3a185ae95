/**
 * Thumbnails of samples (duplicate groups, blind-spot evidence): the grid's
 * image URL through the model, lazy, text alt/title, the first N and
 * "+K more", and a click that opens the sample without reaching the row.
 */
import { IVisionLensModel } from '../../model/tokens';
import { sampleThumbs, THUMB_REQUEST_SIZE } from '../sampleThumbs';

/** A model whose client only builds image URLs. */
const model = {
  client: {
    imageUrl: (dataset: string, id: number, size?: number) =>
      `/img/${dataset}/${id}?size=${size}`
  }
} as unknown as IVisionLensModel;

const EVIL = '<b>x</b>';

describe('sampleThumbs', () => {
  it('shows the first thumbnails, lazily, and counts the rest', () => {
    const row = sampleThumbs({
      model,
      dataset: EVIL,
      ids: [5, 6, 7, 8, 9],
      max: 3,
      onOpen: () => undefined
    });
    const imgs = [...row.querySelectorAll('img')];
    expect(imgs.map(img => img.dataset.sampleId)).toEqual(['5', '6', '7']);
    expect(imgs[0].getAttribute('src')).toBe(
      `/img/${EVIL}/5?size=${THUMB_REQUEST_SIZE}`
    );
    expect(imgs.every(img => img.getAttribute('loading') === 'lazy')).toBe(
      true
    );
    expect(imgs[0].alt).toBe('sample 5');
    expect(imgs[0].title).toBe('Open sample 5');
    expect(row.querySelector('b')).toBeNull();
    expect(row.querySelector('.jp-VisionLens-thumbsMore')?.textContent).toBe(
      '+2 more'
    );
  });

  it('has no "more" when every id is shown', () => {
    const row = sampleThumbs({
      model,
      dataset: 'd',
      ids: [1, 2],
      onOpen: () => undefined
    });
    expect(row.querySelectorAll('img')).toHaveLength(2);
    expect(row.querySelector('.jp-VisionLens-thumbsMore')).toBeNull();
  });

  it('opens the sample on click or Enter, not the row under it', () => {
    const opened: number[] = [];
    let rowClicks = 0;
    const parent = document.createElement('div');
    parent.addEventListener('click', () => rowClicks++);
    parent.addEventListener('keydown', () => rowClicks++);
    const row = sampleThumbs({
      model,
      dataset: 'd',
      ids: [3, 4],
      onOpen: id => opened.push(id)
    });
    parent.append(row);
    const imgs = row.querySelectorAll('img');
    imgs[1].click();
    imgs[0].dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
    );
    expect(opened).toEqual([4, 3]);
    expect(rowClicks).toBe(0);
  });
});
