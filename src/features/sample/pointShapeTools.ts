/**
 * The sample view's tools drawing the point kinds: a new rotated box (`obb`
 * tool, R), a new polyline (`polyline` tool, L) and a new keypoint object
 * (`keypoints` tool, K), their layers on the stage, the view's classes that
 * turn the line's and the keypoints' keys on (Enter, Shift Backspace, S:
 * schema/sample.json) and what each says in the hint row.
 */
import { KeypointDrawer } from './KeypointDrawer';
import { PolylineDrawer, POLYLINE_HINT } from './PolylineDrawer';
import { ROTATED_BOX_HINT, RotatedBoxDrawer } from './RotatedBoxDrawer';
import { SampleStage } from './SampleStage';
import { StageTool } from './stagePointer';

/** A new object's points: which column `add` sends them in. */
export type DrawnShape =
  { obb: number[] } | { polyline: number[] } | { keypoints: number[] };

/** What the tools read and tell. */
export interface IPointShapeToolsHost {
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** The picked class's point names (null: it is no keypoint class). */
  keypointNames(): readonly string[] | null;
  /** Whether the dataset has a keypoint class (the keypoint tool shows only then). */
  hasKeypointClasses(): boolean;
  /** A shape was drawn: add it as an object of the picked class. */
  drawn(shape: DrawnShape): void;
  /** Say what to do next, or why a gesture left nothing. */
  say(text: string): void;
  /** The line's or the keypoints' points changed (their commands' state follows). */
  changed(): void;
}

const POINT_TOOLS: readonly StageTool[] = ['obb', 'polyline', 'keypoints'];

/** The rotated-box, line and keypoint tools of one sample view. */
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
    this.keypoints = new KeypointDrawer(
      {
        imageSize,
        say,
        names: () => host.keypointNames(),
        drawn: keypoints => host.drawn({ keypoints })
      },
      () => host.changed()
    );
    stage.setPointer(this.rotatedBox, ['obb']);
    stage.setPointer(this.polyline, ['polyline']);
    stage.setPointer(this.keypoints, ['keypoints']);
    this._say = say;
    this._host = host;
  }

  /** Whether the keypoint tool is offered: the dataset has a keypoint class. */
  get keypointsOffered(): boolean {
    return this._host.hasKeypointClasses();
  }

  /** The rotated-box tool's layer. */
  readonly rotatedBox: RotatedBoxDrawer;
  /** The line tool's layer. */
  readonly polyline: PolylineDrawer;
  /** The keypoint tool's layer. */
  readonly keypoints: KeypointDrawer;

  /** The view's tool became `tool` (`view`: the view's node): drop what was being drawn, say how to draw. */
  setTool(tool: StageTool, view: Element | null): void {
    this.rotatedBox.cancel();
    this.polyline.cancel();
    this.keypoints.cancel();
    view?.classList.toggle('jp-VisionLens-mod-polyline', tool === 'polyline');
    view?.classList.toggle('jp-VisionLens-mod-keypoints', tool === 'keypoints');
    if (POINT_TOOLS.includes(tool)) {
      this._say(this._hint(tool));
    } else if (POINT_TOOLS.includes(this._tool)) {
      // what the tool said (how to draw, the width to set) is stale once it
      // is left: after a shape is sent (saved or refused), or toggled off
      this._say('');
    }
    this._tool = tool;
  }

  /** Drop a shape being drawn (Escape: how to start one is said again); whether there was one. */
  cancel(): boolean {
    const drawing =
      this.rotatedBox.drawing ||
      this.polyline.points.length > 0 ||
      this.keypoints.points.length > 0;
    this.rotatedBox.cancel();
    this.polyline.cancel();
    this.keypoints.cancel();
    if (drawing) {
      this._say(this._hint(this._tool));
    }
    return drawing;
  }

  /** How to draw with `tool` (one of the point tools). */
  private _hint(tool: StageTool): string {
    if (tool === 'keypoints') {
      return this.keypoints.hint();
    }
    return tool === 'obb' ? ROTATED_BOX_HINT : POLYLINE_HINT;
  }

  private _host: IPointShapeToolsHost;
  private _say: (text: string) => void;
  private _tool: StageTool = 'select';
}
