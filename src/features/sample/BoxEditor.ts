/**
 * The edit layer of the sample stage: an SVG over the image (image pixels)
 * that shows the selected object with its handles and the box being drawn,
 * and turns presses into edits: a click selects the object under it, a drag
 * of the selected box moves it, of a handle resizes it, and with the draw
 * tool a drag draws a new box. A selected polygon mask shows its vertices
 * (drag one, drag an edge to add one, Alt-click one to delete it) and selected
 * keypoints can be dragged (Alt-click: visible or hidden). A selected rotated
 * box shows its corners (drag: resize at the same angle) and a rotation handle,
 * a selected polyline its points (Alt-click one to delete it, the line to add
 * one there); a drag inside either moves it. It only says
 * what the user did (`IBoxEdits`); the sample view sends the operations.
 */
import { EditBox, IAnnotation } from '../../model/tokens';
import {
  BoxHandle,
  dragBox,
  drawnBox,
  handleAt,
  HANDLES,
  isMovable,
  nextObjectAt,
  objectAt,
  sameBox
} from './boxEditing';
import { IStagePointer, IStagePress, StageTool } from './stagePointer';
import { PointColumn, pointShapeOf, samePoints } from './pointShapes';
import { fitLayer, polylineAltClick } from './shapeDrawing';
import {
  polygonsOf,
  withoutVertex,
  withVisibilityToggled
} from './shapeEditing';
import {
  draggedShape,
  hasShapeParts,
  IShapePreview,
  ROTATE_PX,
  ShapePart,
  shapePartAt,
  shapeParts
} from './shapePreview';

const SVG = 'http://www.w3.org/2000/svg';

/** Screen pixels of a handle's side, and of the reach of a press. */
const HANDLE_PX = 8;

/** What the edit layer reads and tells. */
export interface IBoxEdits {
  /** The objects drawn now (those a click may pick). */
  objects(): readonly IAnnotation[];
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** The selection changed (null: nothing selected). */
  selected(object: IAnnotation | null): void;
  /** The selected box was dragged to `box`. */
  moved(object: IAnnotation, box: EditBox): void;
  /** A new box was drawn. */
  drawn(box: EditBox): void;
  /** The selected object's polygons were reshaped to `polygons`. */
  reshaped(object: IAnnotation, polygons: number[][]): void;
  /** The selected object's keypoints became `points` (COCO's flat list). */
  keypointsChanged(object: IAnnotation, points: number[]): void;
  /** Say why a gesture on the selected object did nothing. */
  say(text: string): void;
  /** The selected rotated box's corners or polyline's points became `points`. */
  pointsChanged(
    object: IAnnotation,
    column: PointColumn,
    points: number[]
  ): void;
}

type Gesture =
  | {
      kind: 'drag';
      object: IAnnotation;
      handle: BoxHandle;
      x: number;
      y: number;
      /** Selected before the press (a click on it then picks the object beneath). */
      again: boolean;
    }
  | { kind: 'draw'; x: number; y: number }
  | {
      kind: 'shape';
      object: IAnnotation;
      handle: ShapePart;
      x: number;
      y: number;
    };

/** The selected object's outline and handles, and the box a drag makes. */
export class BoxEditor implements IStagePointer {
  constructor(edits: IBoxEdits) {
    this._edits = edits;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-editLayer');
  }

  /** The layer (the stage puts it over the image). */
  readonly node: SVGSVGElement;

  /** The selected object, if any. */
  get selection(): IAnnotation | null {
    return this._selection;
  }

  /** Select `object` (null: none) and say so. */
  select(object: IAnnotation | null): void {
    this._selection = object;
    this._preview = null;
    this._shape = null;
    this.render(this._scale);
    this._edits.selected(object);
  }

  /** The objects were read again: keep the selection on the same object, if it is still there. */
  refresh(): void {
    const id = this._selection?.ann_id;
    const again = this._edits.objects().find(a => a.ann_id === id) ?? null;
    this.select(again);
  }

  down(x: number, y: number, tool: StageTool, press?: IStagePress): boolean {
    const slack = HANDLE_PX / this._scale;
    if (tool === 'draw') {
      this._gesture = { kind: 'draw', x, y };
      return true;
    }
    const selected = this._selection;
    const reach = ROTATE_PX / this._scale;
    const part = selected && shapePartAt(selected, x, y, slack, reach);
    if (selected && part) {
      if (press?.altKey) {
        this._altPress(selected, part, x, y, slack);
        return false;
      }
      this._gesture = { kind: 'shape', object: selected, handle: part, x, y };
      this._shape = null;
      return true;
    }
    const handle =
      selected && isMovable(selected)
        ? handleAt(selected.bbox, x, y, slack)
        : null;
    if (selected && handle) {
      this._gesture = {
        kind: 'drag',
        object: selected,
        handle,
        x,
        y,
        again: true
      };
      return true;
    }
    this.select(objectAt(this._edits.objects(), x, y, slack / 2));
    const picked = this._selection;
    if (picked && isMovable(picked)) {
      this._gesture = {
        kind: 'drag',
        object: picked,
        handle: 'move',
        x,
        y,
        again: false
      };
      return true;
    }
    return false;
  }

  move(x: number, y: number): void {
    const g = this._gesture;
    const [width, height] = this._edits.imageSize();
    if (g?.kind === 'drag') {
      this._preview = dragBox(
        g.object.bbox,
        g.handle,
        x - g.x,
        y - g.y,
        width,
        height
      );
    } else if (g?.kind === 'draw') {
      this._preview = drawnBox(g.x, g.y, x, y, width, height);
    } else if (g?.kind === 'shape') {
      const size: [number, number] = [width, height];
      const from: [number, number] = [g.x, g.y];
      this._shape =
        draggedShape(g.object, g.handle, from, [x, y], size) ?? this._shape;
    }
    this.render(this._scale);
  }

  up(x: number, y: number): void {
    const g = this._gesture;
    if (g?.kind === 'shape') {
      const moved = x !== g.x || y !== g.y;
      if (moved) {
        this.move(x, y);
      }
      this._gesture = null;
      if (!moved && g.handle.kind === 'body') {
        // a click inside the selected shape picks the object beneath, as on a box
        const slack = HANDLE_PX / this._scale / 2;
        this.select(nextObjectAt(this._edits.objects(), g.object, x, y, slack));
        return;
      }
      this._shapeDone(g.object, this._shape); // a click leaves no preview: no edit
      return;
    }
    this.move(x, y);
    const box = this._preview;
    this._gesture = null;
    if (g?.kind === 'drag' && box && !sameBox(box, g.object.bbox)) {
      this._edits.moved(g.object, box); // the preview stays until the sample is read again
    } else if (g?.kind === 'draw' && box) {
      this._edits.drawn(box);
    } else if (g?.kind === 'drag' && g.again && g.handle === 'move') {
      const slack = HANDLE_PX / this._scale / 2;
      this.select(nextObjectAt(this._edits.objects(), g.object, x, y, slack));
    } else {
      this._preview = null;
      this.render(this._scale);
    }
  }

  cancel(): void {
    this._gesture = null;
    this._preview = null;
    this._shape = null;
    this.render(this._scale);
  }

  /** Draw the layer at `scale` (screen pixels per image pixel: handles keep their screen size). */
  render(scale: number): void {
    this._scale = scale;
    const [width, height] = this._edits.imageSize();
    fitLayer(this.node, width, height);
    const parts: SVGElement[] = [];
    const selected = this._selection;
    const points = selected && pointShapeOf(selected);
    // a rotated box or a polyline shows its own outline, not its extent
    const box = this._preview ?? (points ? null : selected?.bbox) ?? null;
    if (box) {
      const outline = rect(box, 'jp-VisionLens-editOutline');
      if (this._gesture?.kind === 'draw') {
        outline.classList.add('jp-mod-drawing');
      }
      parts.push(outline);
    }
    if (selected && isMovable(selected) && this._gesture?.kind !== 'draw') {
      const side = HANDLE_PX / scale;
      const [bx, by, bw, bh] = this._preview ?? selected.bbox;
      for (const [name, fx, fy] of HANDLES) {
        const handle = rect(
          [bx + fx * bw - side / 2, by + fy * bh - side / 2, side, side],
          'jp-VisionLens-editHandle'
        );
        handle.dataset.handle = name;
        parts.push(handle);
      }
    }
    if (selected && hasShapeParts(selected)) {
      parts.push(
        ...shapeParts(selected, this._shape, HANDLE_PX / scale, scale)
      );
    }
    this.node.replaceChildren(...parts);
    this.node.dataset.selected = selected ? String(selected.ann_id) : '';
  }

  /**
   * An Alt-click on a part of the selected shape: a vertex goes, a keypoint
   * shows or hides, a line's point goes or one is added on the line.
   */
  private _altPress(
    object: IAnnotation,
    part: ShapePart,
    x: number,
    y: number,
    slack: number
  ): void {
    const polygons = polygonsOf(object);
    const none = { polygons: null, keypoints: null, points: null };
    const line = pointShapeOf(object);
    if (line?.column === 'polyline') {
      const onPoint = part.kind === 'point' ? part.point : null;
      const size = this._edits.imageSize();
      const click = polylineAltClick(line.points, onPoint, x, y, slack, size);
      if (click && 'problem' in click) {
        this._edits.say(click.problem);
      } else if (click) {
        this._shapeDone(object, { ...none, points: click.points });
      }
    } else if (part.kind === 'vertex' && polygons) {
      const fewer = withoutVertex(polygons, part.polygon, part.vertex);
      if (fewer) {
        this._shapeDone(object, { ...none, polygons: fewer });
      }
    } else if (part.kind === 'keypoint' && object.keypoints) {
      const points = withVisibilityToggled(object.keypoints, part.point);
      this._shapeDone(object, { ...none, keypoints: points });
    }
  }

  /** Send the edit of `shape` (null: nothing changed); the preview stays until the sample is read again. */
  private _shapeDone(object: IAnnotation, shape: IShapePreview | null): void {
    this._shape = shape;
    this.render(this._scale);
    const before = pointShapeOf(object);
    if (shape?.polygons) {
      this._edits.reshaped(object, shape.polygons);
    } else if (shape?.keypoints) {
      this._edits.keypointsChanged(object, shape.keypoints);
    } else if (
      shape?.points &&
      before &&
      !samePoints(shape.points, before.points)
    ) {
      this._edits.pointsChanged(object, before.column, shape.points);
    }
  }

  private _edits: IBoxEdits;
  private _shape: IShapePreview | null = null;
  private _selection: IAnnotation | null = null;
  private _gesture: Gesture | null = null;
  private _preview: EditBox | null = null;
  private _scale = 1;
}

function rect([x, y, w, h]: EditBox, className: string): SVGRectElement {
  const r = document.createElementNS(SVG, 'rect');
  r.setAttribute('x', String(x));
  r.setAttribute('y', String(y));
  r.setAttribute('width', String(w));
  r.setAttribute('height', String(h));
  r.classList.add(className);
  return r;
}
