/**
 * A sample's semantic and panoptic masks over its image, in the sample view
 * and on a grid tile: one picture per source that has a mask of the sample
 * (the server colours each pixel by its class, background and void
 * transparent), shown while masks are shown and its source is, half
 * transparent so that the image shows through. Each picture has the image's
 * proportions and is fitted as the image is (contained, centred).
 */
import { h } from '../../base/dom';

/** One source's mask of the sample shown. */
export interface IMaskLayer {
  source: string;
  url: string;
}

/** The masks' pictures, laid over the image at its size. */
export class SemanticMasks {
  readonly node = h('div', { className: 'jp-VisionLens-semanticMasks' });

  /** Show these masks (none: the sample has none). */
  show(layers: readonly IMaskLayer[]): void {
    const urls = layers.map(l => l.url).join('\n');
    if (urls === this._urls) {
      return;
    }
    this._urls = urls;
    this.node.replaceChildren(
      ...layers.map(({ source, url }) => {
        const img = h('img', { className: 'jp-VisionLens-semanticMask' });
        img.alt = '';
        img.draggable = false;
        img.dataset.source = source;
        img.src = url;
        return img;
      })
    );
  }

  /** Show the masks of the sources `visible` accepts, all of them only if `shown`. */
  update(shown: boolean, visible: (source: string) => boolean): void {
    for (const img of this.node.querySelectorAll('img')) {
      img.hidden = !shown || !visible(img.dataset.source ?? '');
    }
  }

  private _urls = '';
}
