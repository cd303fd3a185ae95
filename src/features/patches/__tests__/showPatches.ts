/**
 * Shows a patches view in jsdom: the sizes a browser measures set on its
 * grid's scroller (1000 × 500 px: tiles of 158 px are 6 to a row), attached
 * to the document, its first page read and drawn.
 */
import { Widget } from '@lumino/widgets';

import { IPatch } from '../../../model/tokens';
import { PatchesWidget } from '../PatchesWidget';

/** A 5 × 5 px ground-truth cat of sample `annId * 10`, with `extra` fields. */
export function patchObject(
  annId: number,
  extra: Partial<IPatch> = {}
): IPatch {
  return {
    ann_id: annId,
    sample_id: annId * 10,
    source: 'ground_truth',
    label: 'cat',
    x: 0,
    y: 0,
    w: 5,
    h: 5,
    score: null,
    area: 25,
    iscrowd: false,
    attributes: {},
    file_name: 'a.jpg',
    image_width: 10,
    image_height: 10,
    bbox: [0, 0, 5, 5],
    tags: [],
    crop: null,
    ...extra
  };
}

/** The next animation frame and the promises it settles. */
export async function frame(): Promise<void> {
  await new Promise(resolve => requestAnimationFrame(resolve));
  await new Promise(resolve => setTimeout(resolve, 0));
}

/** Attach `widget`, read its first page and draw it. */
export async function showPatches(widget: PatchesWidget): Promise<void> {
  Object.defineProperty(widget.grid.node, 'clientWidth', { value: 1000 });
  Object.defineProperty(widget.grid.node, 'clientHeight', { value: 500 });
  Widget.attach(widget, document.body);
  await widget.load();
  await frame();
}

/** The tiles showing an object, in the grid's order. */
export function patchTiles(widget: PatchesWidget): HTMLElement[] {
  return [
    ...widget.node.querySelectorAll<HTMLElement>(
      '.jp-VisionLens-patch[data-ann-id]'
    )
  ].sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index));
}
