/**
 * A row of small sample thumbnails (duplicate groups, blind-spot evidence):
 * the grid's thumbnail URL through the model, loaded lazily (a panel may list
 * hundreds of groups), the sample id as alt text and title, and a click or
 * Enter that opens the sample. A long list shows its first thumbnails and
 * "+K more".
 */
import { h } from '../base/dom';
import { imageUrl } from '../model/sources/samples';
import { IVisionLensModel } from '../model/tokens';

/** Thumbnails shown at most per row unless told otherwise. */
export const MAX_THUMBS = 6;
/** Size (px) asked of the server: the grid's, so the browser cache serves both. */
export const THUMB_REQUEST_SIZE = 256;

/** What a row of thumbnails shows and what a click does. */
export interface ISampleThumbsOptions {
  model: IVisionLensModel;
  /** The dataset the ids belong to. */
  dataset: string;
  ids: readonly number[];
  /** Open the sample (the sample view, as a double-click in the grid). */
  onOpen: (sampleId: number) => void;
  /** Thumbnails shown at most; the rest are counted as "+K more". */
  max?: number;
}

/** The thumbnails of `ids` in one row (`.jp-VisionLens-thumbs`). */
export function sampleThumbs(options: ISampleThumbsOptions): HTMLDivElement {
  const { model, dataset, ids, onOpen } = options;
  const max = Math.max(0, options.max ?? MAX_THUMBS);
  const shown = ids.slice(0, max);
  const row = h('div', { className: 'jp-VisionLens-thumbs' });
  for (const id of shown) {
    const img = h('img', {
      className: 'jp-VisionLens-thumb',
      title: `Open sample ${id}`,
      attrs: {
        alt: `sample ${id}`,
        loading: 'lazy',
        decoding: 'async',
        role: 'button',
        'data-sample-id': String(id)
      }
    });
    img.tabIndex = 0;
    img.src = imageUrl(model, dataset, id, THUMB_REQUEST_SIZE);
    // The thumbnail sits in a clickable row (a group selects its samples):
    // opening one sample must not also do what the row does.
    img.addEventListener('click', event => {
      event.stopPropagation();
      onOpen(id);
    });
    img.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        event.stopPropagation();
        onOpen(id);
      }
    });
    row.append(img);
  }
  const more = ids.length - shown.length;
  if (more > 0) {
    row.append(
      h('span', {
        className: 'jp-VisionLens-thumbsMore',
        text: `+${more.toLocaleString('en-US')} more`
      })
    );
  }
  return row;
}
