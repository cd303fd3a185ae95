/**
 * The brush layer (`MaskBrush.ts`) in the view's flow: a stroke refines the
 * click-to-mask mask in place (nothing sent), or becomes one edit of the
 * selected object (the server's own handling is ui-tests/tests/maskBrush.spec.ts);
 * a stroke that changes nothing, or with nothing to paint on, sends nothing.
 */
import {
  EditOperation,
  IAnnotation,
  ISegmentMask
} from '../../../model/tokens';
import { decodeRuns, runsFromString } from '../../../ui/labels/rle';
import { MaskBitmap } from '../brushRaster';
import { MaskBrush } from '../MaskBrush';
import { MaskSession } from '../maskPrompt';

const [WIDTH, HEIGHT] = [40, 30];

/** A mask of the image: the rectangle x in [5, 15), y in [4, 10). */
function rectangle(): ISegmentMask {
  const bitmap = new MaskBitmap(WIDTH, HEIGHT);
  bitmap.fillPolygon([5, 4, 15, 4, 15, 10, 5, 10]);
  return {
    sample_id: 1,
    model: '/m',
    mask: bitmap.rle(),
    area: bitmap.area,
    bbox: [5, 4, 10, 6],
    score: 0.9,
    width: WIDTH,
    height: HEIGHT,
    embedding: 'cached',
    seconds: { embed: 0, decode: 0.01 }
  };
}

function setup(selection: IAnnotation | null = null) {
  const sent: EditOperation[][] = [];
  const said: string[] = [];
  const session = new MaskSession(
    () => Promise.resolve({ kind: 'mask', mask: rectangle() }),
    () => undefined
  );
  const brush = new MaskBrush({
    imageSize: () => [WIDTH, HEIGHT],
    selection,
    session,
    apply: operations => {
      sent.push(operations);
      return Promise.resolve(null);
    },
    say: text => said.push(text)
  });
  brush.size = 4;
  return { brush, session, sent, said };
}

/** A drag of `tool` along `points`, its edit (if any) sent. */
async function stroke(
  brush: MaskBrush,
  tool: 'brush' | 'erase',
  points: [number, number][]
): Promise<boolean> {
  const [first, ...rest] = points;
  if (!brush.down(...first, tool)) {
    return false;
  }
  rest.forEach(p => brush.move(...p));
  brush.up(...points[points.length - 1]);
  await new Promise(resolve => setTimeout(resolve, 0));
  return true;
}

function bitsOf(rle: { size: number[]; counts: unknown }): Uint8Array {
  const runs = runsFromString(rle.counts as string)!;
  return decodeRuns(runs, rle.size[0], rle.size[1]);
}

describe('the brush layer', () => {
  it('refines the click-to-mask mask in place, sending nothing', async () => {
    const { brush, session, sent } = setup();
    await session.click(8, 6, 1, WIDTH, HEIGHT);
    const path: [number, number][] = [
      [20, 20],
      [30, 22]
    ];
    expect(await stroke(brush, 'brush', path)).toBe(true);
    const want = new MaskBitmap(WIDTH, HEIGHT, bitsOf(rectangle().mask));
    want.stroke(path, 2, 1);
    const refined = session.mask!;
    expect(session.state.kind).toBe('ready');
    expect(Array.from(bitsOf(refined.mask))).toEqual(Array.from(want.bits));
    expect(refined.area).toBe(want.area);
    expect(refined.bbox).toEqual(want.extent());
    expect(session.prompt.points).toHaveLength(1); // the clicks stay
    expect(sent).toEqual([]);
  });

  it('will not erase the whole click-to-mask mask', async () => {
    const { brush, session, said } = setup();
    await session.click(8, 6, 1, WIDTH, HEIGHT);
    brush.size = 64;
    await stroke(brush, 'erase', [[10, 7]]);
    expect(session.mask!.area).toBe(rectangle().area);
    expect(said.join()).toContain('no mask');
  });

  it("sends one edit per stroke for the selected object's mask", async () => {
    const object = {
      ann_id: 3,
      label: 'cat',
      bbox: [5, 4, 10, 6],
      source: 'ground_truth',
      segmentation: [[5, 4, 15, 4, 15, 10, 5, 10]]
    } as IAnnotation;
    const { brush, sent } = setup(object);
    const path: [number, number][] = [
      [10, 8],
      [10, 12],
      [11, 16]
    ];
    await stroke(brush, 'erase', [[30, 25]]); // nothing there: nothing sent
    expect(sent).toEqual([]);
    await stroke(brush, 'brush', path);
    expect(sent).toHaveLength(1);
    const [op] = sent[0] as (EditOperation & { segmentation: any })[];
    expect(op.op).toBe('reshape');
    const want = new MaskBitmap(WIDTH, HEIGHT);
    want.fillPolygon([5, 4, 15, 4, 15, 10, 5, 10]);
    want.stroke(path, 2, 1);
    expect(Array.from(bitsOf(op.segmentation))).toEqual(Array.from(want.bits));
    // the stroke is drawn while dragging and gone once sent
    brush.down(1, 1, 'brush');
    expect(
      brush.node.querySelector('.jp-VisionLens-brushStroke')
    ).not.toBeNull();
    brush.cancel();
    expect(brush.node.childElementCount).toBe(0);
  });

  it('says what to do with nothing to paint on, and sends nothing', async () => {
    const { brush, sent, said } = setup();
    expect(await stroke(brush, 'brush', [[5, 5]])).toBe(false);
    expect(said[0]).toMatch(/^Select an object first/);
    expect(sent).toEqual([]);
    expect(brush.down(5, 5, 'select')).toBe(false);
  });

  it('steps its size with [ and ] and shows it', () => {
    const { brush } = setup();
    brush.size = 16;
    brush.resize(1);
    expect(brush.size).toBe(24);
    brush.resize(-1);
    brush.resize(-1);
    expect(brush.size).toBe(12);
    expect(brush.node.dataset.size).toBe('12');
    expect(brush.sizeItem.node.textContent).toContain('12 px');
  });
});
