/**
 * The patches view's tiles in the generic virtual grid: an object's crop with
 * its labels drawn over it (`patchCrop`) and its caption, written as text
 * (dataset text is never HTML). Selection (`jp-mod-selected`,
 * `aria-selected`), focus and placement are the grid's.
 */
import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { KeypointClasses } from '../../model/labels';
import { regionCaption, regionTitle } from '../../model/regionPatches';
import { IPatch } from '../../model/tokens';
import { ILabelStyle } from '../../ui/labels/overlay';
import { patchCrop } from '../../ui/patchCrop';
import { ITileRenderer } from '../../ui/virtualGrid/VirtualGrid';

/** A tile's crop, CSS pixels (its longest side; the crop route's size). */
export const PATCH_CROP = 128;

/** A tile's size asked of the grid: the crop, a line of caption, padding and border. */
export const PATCH_TILE = PATCH_CROP + 30;

/**
 * The text under a tile: class, score, evaluation status, label issue, tags;
 * a region's: its class against the model's, score and size.
 */
export function patchCaption(patch: IPatch): string {
  const region = regionCaption(patch);
  if (region !== null) {
    return region;
  }
  const parts = [patch.label];
  if (patch.score !== null && patch.score !== undefined) {
    parts.push(patch.score.toFixed(2));
  }
  if (patch.status) {
    const iou =
      patch.iou === null || patch.iou === undefined
        ? ''
        : ` ${patch.iou.toFixed(2)}`;
    parts.push(`${patch.status.toUpperCase()}${iou}`);
  }
  if (patch.lq_flagged && patch.lq_issue) {
    parts.push(patch.lq_issue.replace('_', ' '));
  }
  parts.push(...(patch.tags ?? []).map(t => `#${t}`));
  return parts.join(' · ');
}

/** What the tiles need from the view. */
export interface IPatchTileOptions {
  /** The crop's URL (of the browsed version, with its pair's). */
  cropUrl: (patch: IPatch, size: number) => string;
  /** The grid's class colours. */
  style: ILabelStyle;
  /** The dataset's skeletons (read at each fill: they arrive later). */
  keypointClasses: () => KeypointClasses;
}

/** A patch tile: the row it drew, with the skeletons it drew it with. */
export interface IPatchTileEl extends HTMLDivElement {
  _patch?: IPatch;
  _classes?: KeypointClasses;
}

/** Draws patches into the grid's cells. */
export class PatchTileRenderer implements ITileRenderer<IPatch, IPatchTileEl> {
  constructor(private readonly _o: IPatchTileOptions) {}

  create(cell: HTMLDivElement): IPatchTileEl {
    cell.classList.add('jp-VisionLens-patch');
    return cell;
  }

  fill(tile: IPatchTileEl, patch: IPatch | null): void {
    const classes = this._o.keypointClasses();
    if (patch && tile._patch === patch && tile._classes === classes) {
      return; // a selection change: the grid updated the tile's state, the crop stays
    }
    tile.classList.remove('jp-mod-tp', 'jp-mod-fp', 'jp-mod-fn');
    tile._patch = patch ?? undefined;
    tile._classes = classes;
    if (!patch) {
      delete tile.dataset.annId;
      tile.removeAttribute('title');
      tile.removeAttribute('aria-label');
      tile.replaceChildren();
      return;
    }
    tile.dataset.annId = String(patch.ann_id);
    tile.title =
      regionTitle(patch) ?? `${patch.file_name} (object ${patch.ann_id})`;
    const caption = patchCaption(patch);
    tile.setAttribute('aria-label', visibleText(caption));
    if (patch.status) {
      tile.classList.add(`jp-mod-${patch.status}`);
    }
    const img = h('img', {
      attrs: {
        src: this._o.cropUrl(patch, PATCH_CROP),
        alt: '',
        loading: 'lazy'
      }
    });
    img.draggable = false;
    tile.replaceChildren(
      patchCrop(img, patch, this._o.style, PATCH_CROP, classes),
      h('div', {
        className: 'jp-VisionLens-patchCaption',
        text: visibleText(caption)
      })
    );
  }
}
