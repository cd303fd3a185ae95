/**
 * The click-to-mask tool's state machine (`maskPrompt.ts`) and its layer
 * (`MaskEditor.ts`): which press is a negative click, the request a prompt
 * makes, an answer to an older prompt dropped, a click outside the image
 * refused without asking, taking back clicks, the operations that keep a
 * mask, and the preview's path covering exactly the mask's pixels.
 */
import { ISegmentMask } from '../../../model/tokens';
import { SegmentOutcome } from '../../../model/sources/segment';
import { decodeRuns, rasterizeRuns } from '../../../ui/labels/rle';
import { MaskEditor } from '../MaskEditor';
import {
  clickLabel,
  IMaskPrompt,
  maskOfOperation,
  maskPath,
  MaskSession,
  newObjectOperation,
  segmentRequest
} from '../maskPrompt';

/** COCO's compressed counts of run lengths (pycocotools' `rleToString`). */
function compress(runs: number[]): string {
  let out = '';
  runs.forEach((run, i) => {
    let x = i > 2 ? run - runs[i - 2] : run;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) {
        c |= 0x20;
      }
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
}

function answer(runs: number[], height: number, width: number): ISegmentMask {
  return {
    sample_id: 1,
    model: '/m',
    mask: { size: [height, width], counts: compress(runs) },
    area: runs.filter((_, i) => i % 2).reduce((a, b) => a + b, 0),
    bbox: [0, 0, 1, 1],
    score: 0.5,
    width,
    height,
    embedding: 'cached',
    seconds: { embed: 0, decode: 0.01 }
  };
}

/** A server stand-in whose answers the test releases one by one, in any order. */
function pendingServer() {
  const asked: {
    prompt: IMaskPrompt;
    signal: AbortSignal;
    answer: (o: SegmentOutcome) => void;
  }[] = [];
  const ask = (prompt: IMaskPrompt, signal: AbortSignal) =>
    new Promise<SegmentOutcome>(resolve =>
      asked.push({ prompt, signal, answer: resolve })
    );
  return { asked, ask };
}

describe('click-to-mask prompts', () => {
  it('marks a right-button or Alt press as not the object', () => {
    expect(clickLabel({ button: 0, altKey: false })).toBe(1);
    expect(clickLabel({ button: 0, altKey: true })).toBe(0);
    expect(clickLabel({ button: 2, altKey: false })).toBe(0);
  });

  it('sends every click and the box, in image pixels', () => {
    const prompt: IMaskPrompt = {
      points: [
        { x: 10, y: 12, label: 1 },
        { x: 3, y: 4, label: 0 }
      ],
      box: [1, 2, 30, 20]
    };
    expect(segmentRequest(prompt, '/models/sam')).toEqual({
      model: '/models/sam',
      points: [
        { x: 10, y: 12, label: 1 },
        { x: 3, y: 4, label: 0 }
      ],
      box: [1, 2, 30, 20]
    });
    expect('box' in segmentRequest({ ...prompt, box: null }, 'm')).toBe(false);
  });

  it('keeps a mask as a new object or as the mask of an existing one', () => {
    const mask = answer([2, 3, 7], 3, 4);
    expect(newObjectOperation(mask, 7, 'cat')).toEqual({
      op: 'add',
      sample_id: 7,
      label: 'cat',
      segmentation: mask.mask
    });
    const object = {
      ann_id: 42,
      label: 'dog',
      bbox: [1, 1, 5, 5],
      source: 'ground_truth'
    } as never;
    expect(maskOfOperation(mask, object)).toEqual({
      op: 'mask',
      annotation_id: 42,
      segmentation: mask.mask,
      expected: { label: 'dog', bbox: [1, 1, 5, 5] }
    });
  });

  it("draws exactly the mask's pixels", () => {
    const [height, width] = [5, 7];
    const runs = [3, 4, 6, 2, 9, 8, 3];
    const raster = rasterizeRuns(runs, height, width);
    const covered = new Set<string>();
    for (const m of maskPath(raster).matchAll(
      /M(\d+) (\d+)h(\d+)v(\d+)h-?\d+z/g
    )) {
      const [x, y, w, hgt] = m.slice(1).map(Number);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + hgt; j++) {
          covered.add(`${i},${j}`);
        }
      }
    }
    const full = decodeRuns(runs, height, width); // column-major
    const expected = new Set<string>();
    full.forEach((v, at) => {
      if (v) {
        expected.add(`${Math.floor(at / height)},${at % height}`);
      }
    });
    expect(covered).toEqual(expected);
  });
});

describe('the mask session', () => {
  it('shows only the answer to the latest prompt', async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => undefined);
    const first = session.click(5, 5, 1, 64, 48);
    const second = session.click(9, 9, 0, 64, 48);
    expect(asked.map(a => a.prompt.points.length)).toEqual([1, 2]);
    expect(asked[0].signal.aborted).toBe(true);
    const newer = answer([0, 4, 3068], 48, 64);
    asked[1].answer({ kind: 'mask', mask: newer });
    await second;
    asked[0].answer({ kind: 'mask', mask: answer([0, 1, 3071], 48, 64) });
    await first;
    expect(session.state.kind).toBe('ready');
    expect(session.mask).toBe(newer);
    expect(session.prompt.points).toEqual([
      { x: 5, y: 5, label: 1 },
      { x: 9, y: 9, label: 0 }
    ]);
  });

  it('keeps the last mask on screen while the next click is asked', async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => undefined);
    const click = session.click(5, 5, 1, 64, 48);
    const mask = answer([0, 4, 3068], 48, 64);
    asked[0].answer({ kind: 'mask', mask });
    await click;
    void session.box([1, 1, 20, 20]);
    expect(session.state.kind).toBe('asking');
    expect(session.mask).toBe(mask);
    expect(asked[1].prompt).toEqual({
      points: [{ x: 5, y: 5, label: 1 }],
      box: [1, 1, 20, 20]
    });
  });

  it('refuses a click outside the image without asking, keeping the prompt', async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => undefined);
    const click = session.click(5, 5, 1, 64, 48);
    asked[0].answer({ kind: 'mask', mask: answer([0, 4, 3068], 48, 64) });
    await click;
    await session.click(70, 5, 1, 64, 48);
    expect(asked).toHaveLength(1);
    const state = session.state;
    expect(state.kind).toBe('refused');
    expect(state.kind === 'refused' && state.message).toMatch(
      /outside the image \(64 × 48 pixels\)/
    );
    expect(session.prompt.points).toHaveLength(1);
  });

  it("shows the server's refusal and asks again with the next click", async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => undefined);
    const click = session.click(5, 5, 1, 64, 48);
    asked[0].answer({
      kind: 'refused',
      message: "no weights for 'facebook/sam-vit-base' in /cache"
    });
    await click;
    expect(session.state).toMatchObject({
      kind: 'refused',
      message: "no weights for 'facebook/sam-vit-base' in /cache"
    });
    void session.click(6, 6, 1, 64, 48);
    expect(asked[1].prompt.points).toHaveLength(2);
  });

  it('takes back the last click, then the box, then ends', async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => undefined);
    void session.box([0, 0, 10, 10]);
    void session.click(5, 5, 1, 64, 48);
    void session.undoLast();
    expect(asked[2].prompt).toEqual({ points: [], box: [0, 0, 10, 10] });
    await session.undoLast();
    expect(asked).toHaveLength(3);
    expect(session.state.kind).toBe('idle');
    expect(asked[2].signal.aborted).toBe(true);
  });

  it('drops the prompt on cancel, and a late answer with it', async () => {
    const { asked, ask } = pendingServer();
    let changes = 0;
    const session = new MaskSession(ask, () => (changes += 1));
    const click = session.click(5, 5, 1, 64, 48);
    expect(session.cancel()).toBe(true);
    asked[0].answer({ kind: 'mask', mask: answer([0, 4, 3068], 48, 64) });
    await click;
    expect(session.state.kind).toBe('idle');
    expect(session.cancel()).toBe(false);
    expect(changes).toBe(3); // asking, idle, idle again
  });
});

describe('the mask layer', () => {
  it('turns a click into a point, a drag into a box, and draws them', async () => {
    const { asked, ask } = pendingServer();
    const session = new MaskSession(ask, () => editor.redraw());
    const editor = new MaskEditor(session, () => [64, 48]);
    editor.render(2);
    expect(editor.down(10, 10, 'select')).toBe(false);
    expect(editor.down(10, 10, 'mask', { button: 2, altKey: false })).toBe(
      true
    );
    editor.up(10.5, 10); // one screen pixel: a click
    expect(asked[0].prompt.points).toEqual([{ x: 10, y: 10, label: 0 }]);
    asked[0].answer({ kind: 'mask', mask: answer([0, 4, 3068], 48, 64) });
    await Promise.resolve();
    await Promise.resolve();
    editor.down(2, 2, 'mask', { button: 0, altKey: false });
    editor.move(20, 16);
    editor.up(20, 16);
    expect(asked[1].prompt.box).toEqual([2, 2, 18, 14]);
    expect(editor.node.querySelector('.jp-VisionLens-maskBox')).not.toBeNull();
    expect(
      editor.node.querySelectorAll('.jp-VisionLens-maskNegative')
    ).toHaveLength(1);
    expect(
      editor.node.querySelector('.jp-VisionLens-maskPreview')?.getAttribute('d')
    ).toBe('M0 0h1v1h-1zM0 1h1v1h-1zM0 2h1v1h-1zM0 3h1v1h-1z');
    expect(editor.node.dataset.state).toBe('asking');
  });
});
