/**
 * The keypoint tool (K): a new object of the picked keypoint class, point by
 * point in its skeleton's order, skipped points unlabelled; sent when the last
 * point is placed or on Enter; refused (and kept) when its labelled points
 * span no area; nothing without a keypoint class.
 */
import {
  KEYPOINT_CLASS_HINT,
  KeypointDrawer,
  keypointDrawProblem
} from '../KeypointDrawer';

const NAMES = ['nose', 'left_eye', 'right_eye'];

function host(names: readonly string[] | null = NAMES) {
  const drawn: number[][] = [];
  const said: string[] = [];
  return {
    drawn,
    said,
    host: {
      imageSize: (): [number, number] => [100, 80],
      names: () => names,
      drawn: (points: number[]) => drawn.push(points),
      say: (text: string) => said.push(text)
    }
  };
}

describe('the keypoint tool', () => {
  it('places the named points in order and sends the object with the last one', () => {
    const { host: h, drawn, said } = host();
    const tool = new KeypointDrawer(h);
    tool.render(2);
    expect(tool.hint()).toMatch(/^Click "nose" \(point 1 of 3\)/);
    tool.down(10, 10);
    expect(said[said.length - 1]).toMatch(/^Click "left_eye" \(point 2 of 3\)/);
    expect(tool.node.querySelectorAll('circle').length).toBe(1);
    expect(tool.node.querySelector('circle title')?.textContent).toBe('nose');
    tool.down(130, 30.123); // clamped to the image's right edge, rounded
    tool.down(50, 60);
    expect(drawn).toEqual([[10, 10, 2, 100, 30.12, 2, 50, 60, 2]]);
    expect(tool.points).toEqual([]);
  });

  it('a skipped point is unlabelled; Enter sends the rest unlabelled; a point can be taken back', () => {
    const { host: h, drawn } = host();
    const tool = new KeypointDrawer(h);
    tool.skip();
    tool.down(40, 40);
    tool.undoPoint();
    expect(tool.points).toEqual([0, 0, 0]);
    tool.down(10, 10);
    tool.down(20, 30);
    expect(drawn).toEqual([[0, 0, 0, 10, 10, 2, 20, 30, 2]]);

    const early = new KeypointDrawer(h);
    early.down(5, 5);
    early.down(15, 25);
    early.finish();
    expect(drawn[drawn.length - 1]).toEqual([5, 5, 2, 15, 25, 2, 0, 0, 0]);
  });

  it('points that span no area are refused and kept for taking back', () => {
    const { host: h, drawn, said } = host();
    const tool = new KeypointDrawer(h);
    tool.down(10, 10);
    tool.skip();
    tool.down(10, 40); // one column: no box
    expect(drawn).toEqual([]);
    expect(said[said.length - 1]).toMatch(/at least two points apart/);
    tool.down(60, 60); // all placed: a click only says why again
    expect(tool.points.length).toBe(9);
    tool.undoPoint();
    tool.down(30, 40);
    expect(drawn).toEqual([[10, 10, 2, 0, 0, 0, 30, 40, 2]]);
    expect(keypointDrawProblem([1, 1, 2, 5, 5, 0])).toMatch(/two points/);
    expect(keypointDrawProblem([1, 1, 2, 5, 5, 1])).toBe('');
  });

  it('without a keypoint class picked, places nothing and says to pick one', () => {
    const { host: h, drawn, said } = host(null);
    const tool = new KeypointDrawer(h);
    expect(tool.hint()).toBe(KEYPOINT_CLASS_HINT);
    tool.down(10, 10);
    tool.skip();
    tool.finish();
    expect(tool.points).toEqual([]);
    expect(drawn).toEqual([]);
    expect(said).toEqual([
      KEYPOINT_CLASS_HINT,
      KEYPOINT_CLASS_HINT,
      KEYPOINT_CLASS_HINT
    ]);
  });
});
