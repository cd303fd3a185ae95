/**
 * What passes between the sample stage and the edit layers it lays over the
 * image: the tools a plain drag may have, a press, the layer's side
 * (`IStagePointer`), and which presses pan instead (`startsPan`).
 */

/** What a plain primary-button drag on the stage does. */
export type StageTool =
  | 'select'
  | 'draw'
  | 'polygon'
  | 'obb'
  | 'polyline'
  | 'keypoints'
  | 'pan'
  | 'mask'
  | 'brush'
  | 'erase';

/** Which button a press is, with the modifier a tool may read. */
export interface IStagePress {
  button: number;
  altKey: boolean;
}

/** An edit layer: what a plain drag does under its tools, in image pixels. */
export interface IStagePointer {
  /** The SVG the stage lays over the image (image pixels). */
  readonly node: SVGSVGElement;
  /** A press at `(x, y)`; true when it starts a drag the layer follows. */
  down(x: number, y: number, tool: StageTool, press?: IStagePress): boolean;
  move(x: number, y: number): void;
  up(x: number, y: number): void;
  /** The pointer at `(x, y)` with no button down (null: it left the stage). */
  hover?(point: [number, number] | null): void;
  cancel(): void;
  /** Draw again at `scale` screen pixels per image pixel (a zoom, another sample). */
  render(scale: number): void;
}

/** Whether a pointer-down starts a pan under `tool`. */
export function startsPan(
  tool: StageTool,
  event: Pick<PointerEvent, 'button' | 'shiftKey'>
): boolean {
  return (
    event.button === 1 ||
    (event.button === 0 && (tool === 'pan' || event.shiftKey))
  );
}
