/**
 * A patch's crop with what `patchLabels` says it draws over it: masks and
 * keypoints on a canvas, a pair's two boxes in the SVG (the grid's label
 * drawing), and a pair's IoU written over them. The patches view's tiles and
 * the quality view's examples share it. A label-quality pair (an object and
 * the prediction it disagrees with) also writes each box's class, and the
 * prediction's score: the disagreement is what the tile is for.
 */
import { h } from '../base/dom';
import { IPatch } from '../api/patchTypes';
import { KeypointClasses } from '../model/labels';
import { patchLabels, patchPartner } from '../model/patchLabels';
import { ILabelStyle } from './labels/overlay';
import { createLabelLayers, drawSampleLabels } from './labels/sampleLabels';

/** Whether `patch` is drawn with the object a label-quality run says it disagrees with. */
export function isConflictPair(patch: IPatch): boolean {
  return !patch.status && !!patch.lq_flagged && patchPartner(patch) !== null;
}

/**
 * `img` (the crop of `patch`, `size` CSS px on its longest side) and over it
 * the patch's labels; `img` alone when there is nothing to draw.
 */
export function patchCrop(
  img: HTMLImageElement,
  patch: IPatch,
  style: ILabelStyle,
  size: number,
  keypointClasses: KeypointClasses = new Map()
): HTMLElement {
  const labels = patchLabels(patch);
  if (!labels) {
    return img;
  }
  const layers = createLabelLayers();
  const box = h(
    'div',
    { className: 'jp-VisionLens-patchImage' },
    img,
    layers.canvas,
    layers.svg
  );
  const iou = patchPartner(patch)?.iou;
  if (labels.annotations.length > 1 && typeof iou === 'number') {
    // a pair: how well the two boxes agree, written over them
    box.append(
      h('div', {
        className: 'jp-VisionLens-tileScore jp-VisionLens-patchIoU',
        text: `IoU ${iou.toFixed(2)}`
      })
    );
  }
  const conflict = isConflictPair(patch);
  if (conflict) {
    box.classList.add('jp-mod-conflict');
  }
  const ratio = window.devicePixelRatio || 1;
  const { width, height, region, annotations, shown } = labels;
  const draw = (): void => {
    drawSampleLabels(
      layers,
      style,
      { width, height, annotations },
      {
        displaySize: size,
        strokeWidth: 1.5,
        evalColours: true,
        labels: conflict,
        region,
        shown,
        keypointClasses,
        layout: { cssWidth: size, cssHeight: size, pixelRatio: ratio },
        compact: true,
        maskStep: Math.max(
          1,
          Math.floor(Math.max(region[2], region[3]) / (size * ratio))
        ),
        onMaskReady: () => {
          if (box.isConnected) {
            draw();
          }
        }
      }
    );
  };
  draw();
  return box;
}
