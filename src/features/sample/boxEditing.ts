/**
 * The geometry of editing boxes on the sample stage, in image pixels: which
 * object a click picks, which handle of a box a press grabs, the box after a
 * drag, a drawn box, and the operations an edit sends.
 */
import {
  EditBox,
  EditOperation,
  GROUND_TRUTH,
  IAnnotation
} from '../../model/tokens';
import { maskOf } from '../../model/labelShapes';
import { pointsExtent } from './pointShapes';
import { maskRuns, runsExtent } from '../../ui/labels/rle';

/** What a press on a selected box grabs: a corner, an edge, or the whole box. */
export type BoxHandle =
  'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w' | 'move';

/** The eight resize handles, with their position as fractions of the box. */
export const HANDLES: ReadonlyArray<[BoxHandle, number, number]> = [
  ['nw', 0, 0],
  ['n', 0.5, 0],
  ['ne', 1, 0],
  ['e', 1, 0.5],
  ['se', 1, 1],
  ['s', 0.5, 1],
  ['sw', 0, 1],
  ['w', 0, 0.5]
];

/** Smallest side of a box drawn or resized, in image pixels. */
export const MIN_SIDE = 2;

/**
 * Whether an object can be moved and resized as a box (one without a mask,
 * keypoints, rotated box or polyline: the server's `move` refuses those).
 */
export function isMovable(a: IAnnotation): boolean {
  const mask = a.segmentation !== undefined && a.segmentation !== null;
  const points = Array.isArray(a.obb) || Array.isArray(a.polyline);
  return !mask && !a.keypoints?.length && !points;
}

/**
 * What the edit row says of a selected object that cannot be moved or resized
 * (null for a plain box): how its shape is edited instead, since a drag of
 * the object itself does nothing and without a word that reads as editing
 * being broken (issue #47).
 */
export function shapeHint(a: IAnnotation): string | null {
  if (isMovable(a)) {
    return null;
  }
  const ways: string[] = [];
  const mask = a.segmentation ? maskOf(a.segmentation) : null;
  if (mask?.kind === 'polygons') {
    ways.push(
      'drag a vertex to move it, an edge to add one, Alt-click a vertex to delete it'
    );
  } else if (mask) {
    ways.push(
      'its mask is painted with the Brush (U) and the Eraser (E), or redrawn with Click to mask (Shift+Enter)'
    );
  }
  if (a.keypoints?.length) {
    ways.push('drag a keypoint, Alt-click one to show or hide it');
  }
  if (Array.isArray(a.obb)) {
    ways.push(
      'drag a corner to resize it (the angle stays), the round handle to rotate it, inside it to move it'
    );
  }
  if (Array.isArray(a.polyline)) {
    ways.push(
      'drag a point to move it, the line to move all of it; Alt-click a point to delete it, the line to add one'
    );
  }
  const actions =
    a.source === GROUND_TRUTH
      ? 'Relabel or Delete it'
      : 'Accept, Relabel or Delete it';
  return `${capitalized(ways.join('; '))}. ${actions}.`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The objects under `(x, y)` (their boxes within `slack` pixels), in the
 * order clicks pick them: the smallest box first, so that a small box inside
 * a large one can be picked, and ground truth before a prediction of the same
 * box (a click again on the same spot picks the next one).
 */
export function objectsAt(
  objects: readonly IAnnotation[],
  x: number,
  y: number,
  slack: number
): IAnnotation[] {
  const area = (a: IAnnotation) => a.bbox[2] * a.bbox[3];
  const truth = (a: IAnnotation) => (a.source === GROUND_TRUTH ? 0 : 1);
  return objects
    .filter(({ bbox: [bx, by, bw, bh] }) => {
      return (
        x >= bx - slack &&
        x <= bx + bw + slack &&
        y >= by - slack &&
        y <= by + bh + slack
      );
    })
    .sort((a, b) => area(a) - area(b) || truth(a) - truth(b));
}

/** The object a click at `(x, y)` picks (the first of `objectsAt`), or null. */
export function objectAt(
  objects: readonly IAnnotation[],
  x: number,
  y: number,
  slack: number
): IAnnotation | null {
  return objectsAt(objects, x, y, slack)[0] ?? null;
}

/**
 * The object a click at `(x, y)` on the selected object `selected` picks:
 * the next one under the point (back to the first after the last).
 */
export function nextObjectAt(
  objects: readonly IAnnotation[],
  selected: IAnnotation,
  x: number,
  y: number,
  slack: number
): IAnnotation {
  const under = objectsAt(objects, x, y, slack);
  const at = under.findIndex(a => a.ann_id === selected.ann_id);
  return under.length > 1 ? under[(at + 1) % under.length] : selected;
}

/**
 * The handle of `box` under `(x, y)` (`slack`: the handles' reach in image
 * pixels), `move` inside the box, null outside.
 */
export function handleAt(
  box: EditBox,
  x: number,
  y: number,
  slack: number
): BoxHandle | null {
  const [bx, by, bw, bh] = box;
  for (const [handle, fx, fy] of HANDLES) {
    if (
      Math.abs(x - (bx + fx * bw)) <= slack &&
      Math.abs(y - (by + fy * bh)) <= slack
    ) {
      return handle;
    }
  }
  return x >= bx && x <= bx + bw && y >= by && y <= by + bh ? 'move' : null;
}

/**
 * `box` after dragging `handle` by `(dx, dy)`, inside the `width` x `height`
 * image: a moved box keeps its size; a resized one keeps the opposite edges,
 * and edges dragged past each other swap; no side smaller than `MIN_SIDE`.
 */
export function dragBox(
  box: EditBox,
  handle: BoxHandle,
  dx: number,
  dy: number,
  width: number,
  height: number
): EditBox {
  const [x, y, w, h] = box;
  if (handle === 'move') {
    const nx = clamp(x + dx, 0, Math.max(0, width - w));
    const ny = clamp(y + dy, 0, Math.max(0, height - h));
    return rounded([nx, ny, w, h]);
  }
  let [x0, y0, x1, y1] = [x, y, x + w, y + h];
  if (handle.includes('w')) {
    x0 += dx;
  }
  if (handle.includes('e')) {
    x1 += dx;
  }
  if (handle.includes('n')) {
    y0 += dy;
  }
  if (handle.includes('s')) {
    y1 += dy;
  }
  return spanBox(x0, y0, x1, y1, width, height);
}

/**
 * The box spanned by two corners, inside the `width` x `height` image, or
 * null when a side is under `MIN_SIDE` (a click, not a drawn box).
 */
export function drawnBox(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  width: number,
  height: number
): EditBox | null {
  const box = spanBox(x0, y0, x1, y1, width, height);
  return Math.abs(x1 - x0) < MIN_SIDE || Math.abs(y1 - y0) < MIN_SIDE
    ? null
    : box;
}

function spanBox(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  width: number,
  height: number
): EditBox {
  const left = clamp(Math.min(x0, x1), 0, width - MIN_SIDE);
  const top = clamp(Math.min(y0, y1), 0, height - MIN_SIDE);
  const right = clamp(Math.max(x0, x1), left + MIN_SIDE, width);
  const bottom = clamp(Math.max(y0, y1), top + MIN_SIDE, height);
  return rounded([left, top, right - left, bottom - top]);
}

/** Whether two boxes are the same to a hundredth of a pixel. */
export function sameBox(a: EditBox, b: EditBox): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) < 0.005);
}

/** The operation moving `a` to `box`, refused if `a` changed since it was read. */
export function moveOperation(a: IAnnotation, box: EditBox): EditOperation {
  return {
    op: 'move',
    annotation_id: a.ann_id,
    bbox: box,
    expected: { bbox: a.bbox }
  };
}

/** The operation deleting `a`, refused if it changed since it was read. */
export function deleteOperation(a: IAnnotation): EditOperation {
  return {
    op: 'delete',
    annotation_id: a.ann_id,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/** The operation relabelling `a`, refused if it changed since it was read. */
export function relabelOperation(a: IAnnotation, label: string): EditOperation {
  return {
    op: 'relabel',
    annotation_id: a.ann_id,
    label,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/** The operation making prediction `a` a ground-truth object. */
export function acceptOperation(a: IAnnotation): EditOperation {
  return {
    op: 'accept',
    annotation_id: a.ann_id,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/**
 * `a` as a saved batch of `operations` left it (its moves and relabels), for
 * the edit after it: until the sample is read again, an edit of the same
 * object must expect what the server now has, not what was read before.
 */
export function afterSaved(
  a: IAnnotation,
  operations: readonly EditOperation[]
): IAnnotation {
  let now = a;
  for (const op of operations) {
    const ids =
      'annotation_id' in op
        ? [op.annotation_id]
        : 'annotation_ids' in op
          ? op.annotation_ids
          : [];
    if (!ids.includes(a.ann_id)) {
      continue;
    }
    if (op.op === 'move') {
      now = { ...now, bbox: op.bbox };
    } else if (op.op === 'relabel') {
      now = { ...now, label: op.label };
    } else if (op.op === 'reshape' && 'obb' in op) {
      now = { ...now, obb: op.obb, bbox: pointsExtent(op.obb) };
    } else if (op.op === 'reshape' && 'polyline' in op) {
      now = { ...now, polyline: op.polyline, bbox: pointsExtent(op.polyline) };
    } else if (op.op === 'reshape' && Array.isArray(op.segmentation)) {
      const polygons = op.segmentation as number[][];
      now = { ...now, segmentation: polygons, bbox: extentOf(polygons) };
    } else if (
      (op.op === 'mask' || op.op === 'reshape') &&
      'segmentation' in op &&
      op.segmentation
    ) {
      // a brushed RLE: the next stroke starts from it before the sample is read again
      now = {
        ...now,
        segmentation: op.segmentation,
        bbox: brushedBox(now, op)
      };
    } else if (op.op === 'keypoints') {
      now = { ...now, keypoints: op.keypoints };
    }
  }
  return now;
}

/** The box after a `mask` (kept) or an RLE `reshape` (the mask's extent, as the server's). */
function brushedBox(
  a: IAnnotation,
  op: { op: 'mask' | 'reshape'; segmentation?: unknown }
): EditBox {
  const mask = op.op === 'reshape' ? maskOf(op.segmentation) : null;
  const runs = mask?.kind === 'rle' ? maskRuns(mask) : null;
  return (
    (mask?.kind === 'rle' &&
      runs &&
      runsExtent(runs, mask.height, mask.width)) ||
    a.bbox
  );
}

/** The box of `polygons`, as the server takes a reshaped polygon's (their own extent). */
function extentOf(polygons: readonly number[][]): EditBox {
  const xs = polygons.flatMap(p => p.filter((_, i) => i % 2 === 0));
  const ys = polygons.flatMap(p => p.filter((_, i) => i % 2 === 1));
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

function rounded(box: EditBox): EditBox {
  return box.map(v => Math.round(v * 100) / 100) as EditBox;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}
