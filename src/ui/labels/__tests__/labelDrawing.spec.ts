/**
 * What the canvas renderers draw, through a recording 2D context: jsdom has
 * no canvas, so these check the decisions (which objects draw what, how, and
 * the toggles); the pixels are checked in a browser (ui-tests/tests/labels.spec.ts).
 */
import { noLabelCounts } from '../../../model/labelCounts';
import { LabelType } from '../../../model/labels';
import { GROUND_TRUTH, IAnnotation, ISample } from '../../../model/tokens';
import { ICanvasDrawOptions } from '../canvasLayer';
import { keypointObjectAt, keypointRenderer } from '../keypoints';
import { maskRenderer } from '../masks';
import { linePoints, polylineRenderer } from '../polylines';
import { obbCorners, rotatedBoxRenderer } from '../rotatedBoxes';
import { createLabelLayers, drawSampleLabels } from '../sampleLabels';
import { wireBox, wireSample } from '../../../__tests__/wireSample';

/** Calls made on a context (method name and arguments) and styles set. */
type Call = [string, ...unknown[]];

/** A 2D context that records what is drawn (and a path that records itself). */
function recorder(calls: Call[]): CanvasRenderingContext2D {
  const state: { [key: string]: unknown } = {};
  return new Proxy(state, {
    get(target, name: string) {
      if (name in target) {
        return target[name];
      }
      if (name === 'createImageData') {
        return (w: number, h: number) => ({
          width: w,
          height: h,
          data: new Uint8ClampedArray(w * h * 4)
        });
      }
      if (name === 'getImageData') {
        return () => ({ data: [1, 2, 3, 255] });
      }
      if (name === 'createPattern') {
        return () => ({ kind: 'pattern', setTransform: () => undefined });
      }
      return (...args: unknown[]) => {
        const styled =
          name === 'fill' || name === 'stroke' || name === 'drawImage'
            ? [target.fillStyle, target.globalAlpha, target.lineDash]
            : [];
        calls.push([name, ...args, ...styled]);
        if (name === 'setLineDash') {
          target.lineDash = (args[0] as number[]).length > 0;
        }
      };
    },
    set(target, name: string, value) {
      target[name] = value;
      return true;
    }
  }) as unknown as CanvasRenderingContext2D;
}

class RecordedPath {
  parts: string[] = [];
  moveTo(x: number, y: number) {
    this.parts.push(`M${x},${y}`);
  }
  lineTo(x: number, y: number) {
    this.parts.push(`L${x},${y}`);
  }
  closePath() {
    this.parts.push('Z');
  }
}
(globalThis as { Path2D?: unknown }).Path2D = RecordedPath;

/** What is drawn on the canvases the code under test creates. */
let canvasCalls: Call[] = [];
beforeEach(() => {
  canvasCalls = [];
  jest
    .spyOn(HTMLCanvasElement.prototype, 'getContext')
    .mockImplementation(() => recorder(canvasCalls) as never);
});
afterEach(() => jest.restoreAllMocks());

const STYLE = {
  isBoxVisible: (source: string, score: number | null) =>
    source !== 'hidden' && (score === null || score >= 0.5),
  classColor: (label: string) => `#${label === 'cat' ? 'aa0000' : '00aa00'}`
};

function options(over: Partial<ICanvasDrawOptions> = {}): ICanvasDrawOptions {
  return {
    style: STYLE,
    unit: 2,
    imageWidth: 100,
    imageHeight: 80,
    compact: false,
    keypointClasses: new Map([
      [
        'person',
        {
          keypoint_names: ['head', '<b>hand</b>', 'foot'],
          skeleton: [
            [1, 2],
            [2, 3]
          ]
        }
      ]
    ]),
    maskStep: 1,
    onMaskReady: null,
    ...over
  };
}

function object(over: Partial<IAnnotation>): IAnnotation {
  return wireBox({
    ann_id: 1,
    source: GROUND_TRUTH,
    label: 'cat',
    bbox: [0, 0, 10, 10],
    ...over
  });
}

const SQUARE = [[10, 10, 50, 10, 50, 50, 10, 50]];

describe('the polyline renderer', () => {
  const LINE = [10, 10, 40, 20, 70, 15];

  it('joins the points in order, predictions dashed, the start marked', () => {
    const calls: Call[] = [];
    const drawn = polylineRenderer.draw(
      recorder(calls),
      [
        object({ polyline: LINE }),
        object({ ann_id: 2, source: 'm1', score: 0.9, polyline: LINE }),
        object({ ann_id: 3, polyline: [1, 2] }), // one point
        object({ ann_id: 4, polyline: [1, 2, 3] }), // an odd count
        object({ ann_id: 5, source: 'hidden', polyline: LINE }),
        object({ ann_id: 6 })
      ],
      options()
    );
    expect(drawn).toBe(2);
    const path = calls
      .filter(([name]) => name === 'moveTo' || name === 'lineTo')
      .slice(0, 3)
      .map(([, x, y]) => [x, y]);
    expect(path).toEqual([
      [10, 10],
      [40, 20],
      [70, 15]
    ]);
    const strokes = calls.filter(([name]) => name === 'stroke');
    expect(strokes.map(c => c[3])).toEqual([false, true]);
    const starts = calls.filter(([name]) => name === 'arc');
    expect(starts.map(([, x, y]) => [x, y])).toEqual([
      [10, 10],
      [10, 10]
    ]);
  });

  it('reads only two or more finite points', () => {
    expect(linePoints(LINE)).toHaveLength(3);
    expect(linePoints([1, Number.POSITIVE_INFINITY, 3, 4])).toBeNull();
    expect(linePoints({ 0: 1 })).toBeNull();
  });
});

describe('the rotated box renderer', () => {
  const OBB = [10, 10, 50, 20, 45, 40, 5, 30];

  it('outlines the four corners, predictions dashed, the heading thicker', () => {
    const calls: Call[] = [];
    const drawn = rotatedBoxRenderer.draw(
      recorder(calls),
      [
        object({ obb: OBB }),
        object({ ann_id: 2, source: 'm1', score: 0.9, obb: OBB }),
        object({ ann_id: 3, obb: [1, 2, 3, 4] }), // not four corners
        object({ ann_id: 4, obb: [1, 2, 3, 4, 5, 6, 7, Number.NaN] }),
        object({ ann_id: 5, source: 'hidden', obb: OBB }),
        object({ ann_id: 6 }) // no rotated box
      ],
      options()
    );
    expect(drawn).toBe(2);
    const path = calls
      .filter(([name]) => name === 'moveTo' || name === 'lineTo')
      .slice(0, 4)
      .map(([, x, y]) => [x, y]);
    expect(path).toEqual([
      [10, 10],
      [50, 20],
      [45, 40],
      [5, 30]
    ]);
    const strokes = calls.filter(([name]) => name === 'stroke');
    // outline then heading, per object: ground truth solid, the prediction dashed
    expect(strokes.map(c => c[3])).toEqual([false, false, true, false]);
  });

  it('reads only four finite corners', () => {
    expect(obbCorners(OBB)).toHaveLength(4);
    expect(obbCorners('1,2,3')).toBeNull();
    expect(obbCorners([1, 2, 3, 4, 5, 6, 7, '8'])).toBeNull();
    expect(rotatedBoxRenderer.carries(object({ obb: OBB }))).toBe(true);
    expect(rotatedBoxRenderer.carries(object({}))).toBe(false);
  });
});

describe('the mask renderer', () => {
  it('fills ground truth translucent and solid, predictions hatched and dashed', () => {
    const calls: Call[] = [];
    const drawn = maskRenderer.draw(
      recorder(calls),
      [
        object({ segmentation: SQUARE }),
        object({
          ann_id: 2,
          source: 'm1',
          score: 0.9,
          label: 'dog',
          segmentation: SQUARE
        }),
        object({ ann_id: 3, segmentation: [[1, 2, 3, 4]] }), // not a polygon
        object({ ann_id: 4 }), // no mask
        object({ ann_id: 5, source: 'hidden', segmentation: SQUARE }),
        object({ ann_id: 6, source: 'm1', score: 0.2, segmentation: SQUARE })
      ],
      options()
    );
    expect(drawn).toBe(2);
    const painted = calls.filter(c => c[0] === 'fill' || c[0] === 'stroke');
    expect(
      painted.map(c => [c[0], (c[1] as RecordedPath).parts.join(' ')])
    ).toEqual([
      ['fill', 'M10,10 L50,10 L50,50 L10,50 Z'],
      ['stroke', 'M10,10 L50,10 L50,50 L10,50 Z'],
      ['fill', 'M10,10 L50,10 L50,50 L10,50 Z'],
      ['stroke', 'M10,10 L50,10 L50,50 L10,50 Z']
    ]);
    const [gtFill, gtStroke, predFill, predStroke] = painted;
    expect(gtFill.slice(2, 4)).toEqual(['#aa0000', 0.38]); // class colour, translucent
    expect(gtStroke[4]).toBe(false); // solid outline
    expect(predFill[2]).toMatchObject({ kind: 'pattern' }); // hatched
    expect(predStroke[4]).toBe(true); // dashed outline
  });

  it('asks for RLE bitmaps lazily and is told when they are ready', async () => {
    const calls: Call[] = [];
    const ready = jest.fn();
    const rle = object({ segmentation: { size: [4, 3], counts: '0<' } });
    const o = options({ onMaskReady: ready, imageWidth: 3, imageHeight: 4 });
    expect(maskRenderer.draw(recorder(calls), [rle], o)).toBe(1);
    expect(calls.some(c => c[0] === 'drawImage')).toBe(false); // not made yet
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(ready).toHaveBeenCalledTimes(1);
    maskRenderer.draw(recorder(calls), [rle], o);
    const image = calls.find(c => c[0] === 'drawImage');
    expect(image?.slice(2, 6)).toEqual([0, 0, 3, 4]); // the full 3 x 4 mask
    // the bitmap was painted: every pixel of the full mask set
    expect(canvasCalls.filter(c => c[0] === 'putImageData')).toHaveLength(1);
  });
});

describe('the keypoint renderer', () => {
  const person = object({
    label: 'person',
    // head visible, hand labelled hidden, foot not labelled
    keypoints: [10, 10, 2, 20, 30, 1, 0, 0, 0]
  });

  it('draws visible points filled, hidden ones hollow, the bones between them and the names of the hovered object', () => {
    const calls: Call[] = [];
    const other = { ...person, ann_id: 2 };
    expect(
      keypointRenderer.draw(
        recorder(calls),
        [person, other],
        options({ namedObject: person })
      )
    ).toBe(2);
    expect(
      calls.filter(c => c[0] === 'lineTo').map(c => c.slice(1, 3))
    ).toEqual([
      [20, 30],
      [20, 30]
    ]);
    expect(calls.filter(c => c[0] === 'arc').map(c => c.slice(1, 3))).toEqual([
      [10, 10],
      [20, 30],
      [10, 10],
      [20, 30]
    ]);
    expect(calls.filter(c => c[0] === 'fill')).toHaveLength(2); // only the visible ones
    // The names of the hovered object alone, not of the one beneath it.
    expect(calls.filter(c => c[0] === 'fillText').map(c => c[1])).toEqual([
      'head',
      '<b>hand</b>' // text on a canvas: never markup
    ]);
  });

  it('draws no names when no object is hovered and skips hidden sources', () => {
    const calls: Call[] = [];
    const hidden = { ...person, source: 'hidden' };
    keypointRenderer.draw(recorder(calls), [person, hidden], options());
    expect(calls.filter(c => c[0] === 'fillText')).toHaveLength(0);
    expect(calls.filter(c => c[0] === 'arc')).toHaveLength(2);
  });
});

describe('the object under the pointer', () => {
  const gt = object({ keypoints: [10, 10, 2, 30, 30, 2] });
  const pred = object({
    ann_id: 2,
    source: 'model',
    keypoints: [12, 10, 2, 32, 30, 1]
  });
  const shown = () => true;

  it('is the object with the nearest point, within its points or near them', () => {
    expect(keypointObjectAt([gt, pred], 10, 11, 4, shown)).toBe(gt);
    expect(keypointObjectAt([gt, pred], 33, 30, 4, shown)).toBe(pred);
    // Between the points, inside their bounds: the object is hovered too.
    expect(keypointObjectAt([gt], 20, 20, 4, shown)).toBe(gt);
    expect(keypointObjectAt([gt], 7, 8, 4, shown)).toBe(gt);
    expect(keypointObjectAt([gt, pred], 50, 50, 4, shown)).toBeNull();
  });

  it('leaves out objects not drawn and objects without drawn points', () => {
    const unlabelled = object({ ann_id: 3, keypoints: [20, 20, 0] });
    const onlyGt = (a: IAnnotation) => a.source === GROUND_TRUTH;
    expect(keypointObjectAt([gt, pred], 32, 30, 4, onlyGt)).toBe(gt);
    expect(keypointObjectAt([unlabelled], 20, 20, 4, shown)).toBeNull();
    expect(keypointObjectAt([object({})], 5, 5, 4, shown)).toBeNull();
  });
});

describe('a sample drawn with label type toggles', () => {
  const sample: ISample = wireSample({
    sample_id: 1,
    file_name: 'a.png',
    width: 100,
    height: 80,
    annotations: [
      object({ segmentation: SQUARE }),
      object({ ann_id: 2, label: 'person', keypoints: [5, 5, 2, 9, 9, 2] })
    ],
    classifications: [
      { source: GROUND_TRUTH, label: 'indoor', score: null },
      { source: 'm1', label: '<i>outdoor</i>', score: 0.75 }
    ]
  });

  function draw(
    shown: LabelType[],
    layers = createLabelLayers(),
    deferCanvas?: (draw: () => void) => void
  ) {
    canvasCalls = [];
    const calls = canvasCalls;
    const drawn = drawSampleLabels(layers, STYLE, sample, {
      displaySize: 100,
      shown: new Set(shown),
      keypointClasses: new Map(),
      layout: { cssWidth: 200, cssHeight: 200, pixelRatio: 1 },
      compact: true,
      maskStep: 1,
      onMaskReady: null,
      deferCanvas
    });
    return { drawn, layers, calls };
  }

  const ALL: LabelType[] = ['boxes', 'masks', 'keypoints', 'classifications'];
  // every type but label maps, which a layer of their own draws
  const { label_maps: _, ...drawnNothing } = noLabelCounts();
  const painted = (calls: Call[]) =>
    calls.filter(c => c[0] === 'fill' || c[0] === 'stroke').length;

  it('hands the canvas to a deferral and clears the last sample masks now', () => {
    const layers = createLabelLayers();
    const shown = draw(ALL, layers); // a previous sample's masks, drawn
    const before = painted(shown.calls);
    expect(before).toBeGreaterThan(0);
    const later: (() => void)[] = [];
    const now = draw(ALL, layers, job => later.push(job));
    // boxes and chips now; the canvas only cleared, its drawing handed over
    expect(now.drawn).toEqual({
      ...drawnNothing,
      boxes: 2,
      masks: 0,
      keypoints: 0,
      classifications: 2
    });
    expect(now.calls.map(c => c[0])).toEqual(['setTransform', 'clearRect']);
    expect(layers.canvas.dataset.drawn).toBe('0');
    expect(later).toHaveLength(1);
    later[0]();
    // the deferred drawing paints what drawing at once did
    expect(painted(canvasCalls)).toBe(before);
    expect(layers.canvas.dataset.drawn).toBe('2');
  });

  it('does not defer a canvas with nothing to draw', () => {
    const later: (() => void)[] = [];
    const { calls } = draw(['boxes', 'classifications'], undefined, job =>
      later.push(job)
    );
    expect(later).toHaveLength(0);
    expect(calls).toEqual([]); // a fresh canvas is not touched
  });

  it('draws every type when all are shown', () => {
    const { drawn, layers, calls } = draw([
      'boxes',
      'masks',
      'keypoints',
      'classifications'
    ]);
    expect(drawn).toEqual({
      ...drawnNothing,
      boxes: 2,
      masks: 1,
      keypoints: 1,
      classifications: 2
    });
    expect(layers.svg.querySelectorAll('rect')).toHaveLength(2);
    // fitted: 100 x 80 into 200 x 200 is scale 2, centred vertically
    expect(calls.find(c => c[0] === 'setTransform' && c[1] === 2)).toEqual([
      'setTransform',
      2,
      0,
      0,
      2,
      0,
      20
    ]);
    const chips = [...layers.chips.children] as HTMLElement[];
    expect(chips.map(c => c.textContent)).toEqual([
      'indoor',
      '≠ <i>outdoor</i> 0.75'
    ]);
    expect(chips[1].classList.contains('jp-mod-differs')).toBe(true);
    expect(layers.chips.querySelector('i')).toBeNull(); // text, never markup
  });

  it('hides what is toggled off', () => {
    const { drawn, layers, calls } = draw(['keypoints']);
    expect(drawn).toEqual({
      ...drawnNothing,
      boxes: 0,
      masks: 0,
      keypoints: 1,
      classifications: 0
    });
    expect(layers.svg.querySelectorAll('rect')).toHaveLength(0);
    expect(layers.chips.hidden).toBe(true);
    expect(
      calls.some(c => c[0] === 'fill' && c[1] instanceof RecordedPath)
    ).toBe(false);
    // Everything off: the drawn canvas is cleared; a fresh one is not touched.
    const none = draw([], layers);
    expect(none.calls.map(c => c[0])).toEqual(['setTransform', 'clearRect']);
    expect(layers.canvas.dataset.drawn).toBe('0');
    expect(draw([]).calls).toEqual([]);
  });
});
