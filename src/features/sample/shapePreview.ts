/**
 * The selected object's shape on the edit layer: which part of it a press
 * grabs, the shape a drag of that part leaves (a polygon's vertices and
 * keypoints, `shapeEditing`; a rotated box's corners and a polyline's points,
 * `pointShapes`), and the SVG that shows it with its handles.
 */
import { IAnnotation } from '../../model/tokens';
import {
  IPointShape,
  obbRotated,
  obbWithCornerAt,
  PointHandle,
  pointHandleAt,
  pointShapeOf,
  pointsMoved,
  rotationHandle,
  withPointAt
} from './pointShapes';
import {
  isReshapable,
  polygonsOf,
  ShapeHandle,
  shapeHandleAt,
  withKeypointAt,
  withVertexAdded,
  withVertexAt
} from './shapeEditing';

const SVG = 'http://www.w3.org/2000/svg';

/** Screen pixels between a rotated box's first edge and its rotation handle. */
export const ROTATE_PX = 24;

/** What a press on a selected object's shape grabs. */
export type ShapePart = ShapeHandle | PointHandle;

/** A shape being edited: its polygons, keypoints or points as the gesture leaves them. */
export interface IShapePreview {
  polygons: number[][] | null;
  keypoints: number[] | null;
  /** A rotated box's corners or a polyline's points. */
  points: number[] | null;
}

/** Whether the edit layer edits `a`'s shape part by part (not as a box). */
export function hasShapeParts(a: IAnnotation): boolean {
  return isReshapable(a) || pointShapeOf(a) !== null;
}

/**
 * The part of `a`'s shape under `(x, y)`, or null (`slack`: a press's reach
 * and `reach`: the rotation handle's distance, in image pixels).
 */
export function shapePartAt(
  a: IAnnotation,
  x: number,
  y: number,
  slack: number,
  reach: number
): ShapePart | null {
  const points = pointShapeOf(a);
  if (points) {
    return pointHandleAt(points, x, y, slack, reach);
  }
  return isReshapable(a) ? shapeHandleAt(a, x, y, slack) : null;
}

/**
 * The shape of `object` with `part` dragged from `(x0, y0)` to `(x, y)`, or
 * null where that drag leaves no valid shape (the last one stays).
 */
export function draggedShape(
  object: IAnnotation,
  part: ShapePart,
  [x0, y0]: [number, number],
  [x, y]: [number, number],
  [width, height]: [number, number]
): IShapePreview | null {
  const none = { polygons: null, keypoints: null, points: null };
  const shape = pointShapeOf(object);
  if (shape) {
    const points = draggedPoints(shape, part, x0, y0, x, y, width, height);
    return points ? { ...none, points } : null;
  }
  if (part.kind === 'keypoint') {
    const keypoints = withKeypointAt(
      object.keypoints ?? [],
      part.point,
      x,
      y,
      width,
      height
    );
    return { ...none, keypoints };
  }
  const polygons = polygonsOf(object);
  if (!polygons) {
    return null;
  }
  if (part.kind === 'vertex') {
    const moved = withVertexAt(
      polygons,
      part.polygon,
      part.vertex,
      x,
      y,
      width,
      height
    );
    return { ...none, polygons: moved };
  }
  if (part.kind === 'edge') {
    const added = withVertexAdded(
      polygons,
      part.polygon,
      part.after,
      x,
      y,
      width,
      height
    );
    return { ...none, polygons: added };
  }
  return null;
}

function draggedPoints(
  { column, points }: IPointShape,
  part: ShapePart,
  x0: number,
  y0: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] | null {
  if (part.kind === 'body') {
    return pointsMoved(points, x - x0, y - y0, width, height);
  }
  if (part.kind === 'rotate') {
    return obbRotated(points, x0, y0, x, y, width, height);
  }
  if (part.kind !== 'point') {
    return null;
  }
  return column === 'obb'
    ? obbWithCornerAt(points, part.point, x, y, width, height)
    : withPointAt(points, part.point, x, y, width, height);
}

/**
 * The selected shape's outline, vertices, keypoints and points (the
 * preview's where one is); `scale`: screen pixels per image pixel.
 */
export function shapeParts(
  object: IAnnotation,
  preview: IShapePreview | null,
  side: number,
  scale: number
): SVGElement[] {
  const parts: SVGElement[] = [];
  const polygons = preview?.polygons ?? polygonsOf(object) ?? [];
  for (const p of polygons) {
    parts.push(outline('polygon', p));
    for (let i = 0; i < p.length; i += 2) {
      parts.push(dot(p[i], p[i + 1], side / 2, 'jp-VisionLens-editVertex'));
    }
  }
  const points = preview?.keypoints ?? object.keypoints ?? [];
  for (let i = 0; i + 2 < points.length; i += 3) {
    if (points[i + 2] === 1 || points[i + 2] === 2) {
      const handle = dot(
        points[i],
        points[i + 1],
        side / 2,
        'jp-VisionLens-editKeypoint'
      );
      handle.classList.toggle('jp-mod-hidden', points[i + 2] === 1);
      handle.dataset.point = String(i / 3);
      parts.push(handle);
    }
  }
  const shape = pointShapeOf(object);
  if (shape) {
    parts.push(...pointParts(shape.column, preview?.points ?? shape.points));
  }
  return parts;

  function pointParts(column: string, flat: number[]): SVGElement[] {
    const out: SVGElement[] = [];
    out.push(outline(column === 'obb' ? 'polygon' : 'polyline', flat));
    if (column === 'obb') {
      const [hx, hy] = rotationHandle(flat, ROTATE_PX / scale);
      const stem = document.createElementNS(SVG, 'line');
      stem.setAttribute('x1', String((flat[0] + flat[2]) / 2));
      stem.setAttribute('y1', String((flat[1] + flat[3]) / 2));
      stem.setAttribute('x2', String(hx));
      stem.setAttribute('y2', String(hy));
      stem.classList.add('jp-VisionLens-editPolygon');
      out.push(stem, dot(hx, hy, side / 2, 'jp-VisionLens-editRotate'));
    }
    for (let i = 0; i < flat.length; i += 2) {
      const handle = dot(
        flat[i],
        flat[i + 1],
        side / 2,
        'jp-VisionLens-editVertex'
      );
      handle.dataset.point = String(i / 2);
      out.push(handle);
    }
    return out;
  }
}

function outline(tag: 'polygon' | 'polyline', flat: number[]): SVGElement {
  const line = document.createElementNS(SVG, tag);
  const points: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    points.push(`${flat[i]},${flat[i + 1]}`);
  }
  line.setAttribute('points', points.join(' '));
  line.classList.add('jp-VisionLens-editPolygon');
  return line;
}

function dot(
  x: number,
  y: number,
  r: number,
  className: string
): SVGCircleElement {
  const c = document.createElementNS(SVG, 'circle');
  c.setAttribute('cx', String(x));
  c.setAttribute('cy', String(y));
  c.setAttribute('r', String(r));
  c.classList.add(className);
  return c;
}
