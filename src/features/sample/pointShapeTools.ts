/**
 * The sample view's tools drawing the point kinds: a new rotated box (`obb`
 * tool, R) and a new polyline (`polyline` tool, L), their layers on the
 * stage, the view's class that turns the line tool's keys on (Enter, Shift
 * Backspace: schema/sample.json) and what each says in the hint row.
 */
import { PolylineDrawer, POLYLINE_HINT } from './PolylineDrawer';
import { ROTATED_BOX_HINT, RotatedBoxDrawer } from './RotatedBoxDrawer';
import { SampleStage } from './SampleStage';
import { StageTool } from './stagePointer';

/** A new object's points: which column `add` sends them in. */
export type DrawnShape = { obb: number[] } | { polyline: number[] };

/** What the tools read and tell. */
export interface IPointShapeToolsHost {
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** A shape was drawn: add it as an object of the picked class. */
  drawn(shape: DrawnShape): void;
  /** Say what to do next, or why a gesture left nothing. */
  say(text: string): void;
  /** The line's points changed (its commands' state follows). */
  changed(): void;
}

/** The rotated-box and line tools of one sample view. */
export class PointShapeTools {
  constructor(stage: SampleStage, host: IPointShapeToolsHost) {
    const imageSize = () => host.imageSize();
    const say = (text: string) => host.say(text);
    this.rotatedBox = new RotatedBoxDrawer({
      imageSize,
      say,
      drawn: obb => host.drawn({ obb })
    });
    this.polyline = new PolylineDrawer(
      { imageSize, say, drawn: polyline => host.drawn({ polyline }) },
      () => host.changed()
    );
    stage.setPointer(this.rotatedBox, ['obb']);
    stage.setPointer(this.polyline, ['polyline']);
    this._say = say;
  }

  /** The rotated-box tool's layer. */
  readonly rotatedBox: RotatedBoxDrawer;
  /** The line tool's layer. */
  readonly polyline: PolylineDrawer;

  /** The view's tool became `tool` (`view`: the view's node): drop what was being drawn, say how to draw. */
  setTool(tool: StageTool, view: Element | null): void {
    this.rotatedBox.cancel();
    this.polyline.cancel();
    view?.classList.toggle('jp-VisionLens-mod-polyline', tool === 'polyline');
    if (tool === 'obb' || tool === 'polyline') {
      this._say(tool === 'obb' ? ROTATED_BOX_HINT : POLYLINE_HINT);
    } else if (this._tool === 'obb' || this._tool === 'polyline') {
      // what the tool said (how to draw, the width to set) is stale once it
      // is left: after a shape is sent (saved or refused), or toggled off
      this._say('');
    }
    this._tool = tool;
  }

  /** Drop a shape being drawn (Escape: how to start one is said again); whether there was one. */
  cancel(): boolean {
    const drawing = this.rotatedBox.drawing || this.polyline.points.length > 0;
    this.rotatedBox.cancel();
    this.polyline.cancel();
    if (drawing) {
      this._say(this._tool === 'obb' ? ROTATED_BOX_HINT : POLYLINE_HINT);
    }
    return drawing;
  }

  private _say: (text: string) => void;
  private _tool: StageTool = 'select';
}
